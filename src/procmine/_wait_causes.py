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

__all__ = ["CAUSES", "WaitCauses", "check_declarations", "wait_causes"]

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


def check_declarations(log: EventLog, waits: Mapping[str, str] | None, external: Iterable[str] | None) -> tuple:
    """Validate ``waits`` and ``external`` against the log; the normalised, hashable pair."""
    names = {str(a) for a in log.codes.activity_names}
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


def _periods(act: np.ndarray, length: np.ndarray, n_act: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per activity: the fixed period (µs, NaN = none), the tolerance around it, and why.

    Only lengths of at least ``_MIN_DAYS - 1`` days can lie in a window around a period of
    ``_MIN_DAYS`` or more: those alone are sorted (one integer sort); the shares are of all
    the activity's waits."""
    period = np.full(n_act, np.nan)
    tol = np.zeros(n_act)
    why = [""] * n_act
    ok = length != NAT
    a_all, x_all = act[ok], length[ok].astype(np.float64)
    n_all = np.bincount(a_all, minlength=n_act).astype(np.float64)
    s1 = np.bincount(a_all, weights=x_all, minlength=n_act)
    s2 = np.bincount(a_all, weights=x_all * x_all, minlength=n_act)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n_all
        cv_all = np.sqrt(np.maximum(s2 / n_all - mean * mean, 0.0)) / mean
    long_ = x_all >= (_MIN_DAYS - 1) * _DAY_US
    minutes = (x_all[long_] // 60_000_000).astype(np.int64)
    key = np.sort(a_all[long_].astype(np.int64) << 40 | minutes)
    a = key >> 40
    x = (key & ((1 << 40) - 1)).astype(np.float64) * 60_000_000
    bounds = np.searchsorted(a, np.arange(n_act + 1))
    for code in np.flatnonzero((n_all >= _MIN_EVENTS) & (bounds[1:] > bounds[:-1])):
        xs = x[bounds[code]:bounds[code + 1]]
        total = n_all[code]
        # distinct lengths (to the minute) with their counts: windows over few values
        first = np.r_[True, xs[1:] != xs[:-1]]
        u = xs[first]
        cum = np.r_[0, np.cumsum(np.diff(np.r_[np.flatnonzero(first), len(xs)]))]
        # the densest ±1 day window, and the densest ±1 hour window
        for half, share_min in ((_DAY_US, 0.6), (_HOUR_US, 0.25)):
            lo = np.searchsorted(u, u - half, side="left")
            hi = np.searchsorted(u, u + half, side="right")
            inside = cum[hi] - cum[lo]
            best = int(inside.argmax())
            centre = float(np.median(xs[cum[lo[best]]:cum[hi[best]]]))
            share = inside[best] / total
            if share >= share_min and centre >= _MIN_DAYS * _DAY_US:
                period[code], tol[code] = centre, half
                why[code] = (f"fixed period of {centre / _DAY_US:.0f} calendar days: {share:.0%} of "
                             f"{int(total)} waits within ±{'1 day' if half == _DAY_US else '1 hour'} of it")
                break
        else:
            if cv_all[code] < 0.1 and mean[code] >= _MIN_DAYS * _DAY_US:
                med = float(np.median(xs))
                period[code], tol[code] = med, _DAY_US
                why[code] = f"fixed period of about {med / _DAY_US:.0f} calendar days (variation {cv_all[code]:.2f})"
    return period, tol, why


def _compute(log: EventLog, waits: dict[str, str], external: tuple[str, ...]) -> WaitCauses:
    c = log.codes
    n_act = c.n_activities
    names = np.asarray(c.activity_names, dtype=object)
    act = c.activity
    n = len(act)
    times: EventTimes = event_times(log, Calendar.always())
    steps = classify_steps(log, external=external)
    is_ext = steps["external"].to_numpy(dtype=bool)
    is_req = steps["request"].to_numpy(dtype=bool)

    # elapsed previous completion -> completion: the step's whole span, a period may be
    # recorded as a wait or as a system step lasting it
    length = np.where(times.wait_elapsed == NAT, NAT,
                      times.wait_elapsed + np.where(times.proc_elapsed == NAT, 0, times.proc_elapsed))
    period, tol, period_why = _periods(act, length, n_act)

    # per-activity lookups first; the per-event work only where a rule applies (large logs)
    base = np.where(is_ext, CLIENT, OFFICE).astype(np.int8)
    declared = np.full(n_act, -1, dtype=np.int8)
    for a, cz in waits.items():
        declared[names == a] = CAUSES.index(cz)
    cause = np.where(declared >= 0, declared, base).astype(np.int8)[act]
    after_request = np.zeros(n, dtype=bool)
    if is_req.any() and n > 1:
        prev_req = np.zeros(n, dtype=bool)
        prev_req[1:] = is_req[act[:-1]]
        after_request = prev_req & ~times.first & ~is_req[act]
        cause[after_request & (declared[act] < 0)] = CLIENT
    has_p = ~np.isnan(period) & (declared < 0)
    if has_p.any():
        idx = np.flatnonzero(has_p[act] & (length != NAT))
        p, t, x = period[act[idx]], tol[act[idx]], length[idx]
        # a full period (±1 day kind): every wait at least as long; a partial one (±1 hour): only those at it
        within = np.where(t >= _DAY_US, x >= p - t, np.abs(x - p) <= t)
        cause[idx[within]] = STATUTORY
    cause[times.first | (times.wait_elapsed == NAT)] = -1

    # a period recorded as a step lasting it: the step's processing is (most of) the period
    in_proc = np.zeros(n_act, dtype=bool)
    has_p = ~np.isnan(period)
    if has_p.any() and times.has_start:
        known = (times.proc_elapsed != NAT) & has_p[act]
        for code in np.flatnonzero(has_p):
            sel = known & (act == code)
            in_proc[code] = bool(sel.any()) and float(np.median(times.proc_elapsed[sel])) >= 0.5 * period[code]
    steps = steps.copy()
    steps["period_days"] = np.round(period / _DAY_US, 1)
    ok = cause >= 0
    counts = np.bincount(act[ok].astype(np.int64) * 4 + cause[ok], minlength=4 * n_act).reshape(n_act, 4)
    steps["cause"] = np.where(counts.sum(axis=1) > 0, np.asarray(CAUSES, dtype=object)[counts.argmax(axis=1)], "")
    explain = _explain(names, act, cause, steps, waits, period_why, after_request)
    return WaitCauses(cause=cause, steps=steps, explain=explain, period_in_processing=in_proc)


def _explain(names: np.ndarray, act: np.ndarray, cause: np.ndarray, steps: pd.DataFrame,
             waits: dict[str, str], period_why: list[str], after_request: np.ndarray) -> pd.DataFrame:
    """One row per activity and cause its waits have, with the reason."""
    n_act = len(names)
    ok = cause >= 0
    counts = np.bincount(act[ok].astype(np.int64) * 4 + cause[ok], minlength=4 * n_act).reshape(n_act, 4)
    req_n = np.bincount(act[after_request & ok & (cause == CLIENT)], minlength=n_act)
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
