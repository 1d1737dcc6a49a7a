"""Redundancy findings: steps that add waiting, handling or hand-offs without changing the outcome.

:func:`find_redundancies` runs one detector per kind (see :data:`KINDS` and
``docs/detectors.md``) and returns :class:`Findings` sorted by estimated total saving.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pandas as pd

from .._core.validation import check_declared, check_fraction, fail
from ..engines import needs_events
from ..errors import DataQualityWarning
from ..log import EventLog
from ._base import MIN_SAVING, get_calendar
from ._finding import KINDS, Finding, Findings

__all__ = ["DETECTORS", "KINDS", "Finding", "Findings", "find_redundancies"]

logger = logging.getLogger("procmine")

#: kind -> module implementing ``detect(log, *, min_case_share, required, calendar, **thresholds)``
DETECTORS: dict[str, str] = {kind: f"procmine.redundancy.{kind}" for kind in KINDS}


def _module(kind: str) -> Any:
    """The detector module of ``kind`` (its ``detect`` and ``THRESHOLDS``)."""
    module = DETECTORS[kind]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        raise fail("find_redundancies", "kinds", f"kinds whose detector is installed (the detector of kind "
                   f"{kind!r}, {module}, is not available in this installation; pass kinds=[...] without it)",
                   kind) from exc


def _detector(kind: str) -> Any:
    """The ``detect`` function of ``kind`` (``benchmarks/redundancy.py`` times each alone)."""
    return _module(kind).detect


@needs_events("find_redundancies")  # a log outside memory is loaded (or refused)
def find_redundancies(
    log: EventLog,
    *,
    kinds: Iterable[str] | None = None,
    min_case_share: float = 0.05,
    required: Iterable[str] = (),
    calendar: Any = None,
    min_saving: Any = MIN_SAVING,
    **thresholds: Mapping[str, Any],
) -> Findings:
    """Find redundant steps in ``log``: rework, duplicate work, ping-pong, rubber stamps, ...

    Parameters
    ----------
    log
        The event log.
    kinds
        The kinds to look for (default: all of :data:`KINDS`).
    min_case_share
        Patterns seen in a smaller share of cases are not reported.
    required
        Activities that are legally required and must never be proposed for removal.
        Findings whose activities include a required one are dropped, except for
        ``bottleneck`` (shortening the wait in front of a step does not remove it): those
        are kept with the flag ``evidence["required"] = True``.
    calendar
        A :class:`procmine.Calendar` to measure working time (default: the Swiss office week).
    min_saving
        Findings that save less working time per affected case are not listed (default
        one minute, :data:`procmine.redundancy._base.MIN_SAVING`; ``0`` lists everything).
        Steps a system records seconds apart would otherwise appear as savings of seconds.
    **thresholds
        Per-kind detector thresholds, e.g. ``rework={"min_repeat_share": 0.1}``: the
        names, ranges and defaults each detector declares in its ``THRESHOLDS`` (listed in
        ``docs/detectors.md``). All are checked before any detector runs.

    Returns
    -------
    Findings
        Sorted by estimated total saving, largest first.

    Notes
    -----
    On logs of :data:`PARALLEL_MIN_EVENTS` events or more, two detectors run at a time in
    threads (on a machine of two cores or more); the findings are the same as one after the
    other, and a detector's error is raised here as it would be.

    Examples
    --------
    >>> import procmine as pm
    >>> log = pm.samples.load("permit_de")
    >>> findings = pm.find_redundancies(log, kinds=["rework", "ping_pong"])
    >>> all(f.kind in ("rework", "ping_pong") for f in findings)
    True
    """
    chosen, min_case_share, req, modules, settings = _check_arguments(log, kinds, min_case_share, required, thresholds)
    floor = _check_min_saving(min_saving)
    cal = get_calendar(calendar)
    found: list[Finding] = []
    for kind, result in _run(log, chosen, modules, settings, min_case_share=min_case_share, required=req, calendar=cal):
        small = [f for f in result if f.saving_per_case < floor]
        if small:
            logger.debug("find_redundancies: %s: %d finding(s) save less than %s per case, not listed",
                         kind, len(small), floor)
        result = [f for f in result if f.saving_per_case >= floor]
        logger.debug("find_redundancies: %s -> %d finding(s)", kind, len(result))
        found.extend(_respect_required(result, req))
    return Findings(found, n_cases=log.n_cases, log_name=log.name, log=log, calendar=cal)


def _check_arguments(log: Any, kinds: Iterable[str] | None, min_case_share: float, required: Iterable[str],
                     thresholds: Mapping[str, Any]) -> tuple[Any, ...]:
    """Every argument of :func:`find_redundancies` but the calendar and ``min_saving``, checked
    before any detector runs: the chosen kinds, ``min_case_share``, the required activities,
    the detector modules and the per-kind thresholds (checked against each ``THRESHOLDS``)."""
    func = "find_redundancies"
    if not isinstance(log, EventLog):
        raise fail(func, "log", "a procmine.EventLog (read one with procmine.read_log)", type(log).__name__)
    if kinds is None:
        chosen = KINDS
    else:
        if isinstance(kinds, str):
            kinds = (kinds,)
        chosen = tuple(dict.fromkeys(kinds))
        bad = [k for k in chosen if k not in KINDS]
        if bad:
            raise fail(func, "kinds", f"a list of kinds among {', '.join(KINDS)}", bad)
    min_case_share = check_fraction(func, "min_case_share", min_case_share)
    if isinstance(required, str):
        required = (required,)
    req = frozenset(str(a) for a in required)
    unknown_req = sorted(req - set(map(str, log.codes.activity_names)))
    if unknown_req:
        warnings.warn(
            f"find_redundancies: required activities {unknown_req} do not occur in the log "
            f"{log.name!r}; check their spelling against log.activities",
            DataQualityWarning,
            stacklevel=3,  # the caller of find_redundancies (through its engine wrapper)
        )
    for key, value in thresholds.items():
        if key not in KINDS:
            raise fail(func, key, f"a detector name among {', '.join(KINDS)} (per-kind thresholds)", key)
        if not isinstance(value, Mapping):
            raise fail(func, key, "a dict of thresholds, e.g. {'min_repeat_share': 0.1}", value)
    modules = {kind: _module(kind) for kind in dict.fromkeys([*chosen, *thresholds])}
    # every threshold is checked against its detector's declaration before any detector runs
    settings = {
        kind: check_declared(f"find_redundancies({kind}={{...}})", modules[kind].THRESHOLDS, thresholds[kind])
        for kind in thresholds
    }
    return chosen, min_case_share, req, modules, settings


def _check_min_saving(min_saving: Any) -> pd.Timedelta:
    """``min_saving`` as a duration >= 0."""
    try:
        floor = pd.Timedelta(min_saving)
    except (ValueError, TypeError) as exc:
        raise fail("find_redundancies", "min_saving", "a duration such as '1min' (or 0)", min_saving) from exc
    if pd.isna(floor) or floor < pd.Timedelta(0):
        raise fail("find_redundancies", "min_saving", "a duration >= 0 such as '1min'", min_saving)
    return floor


#: detectors run side by side on logs of at least this many events: their work is numpy
#: on whole columns, which releases the GIL, so two cores take two detectors at once; on
#: smaller logs the Python part of each detector dominates and threads would only contend
PARALLEL_MIN_EVENTS = 200_000


def _run(log: EventLog, chosen: tuple[str, ...], modules: dict[str, Any], settings: dict[str, Any],
         **common: Any) -> Iterator[tuple[str, list[Finding]]]:
    """Each chosen detector's findings, in the order of ``chosen`` (with a progress bar).

    On a large log and a machine of several cores, two detectors run at a time in threads;
    the findings are the same and come in the same order as one after the other."""
    from tqdm.auto import tqdm

    detectors = [(kind, modules[kind].detect) for kind in chosen]
    workers = min(2, os.cpu_count() or 1, len(detectors))
    if workers < 2 or log.n_events < PARALLEL_MIN_EVENTS:
        for kind, detect in tqdm(detectors, desc="redundancy detectors", disable=None, leave=False):
            yield kind, detect(log, **common, **settings.get(kind, {}))
        return
    from concurrent.futures import Future, ThreadPoolExecutor

    from ..waits._causes import wait_causes
    from ._base import event_table

    # the per-event times every detector reads, built before the threads share them
    event_table(log, common.get("calendar")).times  # noqa: B018 - computed once for all
    # the detectors that declare they read the wait causes with the log's own declarations
    # (not given ``waits``/``external``): computed once, in a thread of its own, meanwhile
    readers = [k for k in chosen if getattr(modules[k], "READS_WAIT_CAUSES", False)
               and not {"waits", "external"} & set(settings.get(k, {}))]
    with ThreadPoolExecutor(workers, thread_name_prefix="procmine-detector") as pool:
        # submitted first, so a worker takes it before any detector waits for it
        causes: Future[Any] | None = pool.submit(wait_causes, log) if len(readers) > 1 else None

        def job(kind: str, detect: Any) -> list[Finding]:
            if causes is not None and kind in readers:
                causes.result()  # computed once, not by two threads side by side
            return detect(log, **common, **settings.get(kind, {}))

        # the detectors that need no causes first: they run while the causes are computed
        order = sorted(detectors, key=lambda kd: kd[0] in readers) if causes is not None else detectors
        futures = {kind: pool.submit(job, kind, detect) for kind, detect in order}
        for kind, _ in tqdm(detectors, desc="redundancy detectors", disable=None, leave=False):
            yield kind, futures[kind].result()


def _respect_required(findings: list[Finding], required: frozenset[str]) -> list[Finding]:
    """Drop findings that would remove a required activity (bottlenecks are kept, flagged)."""
    if not required:
        return list(findings)
    out = []
    for f in findings:
        if not required.intersection(f.activities):
            out.append(f)
        elif f.kind == "bottleneck":
            ev = dict(f.evidence)
            ev["required"] = True
            out.append(dataclasses.replace(f, evidence=ev))
    return out
