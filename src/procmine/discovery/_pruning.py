"""What the miner of :func:`procmine.discover` sees: the activities (the most frequent, a
number or a list; see :func:`select_activities`) and then the variants it is given, and a
record of what was left out (:attr:`procmine.discovery.ProcessModel.pruning`).

Shared with the engines that keep the events out of memory (:func:`project_variants`); the names used
elsewhere are re-exported by :mod:`procmine.discovery`.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from .._core.dfg import variant_codes
from .._core.validation import fail
from ..log import EventLog

__all__ = ["project_variants", "select_activities"]

logger = logging.getLogger("procmine")

_DEFAULT_ACTIVITY_SHARE = 0.9
_DEFAULT_VARIANT_SHARE = 0.8
_MAX_MINER_ACTIVITIES = 40
_MIN_MINER_ACTIVITIES = 15


def _select_activities(log: EventLog, activities: Any, min_case_share: float) -> tuple[list[str], str]:
    """The activities the miner sees, and how they were chosen (for ``pruning``)."""
    in_cases = None
    if min_case_share > 0:
        c = log.codes
        pairs = np.unique(c.case.astype(np.int64) * c.n_activities + c.activity)
        share = np.bincount(pairs % c.n_activities, minlength=c.n_activities) / max(c.n_cases, 1)
        in_cases = pd.Series(share, index=c.activity_names)
    return select_activities(log.activities, in_cases, activities, min_case_share)


def select_activities(
    counts: pd.Series, in_cases: pd.Series | None, activities: Any, min_case_share: float
) -> tuple[list[str], str]:
    """:func:`_select_activities` on aggregates: ``counts`` (events per activity, most
    frequent first, ties by name) and ``in_cases`` (share of cases with each activity,
    needed when ``min_case_share > 0``); shared with the DuckDB engine."""
    names = counts.index.tolist()
    total = max(int(counts.sum()), 1)
    if activities is not None and not isinstance(activities, (int, float)):
        wanted = [str(a) for a in (activities if not isinstance(activities, str) else [activities])]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise fail(
                "discover", "activities", f"activity names of the log (unknown: {unknown[:5]})", activities
            )
        return [a for a in names if a in set(wanted)], "given by the caller"
    if min_case_share > 0 and in_cases is not None:
        frequent = set(in_cases.index[in_cases.to_numpy() >= min_case_share].tolist())
        names = [a for a in names if a in frequent]
        counts = counts.loc[names]
    among = f" of those in at least {min_case_share:.0%} of cases" if min_case_share > 0 else ""
    if isinstance(activities, int) and not isinstance(activities, bool):
        return names[:activities], f"the {activities} most frequent{among}"
    share = _DEFAULT_ACTIVITY_SHARE if activities is None else float(activities)
    cum = np.cumsum(counts.to_numpy()) / total
    n = int(np.searchsorted(cum, share - 1e-12) + 1) if len(cum) else 0
    how = f"most frequent covering {share:.0%} of events{among}"
    n = min(n, len(names))
    if activities is None and n < min(len(names), _MIN_MINER_ACTIVITIES):
        # a few dominant steps can carry 90% of the events: keep some context around them
        n = min(len(names), _MIN_MINER_ACTIVITIES)
        how += f", at least {_MIN_MINER_ACTIVITIES}"
    if activities is None and n > _MAX_MINER_ACTIVITIES:
        n = _MAX_MINER_ACTIVITIES
        how += f", capped at {_MAX_MINER_ACTIVITIES}"
    return names[:n], how


def project_variants(variant_counts: pd.DataFrame, kept: list[str]) -> pd.DataFrame:
    """Variants projected on the ``kept`` activities: ``variant``, ``cases``, ``first``,
    ranked as :func:`procmine._core.dfg.variant_codes` ranks the projected log (cases, then
    first appearance); a variant with no kept activity leaves (its cases have no event).

    ``variant_counts`` is :meth:`procmine.engines.Engine.variant_counts`: the pruning of
    :func:`_prune` on the variant counts alone, for engines that keep the events out of memory.
    """
    keep = set(kept)
    agg: dict[tuple[str, ...], list[int]] = {}
    for v, n, first in zip(
        variant_counts["variant"], variant_counts["cases"].tolist(), variant_counts["first"].tolist()
    ):
        p = tuple(a for a in v if a in keep)
        if not p:
            continue
        got = agg.get(p)
        if got is None:
            agg[p] = [int(n), int(first)]
        else:
            got[0] += int(n)
            got[1] = min(got[1], int(first))
    frame = pd.DataFrame(
        {
            "variant": pd.Series(list(agg), dtype=object),
            "cases": np.array([c for c, _ in agg.values()], dtype=np.int64),
            "first": np.array([f for _, f in agg.values()], dtype=np.int64),
        }
    )
    return frame.sort_values(["cases", "first"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _prune(
    log: EventLog, activities: Any, variants: Any, min_case_share: float
) -> tuple[EventLog, dict[str, Any]]:
    """The log the miner sees (activities left out first, then variants) and what was
    left out: :attr:`procmine.discovery.ProcessModel.mined_log` and ``.pruning``."""
    kept, how = _select_activities(log, activities, min_case_share)
    all_acts = log.activities
    projected = log if len(kept) == len(all_acts) else log.filter(activities=kept)
    v_arg = variants
    n_var_total = len(variant_codes(projected)[1]) if projected.n_events else 0
    if isinstance(v_arg, int) and not isinstance(v_arg, bool):
        rank, _counts = variant_codes(projected)
        keep_cases = rank < v_arg
        mined = projected.filter(cases=list(projected.codes.case_ids[keep_cases]))
        v_how = f"the {v_arg} most frequent"
    else:
        share = _DEFAULT_VARIANT_SHARE if v_arg is None else float(v_arg)
        mined = projected if share >= 1 else projected.filter(variants_coverage=share)
        v_how = f"most frequent covering {share:.0%} of cases"
    n_var_kept = len(variant_codes(mined)[1]) if mined.n_events else 0
    pruning = {
        "activities_kept": len(kept),
        "activities_total": len(all_acts),
        "activities_rule": how,
        "activities_left_out": [a for a in all_acts.index if a not in set(kept)],
        "events_kept": mined.n_events,
        "events_total": log.n_events,
        "variants_kept": n_var_kept,
        "variants_total": n_var_total,
        "variants_rule": v_how + " (after leaving out activities)",
        "cases_kept": mined.n_cases,
        "cases_total": log.n_cases,
    }
    logger.info(
        "discover %s: mining on %d/%d activities (%s), %d/%d variants, %d/%d cases",
        log.name,
        len(kept),
        len(all_acts),
        how,
        n_var_kept,
        n_var_total,
        mined.n_cases,
        log.n_cases,
    )
    return mined, pruning
