"""Why a case waits: every wait (as :mod:`procmine._event_times` measures it) gets one cause.

``office``
    queue or backlog the office controls (the default);
``client``
    waiting for the applicant or a third party: the wait right after a *request* step
    (until the case moves on) and the wait before a step the outside world triggers
    (documents received, objection filed, payment; see :func:`procmine._steps.classify_steps`);
``statutory``
    a fixed legal period: the activity's time from the previous completion to its own
    completion (elapsed calendar time) clusters at one length of at least ``5`` days: at
    least 60 % within ±1 day of it, or the lengths barely vary (coefficient of variation
    under 0.1), or at least a quarter lie within an hour of it (a period applied to part
    of the cases, e.g. closed automatically 15 days after resolution). Queue waiting
    varies with load, a legal period does not. The waits at least as long as the period
    (less a day; within the hour for the partial kind) are statutory; shorter ones (an
    objection filed early) keep their other cause;
``batch``
    waiting for a fixed weekday or hour. Only *declared* (``waits={"step": "batch"}``):
    the batching detector finds such steps, but its slot analysis is not repeated for
    every performance view, so undeclared batch waits count as office waits.

One cause per wait: without a step recording the answer ("documents received"), the
wait after a request is the applicant's as a whole, including the office's queue once the
answer is in (the log cannot tell them apart).

Declarations win over detection: ``waits={"Einsprachefrist": "statutory"}`` gives every
wait before that activity that cause, ``external=[...]`` declares steps the outside world
triggers. The classification uses elapsed time only, so it is the same under any calendar.

Examples
--------
>>> import procmine as pm
>>> from procmine._wait_causes import wait_causes
>>> wc = wait_causes(pm.samples.load("permit_de"))
>>> row = wc.steps.loc["Einsprachefrist abwarten"]
>>> row["cause"], float(row["period_days"])
('statutory', 30.0)
>>> bool(wc.steps.loc["Unterlagen nachfordern", "request"]), wc.steps.loc["Vollständigkeit prüfen", "cause"]
(True, 'office')
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._event_times import EventTimes, event_times
from ._steps import classify_steps
from ._validation import fail
from .calendar import NAT, Calendar
from .log import ACTIVITY, EventLog

__all__ = ["CAUSES", "Decisions", "WaitAggregates", "WaitCauses", "assign_causes", "check_declarations",
           "decide_causes", "finish", "wait_aggregates", "wait_causes"]

CAUSES = ("office", "client", "statutory", "batch")
OFFICE, CLIENT, STATUTORY, BATCH = range(4)
_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
_MIN_DAYS = 5.0  # a legal period shorter than this is not told apart from a queue
_MIN_EVENTS = 10


@dataclass(frozen=True, eq=False)
class WaitCauses:
    """The cause of every wait of a log (build it with :func:`wait_causes`)."""

    cause: np.ndarray  #: int8 per event (``log.df`` order): index into CAUSES; -1 = no wait (first event)
    steps: pd.DataFrame  #: :func:`procmine._steps.classify_steps` plus ``period_days`` (NaN = none) and ``cause`` (of most of its waits; "" = none)
    explain: pd.DataFrame  #: per activity and cause: ``activity``, ``cause``, ``events``, ``why``
    period_in_processing: np.ndarray  #: bool per activity: its fixed period is recorded as its processing

    def outside_office(self, wait: np.ndarray, proc: np.ndarray, act: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per event, the time the office cannot shorten: ``(client, statutory)`` in the unit
        of ``wait`` and ``proc`` (per-event waiting and processing, 0/NAT = none; ``act`` the
        activity codes). A statutory period recorded as a step lasting it (a system step
        "objection period" from its start to its end: its median processing is at least
        half the period) counts with that step's processing time.

        Savings are computed on the rest: ``wait + proc - client - statutory``.
        """
        w = np.where(wait == NAT, 0, wait)
        p = np.where(proc == NAT, 0, proc)
        in_proc = self.period_in_processing[act]
        client = np.where(self.cause == CLIENT, w, 0)
        statutory = np.where(self.cause == STATUTORY, w + np.where(in_proc, p, 0), 0)
        return client, statutory

    def split(self, wait: np.ndarray) -> dict[str, np.ndarray]:
        """``wait`` (int64 µs per event, NAT = none) as one array per cause (0 elsewhere)."""
        w = np.where(wait == NAT, 0, wait)
        return {name: np.where(self.cause == k, w, 0) for k, name in enumerate(CAUSES)}


_CACHE: weakref.WeakKeyDictionary[EventLog, dict[Any, WaitCauses]] = weakref.WeakKeyDictionary()


def check_declarations(log: Any, waits: Mapping[str, str] | None, external: Iterable[str] | None) -> tuple:
    """Validate ``waits`` and ``external`` against the log (an EventLog, or its activity
    names); the normalised, hashable pair."""
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
# -> per-event assignment (numpy here; a SQL CASE in procmine.engines._duck_causes) ->
# counts per activity and cause -> steps and explanations (here)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class WaitAggregates:
    """What the per-activity decisions read of the waits: the elapsed span of every step
    (previous completion -> completion, ``length``) as aggregates per activity code."""

    n: np.ndarray  #: known lengths per activity (float)
    s1: np.ndarray  #: their sum (float µs)
    s2: np.ndarray  #: the sum of their squares
    hist: pd.DataFrame  #: ``code``, ``minute`` (length // 1 min), ``n``: lengths of at least ``LONG_US``; sorted by code, minute
    proc_median: np.ndarray | None  #: median elapsed processing per activity (NaN = none); None without start times


LONG_US = int((_MIN_DAYS - 1) * _DAY_US)  #: shorter lengths cannot lie near a period (the histogram's floor)
MINUTE_US = 60_000_000


@dataclass(frozen=True, eq=False)
class Decisions:
    """Per activity code, what the per-event rule needs (:func:`assign_causes`)."""

    fixed: np.ndarray  #: int8: declared cause, -1 = none
    base: np.ndarray  #: int8: CLIENT for an external step, else OFFICE
    request: np.ndarray  #: bool: a request step (the wait after it is the client's)
    period: np.ndarray  #: float µs: fixed period (NaN = none; never with a declaration)
    tol: np.ndarray  #: float µs: its tolerance (``>= 1 day``: every wait at least period - tol; else within ±tol)
    in_proc: np.ndarray  #: bool: the period is recorded as the step's processing
    period_why: list[str]

    def frame(self, names: np.ndarray) -> pd.DataFrame:
        """The decisions as a small table (one row per activity) for a SQL join."""
        return pd.DataFrame({"activity": names.astype(str), "fixed": self.fixed.astype(np.int32),
                             "base": self.base.astype(np.int32), "request": self.request,
                             "period": np.where(np.isnan(self.period) | (self.fixed >= 0), np.nan, self.period),
                             "tol": self.tol})


def wait_aggregates(act: np.ndarray, length: np.ndarray, proc_elapsed: np.ndarray | None, n_act: int) -> WaitAggregates:
    """:class:`WaitAggregates` from per-event arrays (in memory)."""
    ok = length != NAT
    a_all, x_all = act[ok], length[ok].astype(np.float64)
    long_ = length[ok] >= LONG_US
    key, n = np.unique(a_all[long_].astype(np.int64) << 40 | length[ok][long_] // MINUTE_US, return_counts=True)
    hist = pd.DataFrame({"code": key >> 40, "minute": key & ((1 << 40) - 1), "n": n})
    med = None
    if proc_elapsed is not None:
        known = proc_elapsed != NAT
        med = pd.Series(proc_elapsed[known]).groupby(act[known]).median().reindex(range(n_act)).to_numpy(np.float64)
    return WaitAggregates(n=np.bincount(a_all, minlength=n_act).astype(np.float64),
                          s1=np.bincount(a_all, weights=x_all, minlength=n_act),
                          s2=np.bincount(a_all, weights=x_all * x_all, minlength=n_act), hist=hist, proc_median=med)


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
    are of all the activity's waits."""
    period = np.full(n_act, np.nan)
    tol = np.zeros(n_act)
    why = [""] * n_act
    n_all = agg.n
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = agg.s1 / n_all
        cv_all = np.sqrt(np.maximum(agg.s2 / n_all - mean * mean, 0.0)) / mean
    h = agg.hist
    a = h["code"].to_numpy(dtype=np.int64)
    x_all = h["minute"].to_numpy(dtype=np.int64).astype(np.float64) * MINUTE_US
    c_all = h["n"].to_numpy(dtype=np.int64)
    bounds = np.searchsorted(a, np.arange(n_act + 1))
    for code in np.flatnonzero((n_all >= _MIN_EVENTS) & (bounds[1:] > bounds[:-1])):
        u = x_all[bounds[code]:bounds[code + 1]]  # distinct lengths (to the minute) with their counts
        cnt = c_all[bounds[code]:bounds[code + 1]]
        total = n_all[code]
        cum = np.r_[0, np.cumsum(cnt)]
        # the densest ±1 day window, and the densest ±1 hour window
        for half, share_min in ((_DAY_US, 0.6), (_HOUR_US, 0.25)):
            lo = np.searchsorted(u, u - half, side="left")
            hi = np.searchsorted(u, u + half, side="right")
            inside = cum[hi] - cum[lo]
            best = int(inside.argmax())
            centre = _weighted_median(u[lo[best]:hi[best]], cnt[lo[best]:hi[best]])
            share = inside[best] / total
            if share >= share_min and centre >= _MIN_DAYS * _DAY_US:
                period[code], tol[code] = centre, half
                why[code] = (f"fixed period of {centre / _DAY_US:.0f} calendar days: {share:.0%} of "
                             f"{int(total)} waits within ±{'1 day' if half == _DAY_US else '1 hour'} of it")
                break
        else:
            if cv_all[code] < 0.1 and mean[code] >= _MIN_DAYS * _DAY_US:
                med = _weighted_median(u, cnt)
                period[code], tol[code] = med, _DAY_US
                why[code] = f"fixed period of about {med / _DAY_US:.0f} calendar days (variation {cv_all[code]:.2f})"
    return period, tol, why


def decide_causes(names: np.ndarray, steps: pd.DataFrame, agg: WaitAggregates, waits: Mapping[str, str]) -> Decisions:
    """The per-activity decisions from the step classification and the wait aggregates."""
    n_act = len(names)
    period, tol, period_why = _periods(agg, n_act)
    is_ext = steps["external"].to_numpy(dtype=bool)
    declared = np.full(n_act, -1, dtype=np.int8)
    for a, cz in waits.items():
        declared[names == a] = CAUSES.index(cz)
    # a period recorded as a step lasting it: the step's processing is (most of) the period
    in_proc = np.zeros(n_act, dtype=bool)
    if agg.proc_median is not None:
        with np.errstate(invalid="ignore"):
            in_proc = ~np.isnan(period) & (agg.proc_median >= 0.5 * period)
    return Decisions(fixed=declared, base=np.where(is_ext, CLIENT, OFFICE).astype(np.int8),
                     request=steps["request"].to_numpy(dtype=bool), period=period, tol=tol, in_proc=in_proc,
                     period_why=period_why)


def assign_causes(d: Decisions, act: np.ndarray, first: np.ndarray, wait_elapsed: np.ndarray,
                  length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The per-event rule (numpy; ``_duck_causes.CAUSE_SQL`` is the same rule in SQL): the
    declared cause; else statutory when the wait reaches the step's fixed period; else
    client right after a request (until the case moves on to another request step); else
    the step's base cause. -1 for the first event of a case. Also returns whether each
    wait follows a request (for the explanation)."""
    n = len(act)
    cause = np.where(d.fixed >= 0, d.fixed, d.base).astype(np.int8)[act]
    after_request = np.zeros(n, dtype=bool)
    if d.request.any() and n > 1:
        prev_req = np.zeros(n, dtype=bool)
        prev_req[1:] = d.request[act[:-1]]
        after_request = prev_req & ~first & ~d.request[act]
        cause[after_request & (d.fixed[act] < 0)] = CLIENT
    has_p = ~np.isnan(d.period) & (d.fixed < 0)
    if has_p.any():
        idx = np.flatnonzero(has_p[act] & (length != NAT))
        p, t, x = d.period[act[idx]], d.tol[act[idx]], length[idx]
        # a full period (±1 day kind): every wait at least as long; a partial one (±1 hour): only those at it
        within = np.where(t >= _DAY_US, x >= p - t, np.abs(x - p) <= t)
        cause[idx[within]] = STATUTORY
    cause[first | (wait_elapsed == NAT)] = -1
    return cause, after_request


def finish(names: np.ndarray, steps: pd.DataFrame, d: Decisions, counts: np.ndarray, req_n: np.ndarray,
           waits: Mapping[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``steps`` (with ``period_days`` and ``cause``) and ``explain`` from the waits counted per
    activity and cause (``counts``: n_act x 4) and the client waits right after a request
    (``req_n`` per activity)."""
    steps = steps.copy()
    steps["period_days"] = np.round(d.period / _DAY_US, 1)
    steps["cause"] = np.where(counts.sum(axis=1) > 0, np.asarray(CAUSES, dtype=object)[counts.argmax(axis=1)], "")
    return steps, _explain(names, counts, req_n, steps, dict(waits), d.period_why)


def _compute(log: EventLog, waits: dict[str, str], external: tuple[str, ...]) -> WaitCauses:
    c = log.codes
    n_act = c.n_activities
    names = np.asarray(c.activity_names, dtype=object)
    act = c.activity
    times: EventTimes = event_times(log, Calendar.always())
    steps = classify_steps(log, external=external)
    # elapsed previous completion -> completion: the step's whole span, a period may be
    # recorded as a wait or as a system step lasting it
    length = np.where(times.wait_elapsed == NAT, NAT,
                      times.wait_elapsed + np.where(times.proc_elapsed == NAT, 0, times.proc_elapsed))
    agg = wait_aggregates(act, length, times.proc_elapsed if times.has_start else None, n_act)
    d = decide_causes(names, steps, agg, waits)
    cause, after_request = assign_causes(d, act, times.first, times.wait_elapsed, length)
    ok = cause >= 0
    counts = np.bincount(act[ok].astype(np.int64) * 4 + cause[ok], minlength=4 * n_act).reshape(n_act, 4)
    req_n = np.bincount(act[after_request & ok & (cause == CLIENT)], minlength=n_act)
    steps, explain = finish(names, steps, d, counts, req_n, waits)
    return WaitCauses(cause=cause, steps=steps, explain=explain, period_in_processing=d.in_proc)


def _explain(names: np.ndarray, counts: np.ndarray, req_n: np.ndarray, steps: pd.DataFrame,
             waits: dict[str, str], period_why: list[str]) -> pd.DataFrame:
    """One row per activity and cause its waits have, with the reason."""
    rows = []
    step_why = steps["why"].tolist()
    for a, k in zip(*np.nonzero(counts)):
        name = str(names[a])
        if name in waits:
            why = f"declared: waits={{{name!r}: {waits[name]!r}}}"
        elif k == STATUTORY:
            why = period_why[a]
        elif k == CLIENT:
            parts = []
            if steps["external"].iloc[a]:
                parts.append(f"the outside world triggers this step ({step_why[a]})")
            if req_n[a]:
                parts.append(f"{req_n[a]} wait(s) right after a request to the applicant or a third party")
            why = "; ".join(parts)
        elif k == OFFICE:
            why = "queue in the office (no request before it, not external, no fixed period)"
            if not np.isnan(steps["period_days"].iloc[a]):
                why += "; shorter than the step's fixed period"
        else:
            why = "batch"
        rows.append((name, CAUSES[k], int(counts[a, k]), why))
    return pd.DataFrame(rows, columns=[ACTIVITY, "cause", "events", "why"]).rename(columns={ACTIVITY: "activity"})
