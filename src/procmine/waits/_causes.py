"""Why a case waits: every wait (as :mod:`procmine._core.event_times` measures it) gets one cause.

``office``
    queue or backlog the office controls (the default);
``client``
    waiting for the applicant or a third party: the wait right after a *request* step
    (also when the same request follows: a call tried again, a reminder, chases the open
    request, as :mod:`procmine.redundancy.incomplete_submission` counts it) or a *hold* status (a step named only "Wait", "On hold", "En attente"...: the case is
    parked, not queued; until the case moves on), the wait before a step the outside world triggers
    (documents received, objection filed, payment; see :func:`procmine.waits._steps.classify_steps`),
    and the wait before a *follow-up*: a step that chases an answer, i.e. done (at least 80 %
    of its events, at least ``10``) while something the office sent or asked for is out
    (after a request or outbound step, before the next external step of the case) and
    repeated back to back (at least half its events directly follow itself): calls chasing
    an offer the customer has not returned yet; the case waits for the answer, not for the
    office. The wait right *after* a follow-up is the client's too (as after a request):
    the call asked for the answer, and what comes next (a new offer, a cancellation)
    follows it;
``statutory``
    a fixed legal period: the activity's time from the previous completion to its own
    completion (elapsed calendar time) clusters at one length of at least ``5`` days: at
    least 60 % within ±1 day of it, or the lengths barely vary (coefficient of variation
    under 0.1), or at least a quarter lie within an hour of it (a period applied to part
    of the cases, e.g. closed automatically 15 days after resolution). Queue waiting
    varies with load, a legal period does not. The waits at least as long as the period
    (less a day; within the hour for the partial kind) are statutory; shorter ones (an
    objection filed early) keep their other cause. The same rule is applied to the time
    from a step's completion to the case's next event, whatever step comes next: a period
    that runs *after* a step (a period before two steps done in either order is absorbed
    by whichever comes first, so neither step shows it; the wait of the next step after
    it is statutory when at least as long as the period), except after a request or a
    hold (that wait is the applicant's). A queue varies with the load, so its waits after
    a step do not cluster. Statutory up to the period only: it
    runs from the previous completion, so the part of a longer wait beyond it (the case
    lies in the office after the period ended) keeps the cause the wait would have
    without the period, office or client (under a working calendar the wait is split in
    the proportion of its elapsed parts);
``batch``
    waiting for a release: declared (``waits={"step": "batch"}``), or detected when a step
    happens on a handful of calendar days only: 80 % of its events (at least 50) fall on
    days that number at most one per 90 days of the step's span (over at least 180 days),
    with at least 10 events on such a day on average (e.g. sent to credit collection on 11
    days in 13 years). Cases are released together on a date set outside the case, so the
    wait before such a step is not a queue of work; the weekly slots the batching detector
    finds are not repeated for every performance view and count as office waits.

One cause per wait: without a step recording the answer ("documents received"), the
wait after a request is the applicant's as a whole, including the office's queue once the
answer is in (the log cannot tell them apart).

Declarations win over detection: ``waits={"Einsprachefrist": "statutory"}`` gives every
wait before that activity that cause, ``external=[...]`` declares steps the outside world
triggers. The classification uses elapsed time only, so it is the same under any calendar.

Examples
--------
>>> import procmine as pm
>>> from procmine.waits._causes import wait_causes
>>> wc = wait_causes(pm.samples.load("permit_de"))
>>> row = wc.steps.loc["Einsprachefrist abwarten"]
>>> row["cause"], float(row["period_days"])
('statutory', 30.0)
>>> bool(wc.steps.loc["Unterlagen nachfordern", "request"]), wc.steps.loc["Vollständigkeit prüfen", "cause"]
(True, 'office')
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._core.event_times import elapsed_times
from .._core.kernels import (
    NAT,
    group_median,
    joined_sums,
    key_counts,
    repeated_key_counts,
    run_starts,
    split_sums,
)
from .._core.notes import note
from .._core.validation import fail
from ..log import ACTIVITY, EventLog
from ._steps import Table, step_aggregates, step_flags, steps_frame, table_column

__all__ = ["CAUSES", "Caps", "Decisions", "WaitAggregates", "WaitCauses", "after_pairs", "assign_causes", "check_declarations",
           "decide_causes", "finish", "fixed_periods", "follow_up_candidates", "follow_up_markers",
           "inside_windows", "scaled", "self_repeats", "wait_aggregates", "wait_causes"]

CAUSES = ("office", "client", "statutory", "batch")
OFFICE, CLIENT, STATUTORY, BATCH = range(4)
_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
_MIN_DAYS = 5.0  # a legal period shorter than this is not told apart from a queue
_MIN_EVENTS = 10
_RELEASE_MIN_EVENTS = 50  # a batch release needs enough events to show its dates
_RELEASE_SHARE = 0.8  # share of the step's events that fall on its release days
_RELEASE_DAYS_PER = 90  # at most one release day per quarter of the span: a few dates a year
_RELEASE_MIN_PER_DAY = 10  # events per release day, on average


class _Tables:
    """``(steps, explain)`` of a :class:`WaitCauses`, built on first use (shared by its copies)."""

    def __init__(self, both: tuple[pd.DataFrame, pd.DataFrame] | None,
                 make: Callable[[], tuple[pd.DataFrame, pd.DataFrame]] | None) -> None:
        self.both, self.make = both, make

    def get(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        if self.both is None:
            assert self.make is not None
            self.both, self.make = self.make(), None  # the inputs of make are no longer needed
        return self.both


@dataclass(frozen=True, eq=False, init=False)
class WaitCauses:
    """The cause of every wait of a log (build it with :func:`wait_causes`).

    ``steps`` and ``explain`` are tables for display: given, or built on first access by
    ``tables`` (a callable returning both), so that the frames of :func:`procmine.performance`
    (which read :attr:`cause` only) do not pay for them. ``dataclasses.replace`` keeps them.
    """

    cause: np.ndarray  #: int8 per event (``log.df`` order): index into CAUSES; -1 = no wait (first event)
    period_in_processing: np.ndarray  #: bool per activity: its fixed period is recorded as its processing
    caps: Caps | None = None  #: the statutory waits that run past their period (None = none)
    by_prev: np.ndarray | None = None  #: positions of the waits statutory by the previous step's period (None = none)
    tables: Any = None  #: the steps and explain tables, or the callable that builds them
    _memo: dict = field(default_factory=dict, repr=False, compare=False)  #: results computed once (outside_office)

    def __init__(self, cause: np.ndarray, steps: pd.DataFrame | None = None, explain: pd.DataFrame | None = None,
                 period_in_processing: np.ndarray | None = None, caps: Caps | None = None,
                 by_prev: np.ndarray | None = None, *, tables: Any = None, _memo: dict | None = None) -> None:
        if not isinstance(tables, _Tables):
            if (steps is None or explain is None) and tables is None:
                raise TypeError("WaitCauses needs steps and explain, or tables")
            tables = _Tables(None if steps is None or explain is None else (steps, explain), tables)
        if period_in_processing is None:
            raise TypeError("WaitCauses needs period_in_processing")
        for name, value in (("cause", cause), ("period_in_processing", period_in_processing), ("caps", caps),
                            ("by_prev", by_prev), ("tables", tables), ("_memo", {} if _memo is None else _memo)):
            object.__setattr__(self, name, value)

    @property
    def steps(self) -> pd.DataFrame:
        """:func:`procmine.waits._steps.classify_steps` plus ``period_days`` (NaN = none),
        ``period_after_days``, ``inherited_period_days`` and ``cause`` (of most of its waits;
        "" = none)."""
        return self.tables.get()[0]

    @property
    def explain(self) -> pd.DataFrame:
        """Per activity and cause: ``activity``, ``cause``, ``events``, ``why``."""
        return self.tables.get()[1]

    def outside_office(self, wait: np.ndarray, proc: np.ndarray, act: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per event, the time the office cannot shorten: ``(client, statutory)`` in the unit
        of ``wait`` and ``proc`` (per-event waiting and processing, 0/NAT = none; ``act`` the
        activity codes). A statutory period recorded as a step lasting it (a system step
        "objection period" from its start to its end: its median processing is at least
        half the period) counts with that step's processing time. A statutory wait that
        runs past its period counts as statutory up to the period only (:meth:`split`).

        Savings are computed on the rest: ``wait + proc - client - statutory``. The result
        for the same three arrays is computed once (several detectors ask for it); the
        arrays returned are shared, read-only.
        """
        memo = self._memo.get("outside_office")
        if memo is not None and memo[0] is wait and memo[1] is proc and memo[2] is act:
            return memo[3]
        parts = self.split(wait, ("client", "statutory"))
        statutory = parts["statutory"]
        in_proc_act = self.period_in_processing
        if in_proc_act.any():  # else no step records a period as its processing: nothing to add
            in_proc = in_proc_act[act] & (self.cause == STATUTORY)
            if self.by_prev is not None:
                in_proc[self.by_prev] = False  # the previous step's period: this step's processing is work
            p = np.where(proc == NAT, 0, proc)
            extra = np.where(in_proc, p, 0)
            c = self.caps
            if c is not None and len(c.idx):
                extra[c.idx] = np.where(in_proc[c.idx], scaled(p[c.idx], c.stat_proc, c.proc_el), 0)
            statutory = statutory + extra
        elif proc.dtype != statutory.dtype:
            statutory = statutory + np.zeros(1, dtype=proc.dtype)  # the dtype ``+ extra`` gives
        out = (parts["client"], statutory)
        for arr in out:
            arr.flags.writeable = False
        self._memo["outside_office"] = (wait, proc, act, out)
        return out

    def split(self, wait: np.ndarray, causes: Iterable[str] = CAUSES) -> dict[str, np.ndarray]:
        """``wait`` (int64 µs per event, NAT = none) as one array per cause (0 elsewhere);
        only the ``causes`` named (all four by default).

        A statutory wait that runs past its period is statutory up to the period (the
        period runs from the previous completion); the time beyond it goes to the cause the
        wait has without the period (:class:`Caps`). Under a working calendar the wait is
        split in the proportion of its elapsed parts."""
        w = np.where(wait == NAT, 0, wait)
        wanted = [(CAUSES.index(name), name) for name in causes]
        out = {name: np.where(self.cause == k, w, 0) for k, name in wanted}
        c = self.caps
        if c is not None and len(c.idx):
            x = w[c.idx]
            stat = scaled(x, c.stat_wait, c.wait_el)
            if "statutory" in out:
                out["statutory"][c.idx] = stat
            for k, name in wanted:
                sel = c.rest == k
                out[name][c.idx[sel]] += (x - stat)[sel]
        return out

    def cause_sums(self, wait: np.ndarray, keys: np.ndarray, n: int,
                   sel: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Total of each cause's part of ``wait`` (int64 µs per event, NAT = none) per key
        code, ``{"wait_office": ..., ...}``, float64 of the exact integer sums: the sums of
        :meth:`split` per key, in one pass. ``sel`` (sorted event positions) picks the
        events ``keys`` belongs to (one key per selected event); None = every event.

        Examples
        --------
        >>> import procmine as pm
        >>> log = pm.samples.load("permit_de")
        >>> wc, t = wait_causes(log), pm.performance(log).times
        >>> s = wc.cause_sums(t.wait, log.codes.activity, log.codes.n_activities)
        >>> all((s[f"wait_{k}"] == np.bincount(log.codes.activity, weights=v,
        ...      minlength=log.codes.n_activities)).all() for k, v in wc.split(t.wait).items())
        True
        """
        return cause_columns(self.cause_totals(wait, keys, n, sel))

    def cause_totals(self, wait: np.ndarray, keys: np.ndarray, n: int,
                     sel: np.ndarray | None = None) -> np.ndarray:
        """The sums of :meth:`cause_sums` as an ``(n, 6)`` float64 table: column 0 holds the
        events without a wait (cause -1), columns 1-4 the causes in ``CAUSES`` order, column
        5 the key's total ``wait`` (NAT counted as 0). Each is the exact integer sum,
        correctly rounded: summed in high and low parts (:func:`~procmine._core.kernels.split_sums`),
        as an int64 sum wraps past 2**63 µs on a 10 M-event log with waits of years."""
        if sel is None:
            w, cz = np.where(wait == NAT, 0, wait).astype(np.int64, copy=False), self.cause
        else:  # gathered before the where, which then works on the copy in place
            w, cz = np.asarray(wait[sel], dtype=np.int64), self.cause[sel]
            w[w == NAT] = 0
        # one bucket per (key, cause + 1): bucket 0 holds the events without a wait
        bucket = np.asarray(keys, dtype=np.int64) * 5
        bucket += cz
        bucket += 1
        high, low = (part.reshape(n, 5) for part in split_sums(bucket, w, 5 * n))
        c = self.caps
        if c is not None and len(c.idx):
            pos = c.idx
            if sel is not None:
                pos = np.searchsorted(sel, c.idx)
                found = pos < len(sel)
                found[found] = sel[pos[found]] == c.idx[found]
                pos = pos[found]
                idx = c.idx[found]
                rest, wait_el, stat_wait = c.rest[found], c.wait_el[found], c.stat_wait[found]
            else:
                idx, rest, wait_el, stat_wait = c.idx, c.rest, c.wait_el, c.stat_wait
            x = np.where(wait[idx] == NAT, 0, wait[idx]).astype(np.int64)
            beyond = x - scaled(x, stat_wait, wait_el)  # moved from statutory to the wait's other cause
            k = np.asarray(keys, dtype=np.int64)[pos] * 5
            # taken from (key, statutory), given to (key, rest): one bincount per part (its
            # integer sums are exact, so the same as adding them one by one)
            cell = np.concatenate((k + (STATUTORY + 1), k + rest.astype(np.int64) + 1))
            for part, x in ((high, beyond >> 20), (low, beyond & 0xFFFFF)):  # exact in each part
                x = x.astype(np.float64)
                part += np.bincount(cell, weights=np.concatenate((-x, x)), minlength=5 * n).reshape(n, 5)
        return np.concatenate((joined_sums(high, low), joined_sums(high.sum(axis=1), low.sum(axis=1))[:, None]), axis=1)


_CACHE: weakref.WeakKeyDictionary[EventLog, dict[Any, WaitCauses]] = weakref.WeakKeyDictionary()


def check_declarations(log: Any, waits: Mapping[str, str] | None, external: Iterable[str] | None) -> tuple:
    """Validate ``waits`` and ``external`` against the log (an EventLog, its activity
    names, or a callable returning them, called only when something is declared); the
    normalised, hashable pair."""
    if waits is None and external is None:
        return (), ()  # nothing to check against the names
    if callable(log):
        log = log()
    names = {str(a) for a in (log.codes.activity_names if isinstance(log, EventLog) else log)}
    decl_w: dict[str, str] = {}
    if waits is not None:
        if not isinstance(waits, Mapping):
            raise fail("performance", "waits", "a mapping {activity: cause}", waits)
        for act, cause in waits.items():
            if cause not in CAUSES:
                raise fail("performance", "waits", f"causes among {', '.join(CAUSES)}", f"{act!r}: {cause!r}")
            if str(act) not in names:
                raise fail("performance", "waits", "activities of the log", repr(act))
            decl_w[str(act)] = cause
    decl_e: tuple[str, ...] = ()
    if external is not None:
        if isinstance(external, str) or not isinstance(external, Iterable):
            raise fail("performance", "external", "a list of activities", external)
        decl_e = tuple(str(a) for a in external)
        unknown = [a for a in decl_e if a not in names]
        if unknown:
            raise fail("performance", "external", "activities of the log", repr(unknown[0]))
    return tuple(sorted(decl_w.items())), tuple(sorted(set(decl_e)))


def cause_columns(totals: np.ndarray) -> dict[str, np.ndarray]:
    """``{"wait_office": ..., "wait_client": ..., ...}`` (float64 µs per key) from a table of
    :meth:`WaitCauses.cause_totals` (column 0, the events without a wait, is left out)."""
    return {f"wait_{name}": totals[:, j + 1].astype(np.float64) for j, name in enumerate(CAUSES)}


def wait_causes(
    log: EventLog, *, waits: Mapping[str, str] | None = None, external: Iterable[str] | None = None
) -> WaitCauses:
    """The cause of every wait (see the module documentation); cached per log and declarations.

    Examples
    --------
    >>> import procmine as pm
    >>> log = pm.samples.load("subsidy_fr")
    >>> wc = wait_causes(log, waits={"Séance de la commission": "batch"})
    >>> sorted(set(wc.explain["cause"]))
    ['batch', 'client', 'office', 'statutory']
    """
    key = check_declarations(log, waits, external)
    per_log = _CACHE.setdefault(log, {})
    if key not in per_log:
        per_log[key] = _compute(log, dict(key[0]), key[1])
    return per_log[key]


# ---------------------------------------------------------------------------------------
# one definition for every engine: aggregates -> per-activity decisions (here, in Python)
# -> per-event assignment (numpy here; a SQL CASE in procmine.engines._sql_perf, shared by DuckDB and Spark) ->
# counts per activity and cause -> steps and explanations (here)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class WaitAggregates:
    """What the per-activity decisions read of the waits: the elapsed span of every step
    (previous completion -> completion, ``length``) and the events' calendar days and
    neighbours, as aggregates per activity code."""

    n: np.ndarray  #: known lengths per activity (float)
    s1: np.ndarray  #: their sum (float µs)
    s2: np.ndarray  #: the sum of their squares
    hist: Table  #: ``code``, ``minute`` (length // 1 min), ``n``: lengths of at least ``LONG_US``; sorted by code, minute (in memory: the activities that may have a period only, :func:`_histogram`)
    proc_median: np.ndarray | None  #: median elapsed processing per activity (NaN = none; in memory: of those that may have a period only); None without start times
    days: Table | None = None  #: ``code``, ``day`` (completion // 1 day), ``n``: events per activity and calendar day; sorted by code, day
    count: np.ndarray | None = None  #: events per activity
    again: np.ndarray | None = None  #: events directly after an event of the same activity in their case
    inside: np.ndarray | None = None  #: events while something the office sent or asked for is out (:func:`inside_windows`); None = not needed (no follow-up candidate)
    after: WaitAggregates | None = None  #: ``n``, ``s1``, ``s2``, ``hist`` of the same lengths keyed by the *previous* step's code (the time from a step's completion to the case's next completion)


LONG_US = int((_MIN_DAYS - 1) * _DAY_US)  #: shorter lengths cannot lie near a period (the histogram's floor)
MINUTE_US = 60_000_000


@dataclass(frozen=True, eq=False)
class Decisions:
    """Per activity code, what the per-event rule needs (:func:`assign_causes`)."""

    fixed: np.ndarray  #: int8: declared cause, -1 = none
    base: np.ndarray  #: int8: CLIENT for an external step, else OFFICE
    request: np.ndarray  #: bool: a request step
    parks: np.ndarray  #: bool: a request, a hold status or a follow-up (the wait after it is the client's)
    release: np.ndarray  #: bool: released in batches on a few calendar days (its waits are batch)
    follow: np.ndarray  #: bool: a follow-up (its waits while something is out are the client's)
    mark: np.ndarray  #: int8: 1 opens a window of waiting for an answer, 2 closes it (:func:`follow_up_markers`)
    period: np.ndarray  #: float µs: fixed period (NaN = none; never with a declaration)
    tol: np.ndarray  #: float µs: its tolerance (``>= 1 day``: every wait at least period - tol; else within ±tol)
    in_proc: np.ndarray  #: bool: the period is recorded as the step's processing
    period_why: list[str]
    release_why: list[str]
    after_period: np.ndarray  #: float µs: fixed period after the step, whatever comes next (NaN = none)
    after_tol: np.ndarray  #: float µs: its tolerance (as ``tol``)
    after_why: list[str]

    def frame(self, names: np.ndarray) -> pd.DataFrame:
        """The decisions as a small table (one row per activity) for a SQL join."""
        return pd.DataFrame({"activity": names.astype(str), "d_fixed": self.fixed.astype(np.int32),
                             "d_base": self.base.astype(np.int32), "d_request": self.request,
                             "d_parks": self.parks, "d_release": self.release, "d_follow": self.follow,
                             "d_mark": self.mark.astype(np.int32),
                             "d_period": np.where(np.isnan(self.period) | (self.fixed >= 0), np.nan, self.period),
                             "d_tol": self.tol, "d_after_period": self.after_period, "d_after_tol": self.after_tol})


@dataclass(frozen=True, eq=False)
class Caps:
    """The statutory waits that run past their period (sparse: those events only). Only
    the period is statutory; the time beyond it keeps the cause the wait would have
    without the period (``rest``: office, or the client's after a request...)."""

    idx: np.ndarray  #: event positions
    rest: np.ndarray  #: int8: the cause of the time beyond the period
    wait_el: np.ndarray  #: int64: the elapsed wait (previous completion -> start or completion)
    stat_wait: np.ndarray  #: float µs: the part of it inside the period
    proc_el: np.ndarray  #: int64: the elapsed processing (0 = none)
    stat_proc: np.ndarray  #: float µs: the part of it inside the period (counts for a period recorded as processing)

    @staticmethod
    def none() -> Caps:
        e = np.zeros(0, dtype=np.int64)
        return Caps(idx=e, rest=e.astype(np.int8), wait_el=e, stat_wait=e.astype(np.float64), proc_el=e,
                    stat_proc=e.astype(np.float64))


def scaled(x: np.ndarray, part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """The share ``part / whole`` (elapsed µs) of ``x`` (int64 µs of the same stretch under
    any calendar), rounded to the µs; ``x`` where ``part`` covers ``whole``. A working-time
    wait is split in the proportion of its elapsed parts. ``_duck_causes.SCALED_SQL`` does
    the same arithmetic in SQL (same operations, so the same values)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.floor(x.astype(np.float64) * (part / whole.astype(np.float64)) + 0.5)
    return np.where(part >= whole, x, np.minimum(x, np.nan_to_num(r).astype(np.int64)))


def wait_aggregates(act: np.ndarray, length: np.ndarray, proc_elapsed: np.ndarray | None, n_act: int, *,
                    ts: np.ndarray, count: np.ndarray, again: np.ndarray,
                    inside: np.ndarray | None, prev: np.ndarray | None = None) -> WaitAggregates:
    """:class:`WaitAggregates` from per-event arrays (in memory); ``ts`` the completion
    times (µs), ``count``/``again``/``inside`` per activity (see the fields), ``prev`` the
    previous event's activity code in the case (-1 = first event; None = no ``after``)."""
    ok = length != NAT
    # sums over every event, the unknown lengths weighing 0 (a sum plus 0.0 is the same
    # sum): no selection of the known ones; the unknown ones (the first events, mostly) are
    # counted apart and taken off
    xf = length.astype(np.float64)
    missing = np.flatnonzero(~ok)
    xf[missing] = 0.0
    is_long = length >= LONG_US  # the histogram's lengths (NAT lies below); a mask is 1/8 of positions
    minute = length[is_long]
    minute //= MINUTE_US  # (in place: each fresh per-event array costs its page faults)
    keys = [(act, 0)]
    if prev is not None:
        # keyed by the previous step: shifted by one, bin 0 (the first events, no previous step) is dropped
        keys.append((np.add(prev, 1, dtype=np.intp), 1))
    sums = _length_sums(keys, xf, missing, n_act)  # (xf is squared in place)
    del xf, missing
    lengths = _binned_lengths(*sums[0], act[is_long], minute)
    after = None
    if prev is not None:
        long_key = keys[1][0][is_long]
        has = long_key > 0
        long_prev = long_key[has]
        long_prev -= 1
        after = _binned_lengths(*sums[1], long_prev, minute[has])
    del keys
    med = None
    if proc_elapsed is not None:
        # read for the steps with a period only (in_proc): those that may have one (their
        # histogram rows), the others NaN
        may = np.zeros(n_act, dtype=bool)
        may[lengths.hist["code"]] = True
        med = np.full(n_act, np.nan)
        if may.any():
            pick = proc_elapsed != NAT
            if not may.all():
                pick &= np.take(may, act)
            med = group_median(act[pick], proc_elapsed[pick], n_act)
    return WaitAggregates(n=lengths.n, s1=lengths.s1, s2=lengths.s2, hist=lengths.hist, proc_median=med,
                          days=_day_counts(act, ts, n_act), count=np.asarray(count, dtype=np.int64),
                          again=np.asarray(again, dtype=np.int64), inside=inside, after=after)


def _day_counts(act: np.ndarray, ts: np.ndarray, n_act: int) -> Table:
    """``code``, ``day``, ``n``: events per activity and calendar day of completion (the
    ``days`` of :class:`WaitAggregates`), sorted by code, day."""
    t_ok = ts != NAT
    day = ts[t_ok] if not t_ok.all() else ts
    day = day // _DAY_US
    first_day = int(day.min()) if len(day) else 0
    day -= first_day
    n_days = int(day.max()) + 1 if len(day) else 1
    # (activity, day) counted in a dense table when it is small (as almost always), else sorted
    key = act[t_ok].astype(np.int64) if not t_ok.all() else act.astype(np.int64)
    key *= n_days
    key += day
    d_key, d_n = key_counts(key, n_act * n_days)
    return {"code": d_key // n_days, "day": d_key % n_days + first_day, "n": d_n}


def _length_sums(keys: list[tuple[np.ndarray, int]], xf: np.ndarray, missing: np.ndarray | None,
                 n_act: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(n, s1, s2)`` per ``(key, first)`` of ``keys``: the known lengths, their sum and the
    sum of their squares by ``key`` (bins ``first`` on are the activity codes), of ``xf``
    (the lengths in float µs, 0 where unknown) and ``missing`` (the positions of the
    unknown lengths, not counted in ``n``; None = none).

    ``xf`` is overwritten: squared in place once every ``s1`` is summed. A fresh array of
    squares per key cost its page faults (about 0.15 s each on 10 M events here) and 80 MB
    of peak; the bincounts add the same values in the same order either way."""
    # bincount takes platform integers: converted once here, not by each of its three calls
    keys = [(key.astype(np.intp, copy=False), first) for key, first in keys]
    out: list[list[np.ndarray]] = []
    for key, first in keys:
        n = np.bincount(key, minlength=n_act + first)
        if missing is not None and len(missing):
            n -= np.bincount(key[missing], minlength=n_act + first)
        out.append([n[first:].astype(np.float64), np.bincount(key, weights=xf, minlength=n_act + first)[first:]])
    np.multiply(xf, xf, out=xf)
    for (key, first), o in zip(keys, out):
        o.append(np.bincount(key, weights=xf, minlength=n_act + first)[first:])
    return [(n, s1, s2) for n, s1, s2 in out]


def _binned_lengths(n: np.ndarray, s1: np.ndarray, s2: np.ndarray, long_code: np.ndarray,
                    minute: np.ndarray) -> WaitAggregates:
    """The length part of :class:`WaitAggregates` (what :func:`_periods` reads): the sums
    of :func:`_length_sums` and the histogram from the codes and minutes of the lengths of
    at least ``LONG_US``."""
    return WaitAggregates(n=n, s1=s1, s2=s2, hist=_histogram(long_code, minute, n, s1, s2), proc_median=None)


def _histogram(code: np.ndarray, minute: np.ndarray, n: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> Table:
    """``code``, ``minute``, ``n``: the long lengths counted per activity and minute, sorted;
    only the rows of the activities that may have a period (:func:`_period_candidates`):
    :func:`_periods` reads no other activity's rows."""
    n_act = len(n)
    todo = _period_candidates(n, s1, s2, np.bincount(code, minlength=n_act)[:n_act])[0]
    sel = todo[code]
    if not sel.all():
        code, minute = code[sel], minute[sel]
    if not len(code):
        e = np.zeros(0, dtype=np.int64)
        return {"code": e, "minute": e, "n": e}
    # (code, minute) combined into one key: in 32 bits when it fits (half the bytes to sort)
    bits = max(int(minute.max()).bit_length(), 1)
    wide = (n_act - 1).bit_length() + bits > 31
    dtype = np.int64 if wide else np.int32
    key = code.astype(dtype)
    key <<= bits
    np.bitwise_or(key, minute, out=key, casting="unsafe")  # (minute < 2**bits: it fits)
    # keys that repeat (waits of whole days) are counted in a hash table; distinct ones in one
    # dense table when each activity's minutes span a narrow range; else sorted
    hashed = repeated_key_counts(key)
    if hashed is not None:
        key, counts = hashed
    elif len(key) >= 1 << 16 and (dense := _dense_histogram(code, minute, n_act)) is not None:
        return dense
    else:
        key.sort()
        starts = np.flatnonzero(run_starts(key))
        counts = np.diff(np.append(starts, len(key)))
        key = key[starts]
    key = key.astype(np.int64, copy=False)
    return {"code": key >> bits, "minute": key & ((1 << bits) - 1), "n": counts}


def _dense_histogram(code: np.ndarray, minute: np.ndarray, n_act: int) -> Table | None:
    """:func:`_histogram`'s counts by one ``bincount`` when each activity's minutes span a
    range that, laid end to end over the activities, stays about as small as the values
    (waits of a few months to years at minute resolution, on a big log): no sort, which
    costs ~40 ns a value here against a few for the count. None when the ranges are too
    wide (the caller sorts)."""
    lo = np.full(n_act, np.iinfo(np.int64).max)
    hi = np.full(n_act, -1, dtype=np.int64)
    np.minimum.at(lo, code, minute)
    np.maximum.at(hi, code, minute)
    span = np.where(hi >= 0, hi - lo + 1, 0)
    ends = np.cumsum(span)
    if ends[-1] > 2 * len(code) + (1 << 20):
        return None
    off = ends - span
    counts = np.bincount(off[code] + (minute - lo[code]), minlength=int(ends[-1]))
    at = np.flatnonzero(counts)
    c = np.searchsorted(ends, at, side="right")  # the activity whose range holds each count
    return {"code": c.astype(np.int64, copy=False), "minute": at - off[c] + lo[c], "n": counts[at].astype(np.int64)}


def _length_aggregates(act: np.ndarray, x: np.ndarray, n_act: int) -> WaitAggregates:
    """The length part of :class:`WaitAggregates` from the known lengths ``x`` (µs) and their
    activity codes."""
    long_at = np.flatnonzero(x >= LONG_US)
    sums = _length_sums([(act, 0)], x.astype(np.float64), None, n_act)[0]
    return _binned_lengths(*sums, act[long_at], x[long_at] // MINUTE_US)


def _period_candidates(n_all: np.ndarray, s1: np.ndarray, s2: np.ndarray,
                       long_n: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per activity, from its lengths' count, sum, sum of squares and count of long ones:
    whether it may have a fixed period (enough waits, some long, and a quarter of them long
    or the lengths steady), whether they are steady, their coefficient of variation and
    the share of long ones (:func:`_periods`)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n_all
        cv_all = np.sqrt(np.maximum(s2 / n_all - mean * mean, 0.0)) / mean
        steady = (cv_all < 0.1) & (mean >= _MIN_DAYS * _DAY_US)
        long_share = long_n / n_all
    todo = (n_all >= _MIN_EVENTS) & (long_n > 0) & ((long_share >= 0.25) | steady)
    return todo, steady, cv_all, long_share


def fixed_periods(act: np.ndarray, length: np.ndarray, n_act: int) -> tuple[np.ndarray, list[str]]:
    """Per activity code: the fixed number of calendar days its ``length`` values (elapsed
    µs, NAT = none) cluster at, by the rule of the ``statutory`` cause (µs, NaN = none), and
    why. Used for waits and for the intervals between repetitions (planned follow-ups)."""
    ok = length != NAT
    period, _, why = _periods(_length_aggregates(act[ok], length[ok], n_act), n_act)
    return period, why


def self_repeats(edges: Table, n_act: int) -> np.ndarray:
    """Per activity: events directly after an event of the same activity (from the
    directly-follows pairs of :class:`procmine.waits._steps.StepAggregates`)."""
    src = table_column(edges, "src", np.int64)
    loop = src == table_column(edges, "dst", np.int64)
    return np.bincount(src[loop], weights=table_column(edges, "n", np.float64)[loop], minlength=n_act).astype(np.int64)


def follow_up_markers(steps: Table) -> np.ndarray:
    """Per activity: 1 when the step leaves the case waiting for an answer (a request, or
    the office sends something), 2 when the outside world answers (an external step), else 0."""
    opener = table_column(steps, "request", bool) | table_column(steps, "outbound", bool)
    return np.where(opener, 1, np.where(table_column(steps, "external", bool), 2, 0)).astype(np.int8)


def follow_up_candidates(mark: np.ndarray, count: np.ndarray, again: np.ndarray) -> np.ndarray:
    """Per activity: may be a follow-up (enough events, at least half of them directly after
    itself, neither opening nor closing a window); whether it is done while something is
    out (:func:`inside_windows`) decides. Engines count the events inside windows only
    when some activity is a candidate."""
    if not (mark == 1).any():
        return np.zeros(len(mark), dtype=bool)
    return (count >= _MIN_EVENTS) & (again >= 0.5 * count) & (mark == 0)


def inside_windows(act: np.ndarray, case: np.ndarray, mark: np.ndarray) -> np.ndarray:
    """Per event: the last opening or closing step before it in its case opens a window
    (something the office sent or asked for is out). Forward fill by index, no loop."""
    n = len(act)
    inside = np.zeros(n, dtype=bool)
    if n < 2:
        return inside
    m = mark[act]
    idx = np.where(m > 0, np.arange(n), -1)
    last = np.maximum.accumulate(np.concatenate(([-1], idx[:-1])))
    valid = last >= 0
    same = np.zeros(n, dtype=bool)
    same[valid] = case[last[valid]] == case[valid]
    inside[same] = m[last[same]] == 1
    return inside


def _weighted_median(values: np.ndarray, counts: np.ndarray) -> float:
    """``np.median`` of ``values`` repeated ``counts`` times (values sorted)."""
    cum = np.cumsum(counts)
    k = int(cum[-1])
    lo = values[np.searchsorted(cum, (k - 1) // 2, side="right")]
    hi = values[np.searchsorted(cum, k // 2, side="right")]
    return float((lo + hi) / 2)


def _periods(agg: WaitAggregates, n_act: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per activity: the fixed period (µs, NaN = none), the tolerance around it, and why.

    Only lengths of at least ``_MIN_DAYS - 1`` days can lie in a window around a period of
    ``_MIN_DAYS`` or more: those alone are counted per minute (the histogram); the shares
    are of all the activity's waits. The densest window of every activity is found for all
    activities at once (:func:`_densest`); only a window dense enough gets its centre."""
    period = np.full(n_act, np.nan)
    tol = np.zeros(n_act)
    why = [""] * n_act
    n_all = agg.n
    h = agg.hist
    a = table_column(h, "code", np.int64)
    minute = table_column(h, "minute", np.int64)  # distinct lengths (to the minute) per activity
    c_all = table_column(h, "n", np.int64)  # with their counts
    # a window holds at most the activity's long lengths: with fewer than a quarter of its
    # waits long, no window reaches the smaller share (and only the variation test is left)
    long_n = np.bincount(a, weights=c_all, minlength=n_act)[:n_act]
    todo, steady, cv_all, long_share = _period_candidates(n_all, agg.s1, agg.s2, long_n)
    # the densest ±1 day window, and the densest ±1 hour window
    for half, share_min in ((_DAY_US, 0.6), (_HOUR_US, 0.25)):
        need = todo & (long_share >= share_min)  # the others' windows cannot reach the share
        if not need.any():
            continue
        rows = need[a]  # the rows of those activities (an activity's figures read its own rows only)
        ar, mr, cr = a[rows], minute[rows], c_all[rows]
        # nor can those whose fullest three adjacent buckets of the window's width
        with np.errstate(invalid="ignore", divide="ignore"):
            need &= _window_bound(ar, mr, cr, n_act, half // MINUTE_US) / n_all >= share_min
        if not need.any():
            continue
        keep = need[ar]
        if not keep.all():
            ar, mr, cr = ar[keep], mr[keep], cr[keep]
        x = mr.astype(np.float64) * MINUTE_US
        lo, hi, inside, best = _densest(ar, mr, x, cr, np.flatnonzero(need), half)
        for code in np.flatnonzero(need):
            b, total = best[code], n_all[code]
            share = inside[b] / total
            if share < share_min:
                continue
            centre = _weighted_median(x[lo[b]:hi[b]], cr[lo[b]:hi[b]])
            if centre >= _MIN_DAYS * _DAY_US:
                period[code], tol[code] = centre, half
                why[code] = (f"fixed period of {centre / _DAY_US:.0f} calendar days: {share:.0%} of "
                             f"{int(total)} waits within ±{'1 day' if half == _DAY_US else '1 hour'} of it")
                todo[code] = False
    left = np.flatnonzero(todo & steady)
    if len(left):
        bounds = np.searchsorted(a, np.arange(n_act + 1))
        for code in left:
            b0, b1 = bounds[code], bounds[code + 1]
            med = _weighted_median(minute[b0:b1].astype(np.float64) * MINUTE_US, c_all[b0:b1])
            period[code], tol[code] = med, _DAY_US
            why[code] = f"fixed period of about {med / _DAY_US:.0f} calendar days (variation {cv_all[code]:.2f})"
    return period, tol, why


def _window_bound(a: np.ndarray, minute: np.ndarray, cnt: np.ndarray, n_act: int, width: int) -> np.ndarray:
    """Per activity, at least the lengths any window of ±``width`` minutes holds: a window
    around a length in bucket ``b`` (minutes // width) lies in buckets ``b - 1`` to ``b + 1``;
    the most those hold (rows sorted by activity, minute: buckets in runs, no sort)."""
    key = a << 40 | minute // width
    if not len(key):
        return np.zeros(n_act)
    run = np.flatnonzero(run_starts(key))
    k, n = key[run], np.add.reduceat(cnt, run)
    three = n.copy()
    three[1:] += np.where(k[:-1] == k[1:] - 1, n[:-1], 0)
    three[:-1] += np.where(k[1:] == k[:-1] + 1, n[1:], 0)
    out = np.zeros(n_act)
    ka = k >> 40  # sorted: each activity's buckets are one run (a reduceat, not the slow np.maximum.at)
    first = np.flatnonzero(run_starts(ka))
    out[ka[first]] = np.maximum.reduceat(three, first)
    return out


_EXACT_MINUTES = (1 << 53) // MINUTE_US  #: below this many minutes, a length in float µs is exact


def _densest(a: np.ndarray, minute: np.ndarray, x: np.ndarray, cnt: np.ndarray, codes: np.ndarray,
             half: int) -> tuple[np.ndarray, ...]:
    """The windows ``[lo, hi)`` of histogram rows within ±``half`` µs of each row (same
    activity), the lengths ``inside`` each, and per activity the row of its densest window
    (the first at the maximum); the rows are those of the activities ``codes``.

    The rows (sorted by activity, minute) are searched all at once on the integer keys
    (activity, minute): the same windows as a search per activity on the float lengths while
    those are exact (up to 285 years) and no window reaches past the histogram's minute
    range; else (lengths from broken timestamps) per activity of ``codes``, on the floats."""
    hm = half // MINUTE_US
    bounds = np.searchsorted(a, np.arange(int(codes.max()) + 2))  # the rows of each activity (codes: not empty)
    if not len(minute) or (minute.min() >= hm and minute.max() < _EXACT_MINUTES):
        key = a << 40 | minute
        lo, hi = np.searchsorted(key, key - hm, side="left"), np.searchsorted(key, key + hm, side="right")
    else:
        lo, hi = np.zeros(len(minute), dtype=np.int64), np.zeros(len(minute), dtype=np.int64)
        for code in codes:
            b0, b1 = bounds[code], bounds[code + 1]
            u = x[b0:b1]
            lo[b0:b1] = b0 + np.searchsorted(u, u - half, side="left")
            hi[b0:b1] = b0 + np.searchsorted(u, u + half, side="right")
    cum = np.concatenate(([0], np.cumsum(cnt)))
    inside = cum[hi] - cum[lo]
    best = np.zeros(len(bounds) - 1, dtype=np.int64)
    if len(inside):
        has = bounds[1:] > bounds[:-1]
        starts = bounds[:-1][has]
        top = np.maximum.reduceat(inside, starts)
        rows = np.arange(len(inside))
        at_top = inside == np.repeat(top, np.diff(np.concatenate((starts, [len(inside)]))))
        best[has] = np.minimum.reduceat(np.where(at_top, rows, len(inside)), starts)
    return lo, hi, inside, best


def _releases(days: Table, n_act: int) -> tuple[np.ndarray, list[str]]:
    """Per activity: released in batches on a handful of calendar days (see ``batch`` in the
    module documentation), and why, from its events per calendar day."""
    release = np.zeros(n_act, dtype=bool)
    why = [""] * n_act
    key_act = table_column(days, "code", np.int64)
    if not len(key_act):
        return release, why
    day = table_column(days, "day", np.int64)
    per_day = table_column(days, "n", np.int64)
    n_ev = np.bincount(key_act, weights=per_day, minlength=n_act).astype(np.int64)
    # rows are sorted by code: per activity its span of days, then its day counts largest first
    starts = np.flatnonzero(run_starts(key_act))
    span = np.zeros(n_act, dtype=np.int64)
    span[key_act[starts]] = np.maximum.reduceat(day, starts) - np.minimum.reduceat(day, starts) + 1
    # the busiest day bounds what the fewest days can hold (``need * busiest >= share``):
    # fewer than 10 events on it, or too few such days in the span to hold the share, and
    # the step cannot pass (as almost always): no sort (the margin keeps float rounding
    # from dropping a step that passes)
    busiest = np.zeros(n_act, dtype=np.int64)
    busiest[key_act[starts]] = np.maximum.reduceat(per_day, starts)
    can = (n_ev >= _RELEASE_MIN_EVENTS) & (span >= 2 * _RELEASE_DAYS_PER) & (busiest >= _RELEASE_MIN_PER_DAY)
    can &= _RELEASE_SHARE * n_ev * _RELEASE_DAYS_PER <= busiest * span * (1 + 1e-9)
    keep = can[key_act]
    if not keep.any():
        return release, why
    k, c = key_act[keep], per_day[keep]
    # by activity, then count descending: one sort of combined keys, decoded (equal keys are
    # equal rows, so their order does not matter)
    top = int(c.max()) + 1
    if (int(k.max()) + 1) * top < 1 << 62:
        comb = np.sort(k * top + (top - 1 - c))
        k, c = comb // top, top - 1 - comb % top
    else:
        order = np.lexsort((-c, k))
        k, c = k[order], c[order]
    first = np.flatnonzero(run_starts(k))
    codes = k[first]
    cum = np.cumsum(c)
    within = cum - np.repeat(cum[first] - c[first], np.diff(np.concatenate((first, [len(k)]))))  # cumulative per activity
    # the fewest days holding the share: the days whose running total is still below it, and one more
    need = np.bincount(k, weights=within < _RELEASE_SHARE * n_ev[k], minlength=n_act).astype(np.int64)[codes] + 1
    top = within[first + need - 1]  # events on those days
    ok = (need <= span[codes] / _RELEASE_DAYS_PER) & (top >= _RELEASE_MIN_PER_DAY * need)
    for code, n_days, on in zip(codes[ok], need[ok].tolist(), top[ok]):
        release[code] = True
        # a note: the report shows it in its language
        why[code] = note("released in batches: {share:.0%} of its {n} events on {days} calendar day(s) in {years:.1f} years",
                         share=float(on / n_ev[code]), n=int(n_ev[code]), days=int(n_days),
                         years=int(span[code]) / 365.25)
    return release, why


def decide_causes(names: np.ndarray, steps: Table, agg: WaitAggregates, waits: Mapping[str, str]) -> Decisions:
    """The per-activity decisions from the step classification (the frame of
    :func:`procmine.waits._steps.decide_steps`, or its columns) and the wait aggregates."""
    n_act = len(names)
    period, tol, period_why = _periods(agg, n_act)
    is_ext = table_column(steps, "external", bool)
    is_req = table_column(steps, "request", bool)
    declared = np.full(n_act, -1, dtype=np.int8)
    for a, cz in waits.items():
        declared[names == a] = CAUSES.index(cz)
    # a period recorded as a step lasting it: the step's processing is (most of) the period
    in_proc = np.zeros(n_act, dtype=bool)
    if agg.proc_median is not None:
        with np.errstate(invalid="ignore"):
            in_proc = ~np.isnan(period) & (agg.proc_median >= 0.5 * period)
    release, release_why = _releases(agg.days, n_act)
    # a period that runs after a step, whatever step comes next (absorbed by the first of a
    # pair done in either order): the same rule on the time to the case's next event
    # (not after a request or hold: the wait after it is the applicant's as a whole)
    mark = follow_up_markers(steps)
    follow = np.zeros(n_act, dtype=bool)
    if agg.inside is not None:
        # a chase: repeated back to back, and done (nearly) only while an answer is awaited
        follow = follow_up_candidates(mark, agg.count, agg.again) & (agg.inside >= 0.8 * agg.count)
    # a chase asks for the answer again: what the case does next (a new offer, a
    # cancellation) waits for that answer, as after a request
    parks = is_req | table_column(steps, "hold", bool) | follow
    after_period, after_tol, after_why = np.full(n_act, np.nan), np.zeros(n_act), [""] * n_act
    if agg.after is not None:
        after_period, after_tol, after_why = _periods(agg.after, n_act)
        after_period[parks] = np.nan
    return Decisions(fixed=declared, base=np.where(is_ext, CLIENT, OFFICE).astype(np.int8), request=is_req,
                     parks=parks, release=release, follow=follow, mark=mark,
                     period=period, tol=tol, in_proc=in_proc, period_why=period_why, release_why=release_why,
                     after_period=after_period, after_tol=after_tol, after_why=after_why)


def assign_causes(d: Decisions, act: np.ndarray, first: np.ndarray, wait_elapsed: np.ndarray,
                  proc_elapsed: np.ndarray | None, inside: np.ndarray | None, *,
                  length: np.ndarray | None = None,
                  ) -> tuple[np.ndarray, np.ndarray, Caps, np.ndarray]:
    """The per-event rule (numpy; ``_duck_causes.CAUSE_SQL`` is the same rule in SQL): the
    declared cause; else statutory when the step's span reaches its fixed period, or
    reaches the fixed period after the previous step; else batch for a step released on a
    few days; else client right after a request, a hold or a follow-up (until the case moves on to
    another request step; the same request repeated right after itself chases the open one and
    keeps the case waiting for the applicant), or for a follow-up while something is out; else the step's
    base cause. -1 for the first event of a case.

    Also returns whether each wait follows a request or hold (for the explanation), the
    statutory waits that run past their period (:class:`Caps`: only the period is
    statutory, the rest keeps the cause the wait would have without it) and the positions
    of the waits statutory by the previous step's period (not by their own step's).

    ``proc_elapsed`` None means no processing time is known (a log without start times);
    ``length`` (the step's span, :func:`_compute`) is computed here (for the events that
    need it) when not given. The rules per activity are
    looked up once per event (small tables indexed by the code); the statutory test runs
    on the events of steps with a period only.
    """
    n = len(act)
    declared = d.fixed >= 0
    any_declared = bool(declared.any())
    # per activity: the cause before the sequential rules (declared, else batch for a
    # release step, else the base); a release overrides the client's wait after a request
    lut = np.where(declared, d.fixed, np.where(d.release, BATCH, d.base)).astype(np.int8)
    # (np.take and np.putmask: per-event lookups in these small tables and masked writes,
    # faster than indexing with int32 codes or boolean masks)
    cause = np.take(lut, act)
    after_request = np.zeros(n, dtype=bool)
    if d.parks.any() and n > 1:
        after_request[1:] = np.take(d.parks, act[:-1])
        after_request &= ~first
        # another request closes the window, except the same request done again right after
        # itself (a call tried again, a reminder): it chases the open request, and the case
        # still waits for the applicant (as incomplete_submission counts it)
        again = np.zeros(n, dtype=bool)
        again[1:] = act[1:] == act[:-1]
        after_request &= np.take(~d.request, act) | again
        client_ok = ~declared & ~d.release
        np.putmask(cause, after_request & np.take(client_ok, act) if not client_ok.all() else after_request, CLIENT)
    if d.follow.any() and inside is not None:
        follow_ok = d.follow & ~declared
        np.putmask(cause, np.take(follow_ok, act) & inside & (cause == OFFICE), CLIENT)
    caps = Caps.none()
    by_prev = np.zeros(0, dtype=np.int64)
    has_p = ~np.isnan(d.period) & ~declared
    has_a = ~np.isnan(d.after_period)
    if has_p.any() or has_a.any():
        def span(idx: np.ndarray) -> np.ndarray:
            if length is not None:
                return length[idx]
            w = wait_elapsed[idx]
            p_ = np.zeros(len(idx), dtype=np.int64) if proc_elapsed is None else proc_elapsed[idx]
            return np.where(w == NAT, NAT, w + np.where(p_ == NAT, 0, p_))

        stat, x_stat, period, by_prev = _statutory_hits(d, act, first, span, (has_p, has_a),
                                                         declared if any_declared else None)
        # the period runs from the previous completion: what lies beyond it is not statutory
        over = x_stat > period
        c, pc = stat[over], period[over]
        w_el = wait_elapsed[c]
        pr_el = np.zeros(len(c), dtype=np.int64) if proc_elapsed is None else proc_elapsed[c]
        pr_el = np.where(pr_el == NAT, 0, pr_el)
        caps = Caps(idx=c, rest=cause[c].copy(), wait_el=w_el, stat_wait=np.minimum(w_el.astype(np.float64), pc),
                    proc_el=pr_el, stat_proc=np.minimum(pr_el.astype(np.float64), np.maximum(pc - w_el, 0.0)))
        cause[stat] = STATUTORY
    unknown = wait_elapsed == NAT
    unknown |= first
    np.putmask(cause, unknown, -1)
    return cause, after_request, caps, by_prev


def _statutory_hits(d: Decisions, act: np.ndarray, first: np.ndarray, span: Callable[[np.ndarray], np.ndarray],
                    kinds: tuple[np.ndarray, np.ndarray], declared: np.ndarray | None,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The statutory waits of :func:`assign_causes`: their positions (ascending), spans and
    periods, and the positions of those statutory by the previous step's period. ``kinds``:
    per activity, a period of its own (not declared) and one after it; ``declared``: the
    declared activities (None: none)."""
    hits: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    n = len(act)
    hit = np.zeros(n, dtype=bool)
    by_prev = np.zeros(0, dtype=np.int64)
    # the event's period: its own step's when its span reaches it, else the previous step's
    for k, (per, tol, has) in enumerate(((d.period, d.tol, kinds[0]), (d.after_period, d.after_tol, kinds[1]))):
        if not has.any():
            continue
        if k == 0:
            idx = np.flatnonzero(np.take(has, act))
        else:
            # the previous event's step (none for a case's first event, dropped below)
            idx = np.flatnonzero(np.take(has, act[:-1])) + 1
            if declared is not None:
                idx = idx[~declared[act[idx]]]
        x = span(idx)
        keep = (x != NAT) & ~first[idx]
        if hits:  # (none is hit before the first kind)
            keep &= ~hit[idx]
        idx, x = np.compress(keep, idx), np.compress(keep, x)
        cz = np.take(act, idx if k == 0 else idx - 1)
        p, t = np.take(per, cz), np.take(tol, cz)
        # a full period (±1 day kind): every wait at least as long; a partial one (±1 hour): only those at it
        ok = np.where(t >= _DAY_US, x >= p - t, np.abs(x - p) <= t)
        idx_ok = np.compress(ok, idx)
        if k == 1:
            by_prev = idx_ok
        hit[idx_ok] = True
        hits.append((idx_ok, np.compress(ok, x), np.compress(ok, p)))
    if len(hits) == 1:  # one kind: its positions are ascending already
        return (*hits[0], by_prev)
    # each kind's positions ascend and the kinds' are distinct (``hit``): merged in event
    # order by scattering them (no sort)
    stat = np.flatnonzero(hit)
    x_at, p_at = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.float64)
    for h_idx, h_x, h_p in hits:
        x_at[h_idx], p_at[h_idx] = h_x, h_p
    return stat, x_at[stat], p_at[stat], by_prev


def after_pairs(prev: np.ndarray, act: np.ndarray, n_act: int) -> pd.DataFrame:
    """The waits statutory by the previous step's period counted per (previous step, step):
    ``src``, ``dst``, ``n`` (codes), sorted by ``dst`` then ``n`` descending then ``src``."""
    key, n = np.unique(prev.astype(np.int64) * n_act + act, return_counts=True)
    return _sorted_pairs(pd.DataFrame({"src": key // n_act, "dst": key % n_act, "n": n.astype(np.int64)}))


def _sorted_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    return pairs.assign(neg=-pairs["n"]).sort_values(["dst", "neg", "src"], kind="stable").drop(
        columns="neg").reset_index(drop=True)


def finish(names: np.ndarray, steps: pd.DataFrame, d: Decisions, counts: np.ndarray, req_n: np.ndarray,
           waits: Mapping[str, str], follow_n: np.ndarray, cap_n: np.ndarray,
           after: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``steps`` (with ``period_days``, ``period_after_days``, ``inherited_period_days`` and
    ``cause``) and ``explain`` from the waits counted per activity and cause (``counts``:
    n_act x 4), the client waits right after a request or hold (``req_n``), those of a
    follow-up (``follow_n``), the statutory waits that run past their period (``cap_n``),
    per activity, and the waits statutory by the previous step's period per (previous
    step, step) (``after``: ``src``, ``dst``, ``n``; None = none)."""
    n_act = len(names)
    if after is None:
        after = pd.DataFrame({"src": np.zeros(0, np.int64), "dst": np.zeros(0, np.int64), "n": np.zeros(0, np.int64)})
    after = _sorted_pairs(after[after["n"] > 0])
    src, dst = after["src"].to_numpy(dtype=np.int64), after["dst"].to_numpy(dtype=np.int64)
    after_n = np.bincount(dst, weights=after["n"].to_numpy(dtype=np.float64), minlength=n_act).astype(np.int64)
    # the period a step's waits inherit: that of the previous step most of them follow
    inherited = np.full(n_act, np.nan)
    main = run_starts(dst) if len(dst) else np.zeros(0, dtype=bool)
    inherited[dst[main]] = d.after_period[src[main]]
    steps = steps.copy()
    steps["period_days"] = np.round(d.period / _DAY_US, 1)
    steps["period_after_days"] = np.round(d.after_period / _DAY_US, 1)
    steps["inherited_period_days"] = np.round(inherited / _DAY_US, 1)
    steps["cause"] = np.where(counts.sum(axis=1) > 0, np.asarray(CAUSES, dtype=object)[counts.argmax(axis=1)], "")
    return steps, _explain(names, counts, req_n, steps, dict(waits), d, follow_n, cap_n, after, after_n)


def _cause_counts(act: np.ndarray, cause: np.ndarray, after_request: np.ndarray, inside: np.ndarray | None,
                  d: Decisions, caps: Caps, n_act: int) -> tuple[np.ndarray, ...]:
    """What the tables of :func:`_compute` count per activity: its waits per cause (n_act x
    4), the client waits right after a request or hold, those of a follow-up, and the
    statutory waits that run past their period."""
    ok = cause >= 0
    key = act.astype(np.int64) * 4
    key += cause
    counts = np.bincount(key[ok], minlength=4 * n_act).reshape(n_act, 4)
    del key
    req_n = np.bincount(act[after_request & ok & (cause == CLIENT)], minlength=n_act)
    follow_n = np.zeros(n_act, dtype=np.int64)
    if inside is not None:
        follow_n = np.bincount(act[d.follow[act] & inside & (cause == CLIENT) & ~after_request], minlength=n_act)
    return counts, req_n, follow_n, np.bincount(act[caps.idx], minlength=n_act)


def _compute(log: EventLog, waits: dict[str, str], external: tuple[str, ...]) -> WaitCauses:
    c = log.codes
    n_act = c.n_activities
    names = np.asarray(c.activity_names, dtype=object)
    act = c.activity
    # elapsed times only (the classification is the same under any calendar)
    wait_elapsed, proc_elapsed, has_start = elapsed_times(c)
    first = c.is_first
    sagg = step_aggregates(log)
    flags = step_flags(sagg, external=external)  # the frame of decide_steps only with the tables
    # elapsed previous completion -> completion: the step's whole span, a period may be
    # recorded as a wait or as a system step lasting it
    if proc_elapsed is None:
        length = wait_elapsed
    else:
        length = np.where(wait_elapsed == NAT, NAT, wait_elapsed + np.where(proc_elapsed == NAT, 0, proc_elapsed))
    again = self_repeats(sagg.edges, n_act)
    mark = follow_up_markers(flags)
    inside = inside_n = None
    if follow_up_candidates(mark, sagg.count, again).any():
        inside = inside_windows(act, c.case, mark)
        inside_n = np.bincount(act[inside], minlength=n_act)
    prev = np.empty(len(act), dtype=act.dtype)  # the previous step in the case, -1 = none
    prev[:1] = -1
    prev[1:] = act[:-1]
    prev[c.case_offsets[:-1]] = -1  # the first events (``first``), by position
    agg = wait_aggregates(act, length, proc_elapsed if has_start else None, n_act, ts=c.ts,
                          count=sagg.count, again=again, inside=inside_n, prev=prev)
    d = decide_causes(names, flags, agg, waits)
    cause, after_request, caps, by_prev = assign_causes(d, act, first, wait_elapsed, proc_elapsed, inside,
                                                        length=length)
    prev_by, act_by = prev[by_prev], act[by_prev]
    del prev  # (a per-event array the tables need not keep)

    def tables() -> tuple[pd.DataFrame, pd.DataFrame]:  # on first access of steps or explain
        # the counts per activity too: the frames of performance() read the causes only
        counts, req_n, follow_n, cap_n = _cause_counts(act, cause, after_request, inside, d, caps, n_act)
        return finish(names, steps_frame(sagg.names, flags), d, counts, req_n, waits, follow_n, cap_n,
                      after_pairs(prev_by, act_by, n_act))

    return WaitCauses(cause=cause, period_in_processing=d.in_proc, caps=caps, by_prev=by_prev, tables=tables)


def _explain(names: np.ndarray, counts: np.ndarray, req_n: np.ndarray, steps: pd.DataFrame,
             waits: dict[str, str], d: Decisions, follow_n: np.ndarray, cap_n: np.ndarray,
             after: pd.DataFrame, after_n: np.ndarray) -> pd.DataFrame:
    """One row per activity and cause its waits have, with the reason."""
    rows = []
    step_why = steps["why"].tolist()
    a_src, a_dst = after["src"].to_numpy(dtype=np.int64), after["dst"].to_numpy(dtype=np.int64)
    for a, k in zip(*np.nonzero(counts)):
        name = str(names[a])
        if name in waits:
            why = f"declared: waits={{{name!r}: {waits[name]!r}}}"
        elif k == STATUTORY:
            parts = [d.period_why[a]] if counts[a, k] > after_n[a] else []
            if after_n[a]:
                prev = a_src[a_dst == a][:3]
                parts.append(f"{after_n[a]} wait(s) after a step that cases leave only after a fixed period, whatever "
                             "step comes next: " + "; ".join(f"'{names[p]}' ({d.after_why[p]})" for p in prev))
            why = "; ".join(parts)
            if cap_n[a]:
                why += (f"; {cap_n[a]} wait(s) run past it: only the period is statutory, the time beyond it "
                        "keeps the wait's other cause (the office's, or the client's)")
        elif k == CLIENT:
            parts = []
            if steps["external"].iloc[a]:
                parts.append(f"the outside world triggers this step ({step_why[a]})")
            if req_n[a]:
                parts.append(f"{req_n[a]} wait(s) right after a request to the applicant or a third party, a hold or a follow-up")
            if follow_n[a] and not steps["external"].iloc[a]:
                parts.append(f"{follow_n[a]} wait(s) of a follow-up: the step is done while something the office "
                             "sent or asked for is out (before the answer)")
            why = "; ".join(parts)
        elif k == OFFICE:
            why = "queue in the office (no request before it, not external, no fixed period)"
            if not np.isnan(steps["period_days"].iloc[a]):
                why += "; shorter than the step's fixed period"
        else:
            why = d.release_why[a] or "batch"
        rows.append((name, CAUSES[k], int(counts[a, k]), why))
    out = pd.DataFrame(rows, columns=[ACTIVITY, "cause", "events", "why"]).rename(columns={ACTIVITY: "activity"})
    # (objects: a reason that is a reader's note stays one, for the report to translate)
    out["why"] = pd.Series([w for *_, w in rows], index=out.index, dtype=object)
    return out
