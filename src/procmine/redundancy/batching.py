"""``batching``: work that waits for a fixed weekday or hour instead of being handled as it arrives.

**Definition.** For every event of activity X that has a predecessor in its case, the
*arrival* is the completion of the previous event and the *release* is X's start (its
completion when start times are unknown). Both are placed in one of the 168 local
weekday-hour slots of the week (time zone of the calendar, default Europe/Zurich). X is
batched when

- its releases are concentrated compared with its arrivals: the effective number of
  release slots ``exp(H(release))`` divided by the effective number of arrival slots
  ``exp(H(arrival))`` (``H`` the Shannon entropy over the 168 slots) is at most
  ``max_slot_ratio`` (``max_slot_ratio_daily`` for steps recorded without times, see
  Limits), the smallest set of slots that holds ``release_cover`` (80 %) of the releases
  has at most ``max_release_slots`` slots, and at most ``max_arrival_share`` of the
  arrivals fall in those slots (work is held back for them, it does not just arrive then);
- the waiting is explained by those slots: in at least ``min_explained`` of the events
  the release falls in one of them and the case waited at least until the next
  occurrence of such a slot after its arrival (minus ``slot_tolerance``);
- X occurs in at least ``min_case_share`` of the cases, with at least ``min_events``
  events.

**Statistic.** ``evidence``: ``release_slots`` (the slots, e.g. ``"Tue 14h"``),
``release_slot_share`` (share of releases in them), ``arrival_slot_share`` (share of
arrivals in them), ``effective_release_slots``,
``effective_arrival_slots``, ``slot_ratio``, ``tv_distance`` (total-variation distance
between the arrival and release slot distributions), ``explained_share``,
``median_wait`` (elapsed, arrival to release) and ``median_wait_to_slot`` (elapsed,
arrival to the next release slot).

**Guard.** A step handled case by case releases work whenever it arrives: its release
distribution is as spread as its arrivals (ratio near 1), even if it is slow. A long,
legally fixed waiting period (e.g. 30 days) moves releases by whole days and keeps the
spread, so it is not batching either. A step the outside world triggers (the applicant's
documents arrive, :mod:`procmine.waits._causes`) is not judged: the office does not choose
when it starts, and office hours alone make its releases look concentrated (documents
registered at 08:00 each morning). A step after a batched step inherits concentrated
arrivals, so its ratio stays near 1. Rare steps and steps with fewer than ``min_events``
events are not judged.

**Saving.** Per event released in a batch slot, the working time from arrival to the
next release slot (at most the actual waiting): continuous processing would have started
it on arrival, the rest of the waiting is what any processing needs. ``time_cost`` is the
sum, ``saving_per_case`` the sum divided by the cases containing X.

**Limits.** Weekly patterns only (weekday x hour): monthly or irregular batches
(e.g. "when the commission meets") are not found. A step recorded with dates but no
times (at least half of its events exactly at local midnight) is judged on weekdays
only, arrivals and releases alike (``resolution`` in the evidence): its hour cannot be
seen, and comparing its midnight stamps with hourly arrivals would fake a concentration. Arrival is the previous
event's completion; when work really arrives later (a document by post), the saving is
overestimated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._core.validation import Threshold, check_detector
from ..i18n import (
    DAY_NAMES,
    HOUR_NAMES,
    tr,  # not _base.tr: the waits here are elapsed time, not working time
)
from ..log import EventLog
from ..waits._causes import wait_causes
from ._base import NAT, event_table, make_finding, pick_examples, sample_confidence, td
from ._base import top_org_units as _org_units
from ._finding import Finding

__all__ = ["detect"]

#: reads ``wait_causes(log)`` under the log's own declarations: find_redundancies
#: computes them once before the detectors that read them run side by side
READS_WAIT_CAUSES = True


#: the thresholds of :func:`detect` (validation, ``docs/detectors.md`` and the catalogue read them)
THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("max_slot_ratio", "fraction", 0.35,
              "Maximum ratio of effective release slots to effective arrival slots."),
    Threshold("max_slot_ratio_daily", "fraction", 0.5,
              "The same for steps recorded with dates only, judged on 7 weekdays instead of 168 "
              "weekday-hours."),
    Threshold("max_arrival_share", "fraction", 0.35,
              "Maximum share of the arrivals that fall in the batch slots themselves."),
    Threshold("release_cover", "fraction", 0.8,
              "Share of the releases the batch slots must hold."),
    Threshold("max_release_slots", "int", 12,
              "Maximum number of batch slots per week.", low=1),
    Threshold("min_explained", "fraction", 0.6,
              "Minimum share of events released in a batch slot after waiting for it."),
    Threshold("min_events", "int", 30,
              "Minimum number of events of the step.", low=1),
    Threshold("slot_tolerance", "duration", "1h",
              "How much earlier than the next slot a release may be and still count."),
    Threshold("waits", "mapping", None,
              "Declared wait causes per step, as for `procmine.performance` (`{'Frist': 'statutory'}`)."),
    Threshold("external", "names", None,
              "Steps the outside world triggers, as for `procmine.performance`."),
)

_SLOTS = 168
_HOUR_US = 3_600_000_000
_WEEK_MIN = 7 * 24 * 60


def detect(
    log: EventLog,
    *,
    min_case_share: float = 0.05,
    required: frozenset[str] = frozenset(),
    calendar: Any = None,
    max_slot_ratio: float = 0.35,
    max_slot_ratio_daily: float = 0.5,
    max_arrival_share: float = 0.35,
    release_cover: float = 0.8,
    max_release_slots: int = 12,
    min_explained: float = 0.6,
    min_events: int = 30,
    slot_tolerance: pd.Timedelta | str = "1h",
    waits: dict[str, str] | None = None,
    external: Any = None,
) -> list[Finding]:
    """Find steps whose work is released on a few fixed weekday/hour slots.

    Parameters
    ----------
    log
        The event log.
    min_case_share
        Steps in a smaller share of cases are not reported.
    required
        Activities that must not be touched (their batching is not reported).
    calendar
        Working-time calendar; its time zone places events in local slots.
    max_slot_ratio
        Maximum ratio of effective release slots to effective arrival slots (0.35).
    max_slot_ratio_daily
        The same for steps recorded with dates only, judged on 7 weekdays instead of
        168 weekday-hours, where a single release day among five arrival days already
        gives 0.2 (0.5).
    max_arrival_share
        Maximum share of the arrivals that fall in the batch slots themselves (0.35).
    release_cover
        Share of the releases the batch slots must hold (0.8).
    max_release_slots
        Maximum number of batch slots per week (12).
    min_explained
        Minimum share of events released in a batch slot after waiting for it (0.6).
    min_events
        Minimum number of events of the step (30).
    slot_tolerance
        How much earlier than the next slot a release may be and still count (1 hour).
    waits, external
        Declared wait causes and external steps, as for :func:`procmine.performance`: steps
        the outside world triggers are not judged.

    Returns
    -------
    list of Finding

    Examples
    --------
    >>> import procmine as pm
    >>> from procmine.redundancy import batching
    >>> found = batching.detect(pm.samples.load("permit_de"), min_case_share=0.05)
    >>> all(f.kind == "batching" for f in found)
    True
    """
    check_detector("batching.detect", THRESHOLDS, locals())
    tol_min = pd.Timedelta(slot_tolerance).total_seconds() / 60
    t = event_table(log, calendar)
    b = _Arrivals.of(t, min_events=min_events, min_case_share=min_case_share)
    if b is None:
        return []
    req = frozenset(required)
    out: list[Finding] = []
    limit = np.where(b.daily_act, max_slot_ratio_daily, max_slot_ratio)
    cand = b.ok_act & (b.ratio <= limit)
    if cand.any():  # the office does not choose when the applicant's answer comes
        # (a step of the office's own may still wait for a slot, even while an answer is out,
        # and a weekly slot can pass for a fixed period of about a week: only external steps go)
        cand &= ~wait_causes(log, waits=waits, external=external).steps["external"].to_numpy(dtype=bool)
    for x in np.flatnonzero(cand):
        if t.name(int(x)) in req:
            continue
        found = _finding(log, t, b, int(x), tol_min, release_cover=release_cover, max_release_slots=max_release_slots,
                         max_arrival_share=max_arrival_share, min_explained=min_explained)
        if found is not None:
            out.append(found)
    return out


@dataclass(frozen=True)
class _Arrivals:
    """Per event with a predecessor (rows ``ev``): its arrival (the previous completion) and
    release (its start) as local week slots, and per activity the histograms of both."""

    ev: np.ndarray
    act: np.ndarray
    arrival: np.ndarray  #: UTC µs
    release: np.ndarray  #: UTC µs
    a_exact: np.ndarray  #: arrival minute of the week
    a_midnight: np.ndarray  #: arrival exactly at local midnight
    r_min: np.ndarray  #: release minute of the week (day start for date-only steps)
    daily: np.ndarray  #: per event: its step is recorded with dates only
    daily_act: np.ndarray  #: per activity: recorded with dates only
    a_hist: np.ndarray  #: arrivals per activity and slot
    r_hist: np.ndarray  #: releases per activity and slot
    eff_a: np.ndarray  #: effective number of arrival slots per activity
    eff_r: np.ndarray  #: effective number of release slots per activity
    ratio: np.ndarray  #: eff_r / eff_a
    ok_act: np.ndarray  #: activities frequent enough
    tz: str

    @classmethod
    def of(cls, t: Any, *, min_events: int, min_case_share: float) -> _Arrivals | None:
        """The arrivals and releases of the frequent activities (None when there is none)."""
        c = t.c
        ev = np.flatnonzero(t.same_case_prev)
        if len(ev) == 0:
            return None
        act = c.activity[ev].astype(np.int64)
        n_act = c.n_activities
        n_ev = np.bincount(act, minlength=n_act)
        ok_act = (n_ev >= min_events) & (t.activity_cases >= max(1, min_case_share * t.n_cases))
        if not ok_act.any():
            return None
        keep = ok_act[act]
        ev, act = ev[keep], act[keep]
        tz = getattr(t.calendar, "tz", None)
        if tz is None or getattr(t.calendar, "is_elapsed", False) is True:
            tz = "Europe/Zurich"  # an elapsed-time calendar has no office week: use local Swiss time
        arrival = t.prev_end[ev]
        release = t.start[ev]
        a_min, a_midnight, r_min, r_midnight = _arrival_release_minutes(t, ev, tz)
        a_exact = a_min.copy()
        # steps recorded with dates only (mostly at local midnight): compare weekdays, not hours
        daily_act = np.bincount(act, weights=r_midnight, minlength=n_act) >= 0.5 * np.maximum(
            np.bincount(act, minlength=n_act), 1
        )
        daily = daily_act[act]
        a_min = np.where(daily, (a_min // 1440) * 1440, a_min)
        r_min = np.where(daily, (r_min // 1440) * 1440, r_min)
        a_slot, r_slot = a_min // 60, r_min // 60
        a_hist = np.bincount(act * _SLOTS + a_slot, minlength=n_act * _SLOTS).reshape(n_act, _SLOTS)
        r_hist = np.bincount(act * _SLOTS + r_slot, minlength=n_act * _SLOTS).reshape(n_act, _SLOTS)
        eff_a, eff_r = _effective(a_hist), _effective(r_hist)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(eff_a > 0, eff_r / eff_a, np.inf)
        return cls(ev, act, arrival, release, a_exact, a_midnight, r_min, daily, daily_act, a_hist, r_hist,
                   eff_a, eff_r, ratio, ok_act, tz)


def _explained(b: _Arrivals, sel: np.ndarray, in_s: np.ndarray, tol_min: float) -> tuple[np.ndarray, ...]:
    """Per occurrence (``sel``): the minutes from the arrival to the next batch slot (0 when
    arriving inside one), the elapsed minutes waited, and whether the wait is explained by
    the slot (released in a slot, having waited for it)."""
    # a step stamped with dates only cannot be released on its arrival day after the arrival
    ax = b.a_exact[sel]
    later_day = b.daily[sel] & ~b.a_midnight[sel]
    base = np.where(b.daily[sel], (ax // 1440) * 1440 + np.where(later_day, 1440, 0), ax)
    to_next = (base - ax) + _minutes_to_next_slot(base % _WEEK_MIN, in_s)
    waited = (b.release[sel] - b.arrival[sel]) / 6e7  # elapsed minutes
    released_in_slot = in_s[b.r_min[sel] // 60]
    return to_next, waited, released_in_slot & (waited >= to_next - tol_min)


def _finding(log: EventLog, t: Any, b: _Arrivals, x: int, tol_min: float, *, release_cover: float,
             max_release_slots: int, max_arrival_share: float, min_explained: float) -> Finding | None:
    """The finding of step ``x`` when its releases gather in a few slots its arrivals do not, else None."""
    c = t.c
    hist = b.r_hist[x]
    order = np.argsort(-hist, kind="stable")
    cum = np.cumsum(hist[order]) / hist.sum()
    k = int(np.searchsorted(cum, release_cover - 1e-12) + 1)
    if k > max_release_slots:
        return None
    slots = np.sort(order[:k])
    in_s = np.zeros(_SLOTS, dtype=bool)
    in_s[slots] = True
    arrival_share = float(b.a_hist[x][slots].sum(dtype=np.float64) / b.a_hist[x].sum(dtype=np.float64))
    if arrival_share > max_arrival_share:
        return None
    sel = b.act == x
    to_next, waited, explained = _explained(b, sel, in_s, tol_min)
    explained_share = float(explained.mean())
    if explained_share < min_explained:
        return None
    a0 = b.arrival[sel]
    # the slot is a local wall time: add the minutes on the wall clock (summer/winter time)
    slot_end = np.minimum(_wall_add(a0, to_next, b.tz), b.release[sel])
    saving = np.asarray(t.calendar.working_time(a0, slot_end), dtype=np.int64)
    saving = np.where(explained, saving, 0)
    total = float(saving.sum(dtype=np.float64))
    cases = np.unique(c.case[b.ev[sel]])
    tv = 0.5 * np.abs(b.a_hist[x] / b.a_hist[x].sum() - hist / hist.sum()).sum()
    daily = bool(b.daily_act[x])
    conf = (1.0 - b.ratio[x]) * explained_share * sample_confidence(len(cases))
    evidence = {
        "release_slots": ", ".join(_slot_name(int(s), daily) for s in order[:k]),
        "release_slot_share": float(hist[slots].sum(dtype=np.float64) / hist.sum(dtype=np.float64)),
        "arrival_slot_share": arrival_share,
        "effective_release_slots": float(b.eff_r[x]),
        "effective_arrival_slots": float(b.eff_a[x]),
        "slot_ratio": float(b.ratio[x]),
        "tv_distance": float(tv),
        "explained_share": explained_share,
        "median_wait": td(np.median(waited) * 6e7),
        "median_wait_to_slot": td(np.median(to_next) * 6e7),
        "resolution": "weekday (dates without times)" if daily else "weekday and hour",
    }
    return make_finding(
        "batching",
        (t.name(x),),
        n_cases_log=t.n_cases,
        cases=len(cases),
        time_cost_us=total,
        saving_per_case_us=total / len(cases),
        confidence=conf,
        evidence=evidence,
        recommendation=_recommendation(t.name(x), order[:k], daily, evidence),
        example_cases=pick_examples(log, c.case[b.ev[sel]], weights=saving),
        org_units=_org_units(t, b.ev[sel]),
    )


def _recommendation(name: str, slots: np.ndarray, daily: bool, evidence: dict[str, Any]) -> dict[str, str]:
    """Handle the step as cases arrive; the slot names are data in the message: written in each language."""
    k = len(slots)
    return {
        lang: tr(
            "Handle '{a}' as cases arrive instead of in batches ({slots}): cases wait a median of {wait} "
            "(elapsed time) for the next batch slot.",
            a=name,
            slots=", ".join(_slot_name(int(s), daily, lang) for s in slots[: min(k, 3)])
            + (" …" if k > 3 else ""),
            wait=evidence["median_wait_to_slot"],
        )[lang]
        for lang in ("de", "fr", "en")
    }


def _arrival_release_minutes(t: Any, ev: np.ndarray, tz: str) -> tuple[np.ndarray, ...]:
    """:func:`_week_minute` of the arrivals (``t.prev_end``) and releases (``t.start``) of
    the events ``ev`` (rows with a previous event in their case).

    An arrival is the previous row's completion and a release is the row's completion
    unless it has a start time: the completions are converted once, not once per role."""
    ts_min, ts_midnight = _week_minute(t.c.ts, tz)
    a_min, a_midnight = ts_min[ev - 1], ts_midnight[ev - 1]
    r_min, r_midnight = ts_min[ev], ts_midnight[ev]
    started = np.flatnonzero(t.has_start[ev])
    if len(started):
        r_min[started], r_midnight[started] = _week_minute(t.c.start_ts[ev[started]], tz)
    return a_min, a_midnight, r_min, r_midnight


def _week_minute(us: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """Local minute of the week (Monday 00:00 = 0) of UTC microsecond instants, and
    whether each instant is exactly local midnight (a date recorded without a time)."""
    # one time-zone conversion, then integer arithmetic on local wall µs (each pandas field
    # accessor converts the whole array again)
    local = _local_us(np.asarray(us, dtype=np.int64), tz)
    midnight = local % 86_400_000_000 == 0
    # 1970-01-01 was a Thursday: day 0 is weekday 3 (Monday = 0), so the minutes since the
    # epoch shifted by three days, modulo a week, are the minute of the week
    week_minute = local // 60_000_000  # a new array: ``local`` may share the caller's memory
    week_minute += 3 * 1440
    np.remainder(week_minute, _WEEK_MIN, out=week_minute)
    return week_minute, midnight


def _local_exact(us: np.ndarray, tz: str) -> np.ndarray:
    """Local wall-clock µs of UTC µs instants (pandas' time-zone conversion)."""
    idx = pd.DatetimeIndex(pd.to_datetime(us, unit="us", utc=True)).tz_convert(tz)
    return idx.tz_localize(None).as_unit("us").asi8


_HOUR_US = 3_600_000_000


def _local_us(us: np.ndarray, tz: str) -> np.ndarray:
    """:func:`_local_exact`, converting one instant per hour of the log's span instead of
    every event (a zone's offset changes at its transitions only; the events of an hour
    holding a transition are converted one by one). Same result, several times faster on
    millions of events."""
    if len(us) == 0:
        return _local_exact(us, tz)
    lo, hi = int(us.min()), int(us.max())
    if lo == NAT or (hi - lo) // _HOUR_US + 2 > len(us):  # NaT, or a span longer than the log
        return _local_exact(us, tz)
    g0 = lo - lo % _HOUR_US
    grid = g0 + _HOUR_US * np.arange((hi - g0) // _HOUR_US + 2, dtype=np.int64)
    offset = _local_exact(grid, tz) - grid
    h = us - g0
    h //= _HOUR_US
    h = h.astype(np.int32 if len(grid) < 2**31 else np.int64)
    local = us + offset[h]
    moved = np.flatnonzero((offset[:-1] != offset[1:])[h])  # a transition within the hour
    if len(moved):
        local[moved] = _local_exact(us[moved], tz)
    return local


def _wall_add(us: np.ndarray, minutes: np.ndarray, tz: str) -> np.ndarray:
    """UTC µs of the local wall time ``minutes`` after each instant's local wall time."""
    local = pd.DatetimeIndex(pd.to_datetime(us, unit="us", utc=True)).tz_convert(tz).tz_localize(None)
    wall = local + pd.to_timedelta(np.round(minutes * 60).astype(np.int64), unit="s")
    out = wall.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").tz_convert("UTC")
    res = out.as_unit("us").asi8
    nat = np.asarray(out.isna())
    return np.where(nat, us + np.round(minutes * 6e7).astype(np.int64), res)


def _effective(hist: np.ndarray) -> np.ndarray:
    """``exp(entropy)`` of each row of a count matrix (0 for empty rows)."""
    total = hist.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(total > 0, hist / np.where(total > 0, total, 1), 0.0)
        h = -np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0.0).sum(axis=1)
    return np.where(total[:, 0] > 0, np.exp(h), 0.0)


def _minutes_to_next_slot(minute: np.ndarray, in_slot: np.ndarray) -> np.ndarray:
    """Minutes from each week-minute to the start of the next slot in ``in_slot`` (0 inside one)."""
    starts = np.flatnonzero(in_slot) * 60
    # next start >= minute, wrapping around the week
    ext = np.concatenate([starts, starts + _WEEK_MIN])
    pos = np.searchsorted(ext, minute, side="left")
    nxt = ext[np.minimum(pos, len(ext) - 1)] - minute
    inside = in_slot[minute // 60]
    return np.where(inside, 0, nxt).astype(np.float64)


_DAY_NAMES, _HOUR = DAY_NAMES, HOUR_NAMES  # the day and hour names live in procmine.i18n


def _slot_name(slot: int, daily: bool = False, language: str = "en") -> str:
    """``"Tue 14h"`` (``"Di 14 Uhr"``, ``"mar. 14h"``), or the day alone for date-only steps."""
    day = _DAY_NAMES[language][slot // 24]
    if daily:
        return day
    return f"{day} " + _HOUR[language].format(h=slot % 24)
