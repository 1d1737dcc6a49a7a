"""Rubber stamp: a control or approval step that (almost) never changes what happens next.

**Definition.** A *sign-off step* is an activity named as an approval, visa, release or
sign-off (a vocabulary in German, French, Italian, English and Dutch, see
``CONTROL_WORDS``; pass ``controls=[...]`` to name the steps yourself). Substantive checks
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

**Statistic.** ``top_successor`` and ``top_successor_share``, ``successor_entropy`` (bits),
``loop_back_share``, ``outcome_shift`` (``None`` when *S* is in every case),
``median_wait``, ``median_processing``.

**Guard.** A real decision point — an approval after which cases go different ways
(approve / reject / return) — fails test 1 or 2 and is not reported. Steps that are not
controls (ordinary work that always leads to the same next step) are out by definition.
Required activities are never reported.

**Saving.** ``saving_per_case`` is the mean working time of *S* per case (waiting in front of
it plus its processing): what dropping the step saves, if the queues of the other steps are
unchanged; ``time_cost`` is the total over the cases.

**Limits.** A control that is sometimes decisive in a way the log does not record (e.g. the
file is corrected without a new event) looks like a rubber stamp. The vocabulary misses
controls with unusual names (use ``controls=``). Rare rejections below ``max_loop_back`` are
tolerated by design: that is "almost never".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from .._validation import Threshold, check_detector
from ..log import EventLog
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


def is_control(activity: str) -> bool:
    """Whether ``activity`` is named like an approval/sign-off step.

    >>> is_control("Visa du chef de service"), is_control("Gesuch eingereicht")
    (True, False)
    """
    return bool(_CONTROL_RE.search(str(activity)))


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
        The control steps to assess (default: activities matching :data:`CONTROL_WORDS`).
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
    c = t.c
    if t.n_events == 0:
        return []
    n_act = c.n_activities
    names = [t.name(a) for a in range(n_act)]
    if controls is None:
        is_ctrl = np.array([is_control(a) for a in names], dtype=bool)
    else:
        wanted = set(map(str, controls))
        is_ctrl = np.array([a in wanted for a in names], dtype=bool)
    cases = t.activity_cases
    cand = is_ctrl & (cases >= max(min_case_share * t.n_cases, 1))
    if not cand.any():
        return []
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
    outcome = act[c.case_offsets[1:] - 1]
    wait = t.wait
    proc = t.processing

    out: list[Finding] = []
    for s in np.flatnonzero(cand & (top_share >= min_top_successor) & (loop_share <= max_loop_back)):
        name = names[s]
        if name in required:
            continue
        ev = act == s
        w = wait[ev]
        med_wait = float(np.median(w))
        if med_wait < min_wait_hours * _US_PER_HOUR:
            continue
        with_s = np.zeros(t.n_cases, dtype=bool)
        with_s[c.case[ev]] = True
        shift = None
        n_without = t.n_cases - int(with_s.sum())
        if n_without >= max(min_case_share * t.n_cases, 20):  # enough cases without S to compare
            pa = np.bincount(outcome[with_s], minlength=n_act) / with_s.sum()
            pb = np.bincount(outcome[~with_s], minlength=n_act) / (~with_s).sum()
            shift = 0.5 * float(np.abs(pa - pb).sum())
            if shift > max_outcome_shift:
                continue
        cost = float((w + proc[ev]).sum())
        n_c = int(cases[s])
        succ_name = "(end)" if top[s] == n_act else names[top[s]]
        evidence: dict[str, Any] = {
            "top_successor": succ_name,
            "top_successor_share": float(top_share[s]),
            "successor_entropy": float(entropy[s]),
            "loop_back_share": float(loop_share[s]),
            "outcome_shift": shift,
            "median_wait": td(med_wait),
            "median_processing": td(float(np.median(proc[ev]))),
        }
        conf = sample_confidence(n_c) * float(top_share[s]) * (1.0 - float(loop_share[s]))
        out.append(
            make_finding(
                "rubber_stamp",
                (name,),
                n_cases_log=t.n_cases,
                cases=n_c,
                time_cost_us=cost,
                saving_per_case_us=cost / max(n_c, 1),
                confidence=conf,
                evidence=evidence,
                recommendation=tr(
                    "Drop or automate '{activity}': it is followed by '{successor}' in {share:.0%} of cases "
                    "and sends work back in {back:.0%}, yet cases wait {wait} for it.",
                    activity=name,
                    successor=succ_name,
                    share=evidence["top_successor_share"],
                    back=evidence["loop_back_share"],
                    wait=evidence["median_wait"],
                ),
                example_cases=pick_examples(log, c.case[ev], weights=w),
            )
        )
    return out
