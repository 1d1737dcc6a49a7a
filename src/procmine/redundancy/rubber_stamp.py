"""Rubber stamp: a control or approval step that (almost) never changes what happens next.

**Definition.** A *sign-off step* is an activity named as an approval, visa, release or
sign-off (a vocabulary in German, French, Italian, English and Dutch, see
``CONTROL_WORDS``; pass ``controls=[...]`` to name the steps yourself), or one the data
show to be a signature by the deciding unit (see below). Substantive checks
("Zonenkonformität prüfen", "Contrôle de complétude") are not assumed to be sign-offs: a
check that never fails in the log may still be the reason the files are right (pass them in
``controls=`` to assess them). A sign-off step *S* is a rubber stamp when, over the cases
that contain it (at least ``min_case_share`` of all):

1. what follows is fixed: the most frequent next activity after *S* follows at least
   ``min_top_successor`` of its occurrences (normalised entropy of the next activity ≈ 0);
2. it never sends work back: at most ``max_loop_back`` of its occurrences are followed,
   *instead of* its usual next activity, by a repetition of an activity already done in
   the case (a return to earlier work);
3. when *S* is optional (the cases without it are at least ``min_case_share`` of all and
   at least 20), the cases without *S* end the same way: the total-variation distance
   between the outcome (last activity) of cases with and without *S* is at most
   ``max_outcome_shift``;
4. it costs waiting: the median working time waited in front of *S* is at least
   ``min_wait_hours``.

**Sign-offs found from the data.** A sign-off need not be named like one ("Zustimmung
Direktion", "Nulla osta dirigente"). Without ``controls=``, a step is also assessed as a
sign-off when the log shows one: it is done (at least 80 % of its events) by an org unit
(``org:group``) that takes the procedure's decisions — a *decision point* is a step after
which the cases go two ways (each at least 10 % of its occurrences, neither the case end)
that do different things afterwards (some later step is done in the cases of one way and
not of the other, by a difference of at least half of the cases) and do not rejoin (fewer
than 10 % of the cases of one way later do the other way's next step: a detour, a loop
back, an optional step or an exclusive choice rejoins; a decision does not) — it lies on
the main path (in more than half of the cases) and it decides nothing itself (its next
activity is fixed). What tells the signature from the unit's other work:

- with start times, it is read and signed, not examined: its median processing is at most
  that of the unit's decision and at most 5 % of the time the step costs (waiting plus
  processing: the file waits for the signer, the signing takes minutes), yet not the same
  few minutes every time (handling that barely varies is routine work, see
  ``automation_candidate``);
- without start times, processing cannot be told from waiting, and a signature's cost is
  the waiting for the signer: cases spend longer in front of it (median working time from
  the previous completion) than in front of the log's typical frequent step (the median).
- one signature per unit: the head signs a file once in a procedure. Of the unit's steps
  that pass (and its steps named like a control), the signature is the one whose handling
  is the smallest part of what it costs (with start times), or else the one cases wait
  longest for (the file waits on the signer's desk, longer than for the unit's own
  work). When that is a step named like a control, the data add no other; the unit's
  other work is not a second signature.

The name then only decides which steps are assessed, never whether one is a rubber stamp:
tests 1–4 above apply alike.

**Statistic.** ``top_successor`` and ``top_successor_share``, ``successor_entropy`` (bits),
``loop_back_share``, ``outcome_shift`` (``None`` when *S* is in every case),
``median_wait``, ``median_processing`` (``None`` when none of its events has a start time).

**Guard.** A real decision point — an approval after which cases go different ways
(approve / reject / return) — fails test 1 or 2 and is not reported. Steps that are not
controls (ordinary work that always leads to the same next step) are out by definition.
Required activities are never reported.

**Saving.** ``saving_per_case`` is the mean working time of *S* per case (waiting in front of
it plus its processing): what dropping the step saves, if the queues of the other steps are
unchanged; ``time_cost`` is the total over the cases.

**Limits.** A control that is sometimes decisive in a way the log does not record (e.g. the
file is corrected without a new event) looks like a rubber stamp. The vocabulary misses
controls with unusual names when the log has no org units, or when the signing unit takes
no decision in the log (use ``controls=``). Without start times, a sign-off that cases
wait for no longer than for the typical step, or less long than for some work of its unit,
is missed, and then that work step of the deciding unit may be taken for it (on generated
procedures never seen, ``docs/validation.md``, this is most of what remains of the misses
and false positives); a unit that truly signs twice in a procedure shows one signature. Rare rejections below ``max_loop_back`` are
tolerated by design: that is "almost never".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.validation import Threshold, check_detector
from ..log import GROUP, EventLog
from ._base import event_table, make_finding, pick_examples, sample_confidence, td, tr
from ._finding import Finding
from .rework import repetitions

__all__ = ["CONTROL_WORDS", "detect", "is_control"]


#: the thresholds of :func:`detect` (validation, ``docs/detectors.md`` and the catalogue read them)
THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("controls", "names", None,
              "The control steps to assess (default: activities matching `CONTROL_WORDS`)."),
    Threshold("min_top_successor", "fraction", 0.9,
              "Minimum share of the step's occurrences followed by its most frequent next activity."),
    Threshold("max_loop_back", "fraction", 0.05,
              "Maximum share of occurrences after which work goes back (a repetition follows)."),
    Threshold("max_outcome_shift", "fraction", 0.15,
              "Maximum total-variation distance between the outcomes of cases with and without the "
              "step."),
    Threshold("min_wait_hours", "number", 1.0,
              "Minimum median working hours waited in front of the step.", low=0),
)

#: stems that name an approval, visa, release or sign-off step (matched case-insensitively)
CONTROL_WORDS: tuple[str, ...] = (
    # de
    "visum", "visier", "freigabe", "freigeben", "genehmigung durch", "gegenzeichn",
    "unterschrift", "unterzeichn", "abzeichn",
    # fr
    "visa", "validation", "valider", "approbation", "approuv", "signature", "contreseing",
    # it
    "visto", "approvazion", "firma",
    # en
    "sign-off", "sign off", "signoff", "approval", "approve", "countersign",
    # nl
    "paraaf", "parafe", "akkoord", "goedkeur",
)
_CONTROL_RE = re.compile("|".join(re.escape(w) for w in CONTROL_WORDS), re.IGNORECASE)
_US_PER_HOUR = 3_600_000_000
# sign-offs found from the data (module docstring): fixed by the definition, not tuned
_ROUTINE = 0.25  # handling varying less than this is routine work (automation_candidate's max_dispersion)
_SIGN_SHARE = 0.05  # signing is a negligible part of the time the step costs (waiting + signing)
_LONG = 0.5  # without start times: cases wait for it longer than for the typical (median) step
_BRANCH = 0.1  # each way out of a decision point carries at least this share of its cases
_OUTCOME_TV = 0.5  # ... and the two ways go on differently (a later step differs by half the cases)
_UNIT_SHARE = 0.8  # share of a step's events done by its main unit


def is_control(activity: str) -> bool:
    """Whether ``activity`` is named like an approval/sign-off step.

    >>> is_control("Visa du chef de service"), is_control("Gesuch eingereicht")
    (True, False)
    """
    return bool(_CONTROL_RE.search(str(activity)))


def _afterwards_differ(t: Any, d: int, a: int, b: int) -> float:
    """How differently the cases go on after ``d`` when its next step is ``a`` or ``b``: the
    largest difference, over the activities other than ``a`` and ``b``, in the share of
    cases of each way that do the activity later on. After a decision the two ways do
    different things (send the grant; send the refusal and file the appeal notes: 1.0); the
    two orders of two steps, an exclusive choice, an optional step, a detour or a loop back
    rejoin: the steps done after them are the same, or at least 10 % of the cases of one way
    later do the other way's next step (0), whatever common tail (a follow-up visit in half of
    the cases) comes after."""
    c = t.c
    act = c.activity.astype(np.int64)
    n_act = c.n_activities
    ev = np.flatnonzero(act == d)
    if len(ev) == 0:
        return 0.0
    # the first occurrence of d in each case and the way it goes on
    cases, first_at = np.unique(c.case[ev], return_index=True)
    at = ev[first_at]
    way = t.next_activity[at].astype(np.int64)
    pos = np.full(t.n_cases, np.iinfo(np.int64).max)
    pos[cases] = at
    code = np.full(t.n_cases, -1)
    code[cases] = np.where(way == a, 0, np.where(way == b, 1, -1))
    later = (np.arange(t.n_events) > pos[c.case]) & (code[c.case] >= 0)
    key = np.unique(c.case[later].astype(np.int64) * n_act + act[later])  # (case, activity) once
    k_case, k_act = key // n_act, key % n_act
    n_way = np.bincount(code[code >= 0], minlength=2).astype(float)
    if (n_way == 0).any():
        return 0.0
    share = np.bincount(code[k_case] * n_act + k_act, minlength=2 * n_act).reshape(2, n_act) / n_way[:, None]
    if share[0, b] >= _BRANCH or share[1, a] >= _BRANCH:
        return 0.0  # one way rejoins the other (a detour, a loop back, an optional step)
    diff = np.abs(share[0] - share[1])
    diff[[a, b]] = 0.0
    return float(diff.max())


def _branching(t: Any, succ: np.ndarray, min_top: float) -> tuple[np.ndarray, ...]:
    """Decision points: the cases go two ways (each at least 10 %, neither the case end).
    Returns the share of each next activity per activity, the two most frequent next
    activities and whether the activity branches."""
    n_act = succ.shape[0]
    occ = succ.sum(axis=1)
    part = succ[:, :n_act] / np.maximum(occ, 1)[:, None]
    order = np.argsort(-part, axis=1, kind="stable")
    first, second = order[:, 0], order[:, 1]
    rows = np.arange(n_act)
    branching = (part[rows, first] < min_top) & (part[rows, second] >= _BRANCH) & (succ[:, n_act] < 0.1 * occ)
    branching &= t.activity_cases >= 0.05 * t.n_cases
    return part, first, second, branching


def _main_units(t: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per activity: the unit doing most of it (-1: none) and that unit's share of it."""
    units, act, n_act = t.units, t.c.activity, t.c.n_activities
    ok = units.codes >= 0
    n_units = max(len(units.names), 1)
    per_unit = np.bincount(act[ok].astype(np.int64) * n_units + units.codes[ok], minlength=n_act * n_units)
    per_unit = per_unit.reshape(n_act, n_units)
    main_unit = np.where(per_unit.sum(axis=1) > 0, per_unit.argmax(axis=1), -1)
    return main_unit, per_unit.max(axis=1) / np.maximum(per_unit.sum(axis=1), 1)


def _deciding_units(t: Any, branching: np.ndarray, first: np.ndarray, second: np.ndarray,
                    main_unit: np.ndarray) -> dict[int, list[float]]:
    """Deciding unit -> median processing of its decisions: the units of the branching steps
    whose two ways end differently."""
    act = t.c.activity
    proc = np.where(t.has_start, t.processing, -1)
    deciding: dict[int, list[float]] = {}
    for d in np.flatnonzero(branching):
        if main_unit[d] < 0 or _afterwards_differ(t, int(d), int(first[d]), int(second[d])) < _OUTCOME_TV:
            continue  # the order of two steps, an exclusive choice or an optional step: not a decision
        ev = np.flatnonzero(act == d)
        p = proc[ev][proc[ev] >= 0]
        deciding.setdefault(int(main_unit[d]), []).extend([float(np.median(p))] if len(p) else [])
    return deciding


def _sign_offs(t: Any, succ: np.ndarray, cand: np.ndarray, frequent_mask: np.ndarray, min_top: float) -> np.ndarray:
    """Per activity: a sign-off recognised from the data, whatever its name (see the module
    docstring, "Sign-offs found from the data")."""
    n_act = len(cand)
    out = np.zeros(n_act, dtype=bool)
    units = t.units
    if units.column != GROUP:
        return out  # no org units to tell the deciding one
    act = t.c.activity
    part, first, second, branching = _branching(t, succ, min_top)
    if not branching.any():
        return out
    main_unit, unit_share = _main_units(t)
    deciding = _deciding_units(t, branching, first, second, main_unit)
    if not deciding:
        return out
    from .automation_candidate import handling_dispersion, handling_times

    handling = handling_times(t)
    # without processing times a signature's cost is the waiting for the signer: the time
    # cases spend in front of a step (previous completion to completion), per frequent step
    gap_med = np.full(n_act, np.nan)
    frequent = np.flatnonzero(t.activity_cases >= 0.05 * t.n_cases)
    for a in frequent:
        gap_med[a] = float(np.median(t.gap[act == a]))
    long_gap = float(np.nanquantile(gap_med, _LONG)) if len(frequent) >= 3 else np.inf
    main_path = t.activity_cases > 0.5 * t.n_cases
    # the steps of a deciding unit that decide nothing: fixed next step, main path, its unit's
    pool = frequent_mask & main_path & ~branching & (part.max(axis=1) >= min_top) & (unit_share >= _UNIT_SHARE)
    signs = pool & ~cand  # named controls of the unit: known signatures
    timed_step = np.zeros(n_act, dtype=bool)
    sign_share = np.full(n_act, np.inf)  # median processing / (wait + processing), when timed
    for s in np.flatnonzero(pool):
        ev = act == s
        timed = ev & t.has_start
        if np.count_nonzero(timed) < max(10, 0.5 * np.count_nonzero(ev)):
            signs[s] = True  # judged on its waiting below
            continue
        # processing times known: read and signed, not examined
        timed_step[s] = True
        p = float(np.median(t.processing[timed]))
        w = float(np.median(t.wait[timed]))
        sign_share[s] = p / (w + p) if w + p > 0 else np.inf
        if not cand[s]:
            continue  # a named control: a known signature whatever its times
        u = int(main_unit[s])
        if u in deciding and deciding[u] and p > min(deciding[u]):
            continue  # as long as deciding: work, not a signature
        if sign_share[s] > _SIGN_SHARE:
            continue  # the signing is not a small part of the time the step costs
        if handling_dispersion(handling[timed], t.resolution) <= _ROUTINE:
            continue  # the same few minutes every time: routine work (automation_candidate)
        signs[s] = True
    for u in deciding:
        steps = np.flatnonzero(signs & (main_unit == u))
        if not len(steps):
            continue
        # one signature per unit and procedure: of the unit's steps that may be it, the one
        # whose handling is the smallest part of what it costs (with processing times), or
        # else the one cases wait longest for (the file waits on the signer's desk); when
        # that is a named control, the data add no other
        if timed_step[steps].all():
            s = int(steps[np.argmin(sign_share[steps])])
        else:
            s = int(steps[np.nanargmax(gap_med[steps])])
        if not cand[s]:
            continue
        if not timed_step[s] and not gap_med[s] > long_gap:
            continue  # without processing times: only a step cases wait longer for than for most
        out[s] = True
    return out


def detect(
    log: EventLog,
    *,
    min_case_share: float = 0.05,
    required: frozenset[str] = frozenset(),
    calendar: Any = None,
    controls: Iterable[str] | None = None,
    min_top_successor: float = 0.9,
    max_loop_back: float = 0.05,
    max_outcome_shift: float = 0.15,
    min_wait_hours: float = 1.0,
) -> list[Finding]:
    """Control steps that never change what happens next (see the module docstring).

    Parameters
    ----------
    log
        The event log.
    min_case_share
        Minimum share of all cases that contain the step.
    required
        Activities never reported.
    calendar
        Working-time calendar (default: Swiss office week).
    controls
        The control steps to assess (default: activities matching :data:`CONTROL_WORDS`
        and the sign-offs recognised from the data, see the module docstring).
    min_top_successor
        Minimum share of the step's occurrences followed by its most frequent next activity.
    max_loop_back
        Maximum share of occurrences after which work goes back (a repetition follows).
    max_outcome_shift
        Maximum total-variation distance between the outcomes of cases with and without it.
    min_wait_hours
        Minimum median working hours waited in front of the step.

    Examples
    --------
    >>> import procmine as pm
    >>> found = detect(pm.samples.load("subsidy_fr"))
    >>> all(f.kind == "rubber_stamp" for f in found)
    True
    """
    check_detector("rubber_stamp.detect", THRESHOLDS, locals())
    t = event_table(log, calendar)
    if t.n_events == 0:
        return []
    n_act = t.c.n_activities
    names = [t.name(a) for a in range(n_act)]
    if controls is None:
        is_ctrl = np.array([is_control(a) for a in names], dtype=bool)
    else:
        wanted = set(map(str, controls))
        is_ctrl = np.array([a in wanted for a in names], dtype=bool)
    frequent = t.activity_cases >= max(min_case_share * t.n_cases, 1)
    n = _Successors.of(log, t)
    signed = np.zeros(n_act, dtype=bool)  # found from the data: a sign-off by the deciding unit
    if controls is None:
        signed = _sign_offs(t, n.succ, frequent & ~is_ctrl, frequent, min_top_successor)
    cand = (is_ctrl | signed) & frequent
    if not cand.any():
        return []
    out: list[Finding] = []
    for s in np.flatnonzero(cand & (n.top_share >= min_top_successor) & (n.loop_share <= max_loop_back)):
        if names[s] in required:
            continue
        found = _finding(log, t, n, int(s), names, min_case_share=min_case_share,
                         max_outcome_shift=max_outcome_shift, min_wait_hours=min_wait_hours)
        if found is not None:
            out.append(found)
    return out


@dataclass(frozen=True)
class _Successors:
    """Per activity: what follows it (``n_act`` = the case end) and how often work goes back after it."""

    succ: np.ndarray  #: next-activity counts, ``(n_act, n_act + 1)``
    top: np.ndarray  #: most frequent next activity
    top_share: np.ndarray  #: its share of the occurrences
    entropy: np.ndarray  #: entropy (bits) of the next activity
    loop_share: np.ndarray  #: share of occurrences after which work goes back

    @classmethod
    def of(cls, log: EventLog, t: Any) -> _Successors:
        """The successors of every activity of ``t``'s log."""
        c = t.c
        n_act = c.n_activities
        act = c.activity
        nxt = t.next_activity.astype(np.int64)
        nxt = np.where(nxt < 0, n_act, nxt)  # n_act = end of case
        succ = np.bincount(act.astype(np.int64) * (n_act + 1) + nxt, minlength=n_act * (n_act + 1))
        succ = succ.reshape(n_act, n_act + 1)
        occ = succ.sum(axis=1)
        top = succ.argmax(axis=1)
        top_share = succ.max(axis=1) / np.maximum(occ, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = succ / np.maximum(occ, 1)[:, None]
            entropy = -np.nansum(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1)), 0.0), axis=1)
        rep, _ = repetitions(log)
        nxt_rep = np.zeros(t.n_events, dtype=bool)
        nxt_rep[:-1] = t.same_case_next[:-1] & rep[1:]
        loop = nxt_rep & (nxt != top[act])  # goes back to earlier work instead of the usual next step
        loop_share = np.bincount(act, weights=loop, minlength=n_act) / np.maximum(occ, 1)
        return cls(succ, top, top_share, entropy, loop_share)


def _finding(log: EventLog, t: Any, n: _Successors, s: int, names: list[str], *, min_case_share: float,
             max_outcome_shift: float, min_wait_hours: float) -> Finding | None:
    """The finding of control step ``s`` when cases wait for it and it changes no outcome, else None."""
    c = t.c
    n_act = c.n_activities
    ev = c.activity == s
    w = t.wait[ev]
    med_wait = float(np.median(w))
    if med_wait < min_wait_hours * _US_PER_HOUR:
        return None
    with_s = np.zeros(t.n_cases, dtype=bool)
    with_s[c.case[ev]] = True
    shift = None
    n_without = t.n_cases - int(with_s.sum())
    if n_without >= max(min_case_share * t.n_cases, 20):  # enough cases without S to compare
        outcome = c.activity[c.case_offsets[1:] - 1]
        pa = np.bincount(outcome[with_s], minlength=n_act) / with_s.sum()
        pb = np.bincount(outcome[~with_s], minlength=n_act) / (~with_s).sum()
        shift = 0.5 * float(np.abs(pa - pb).sum(dtype=np.float64))
        if shift > max_outcome_shift:
            return None
    proc = t.processing
    cost = float((w + proc[ev]).sum(dtype=np.float64))
    n_c = int(t.activity_cases[s])
    succ_name = "(end)" if n.top[s] == n_act else names[n.top[s]]
    evidence: dict[str, Any] = {
        "top_successor": succ_name,
        "top_successor_share": float(n.top_share[s]),
        "successor_entropy": float(n.entropy[s]),
        "loop_back_share": float(n.loop_share[s]),
        "outcome_shift": shift,
        "median_wait": td(med_wait),
        # measured on the events with a start only: without one, processing is unknown (not 0)
        "median_processing": td(float(np.median(proc[ev & t.has_start]))) if (ev & t.has_start).any() else None,
    }
    conf = sample_confidence(n_c) * float(n.top_share[s]) * (1.0 - float(n.loop_share[s]))
    return make_finding(
        "rubber_stamp",
        (names[s],),
        n_cases_log=t.n_cases,
        cases=n_c,
        time_cost_us=cost,
        saving_per_case_us=cost / max(n_c, 1),
        confidence=conf,
        evidence=evidence,
        recommendation=_recommendation(names[s], succ_name, evidence),
        example_cases=pick_examples(log, c.case[ev], weights=w),
    )


def _recommendation(name: str, successor: str, evidence: dict[str, Any]) -> dict[str, str]:
    """The sentence of a rubber stamp ("sends work back in 0%" reads oddly: "never" then)."""
    fields = {"activity": name, "successor": successor, "share": evidence["top_successor_share"],
              "back": evidence["loop_back_share"], "wait": evidence["median_wait"]}
    if fields["back"] < 0.005:
        return tr("Drop or automate '{activity}': it is followed by '{successor}' in {share:.0%} of cases "
                  "and never sends work back, yet cases wait a median of {wait} for it.", **fields)
    return tr("Drop or automate '{activity}': it is followed by '{successor}' in {share:.0%} of cases "
              "and sends work back in {back:.0%}, yet cases wait a median of {wait} for it.", **fields)
