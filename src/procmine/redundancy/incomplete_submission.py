"""``incomplete_submission``: a loop opened by a request to the applicant for missing documents or information.

**Definition.** A *request step* asks the applicant or a third party for something: the
steps flagged ``request`` by :func:`procmine.waits._steps.classify_steps` (from the name in
German, French, Italian, English or Dutch, or from the data: a step after which the case
typically waits a long time for an external step, or to which the case goes back to the
check that raised it after waiting outside), or the steps declared with
``requests=[...]``. Each occurrence of a request step opens a *loop* that lasts until the
next request of the case (or the case end):

- the *answer*: the external steps (documents received, ...) right after the request;
- the *repeated steps*: steps of the loop that the case had already done before the
  request (the completeness check or the legal review done again once the documents are in).

A request step is reported when it occurs in at least ``min_case_share`` of the cases and
in at least ``min_loop_share`` of its cases a step is repeated after it (a request that
repeats nothing, such as a routine fee notice, is not an incomplete application). When the
log records answers to the step, at least half of its loops that repeat work must hold
one (the case waited for the outside world before the work was redone): a step flagged as
a request because an answer follows it when it is done last, but which work otherwise
bounces back to (a ping-pong), asks nobody for anything.

A step flagged as a request that the case had already done before the open request (the
review after which the office asked for more, done again) is the loop's repeated work: it
neither opens a loop of its own nor closes the open one.

**Statistic.** ``evidence``: ``requesting_step``, ``answer_step`` (the most frequent
external step right after the request; ``""`` when the log does not record the answer),
``repeated_steps`` (the steps repeated after the answer in at least 10 % of the loop
cases, most frequent first), ``request_case_share`` (cases with the request / all cases),
``loop_share`` (cases in which a step is repeated after it / cases with the request),
``requests_per_case`` (loops per case: a request repeated right after itself is one
loop), ``office_time_per_case`` and ``client_time_per_case`` (working time, mean per case
with the request), ``office_time_median`` and ``client_time_median``, and the split every
time-saving finding shows: ``office_time`` and ``client_wait`` (totals over those cases),
``statutory_wait`` (always zero: a period inside the loop is the applicant's time).

*Chases.* A request done again right after itself (a call tried again until the applicant
is reached, a reminder) chases the open request: it opens no loop of its own; the wait
before it is client time, its processing office time.

*Office time* is the request step's own time (waiting plus processing) and the time of
the repeated steps (waiting plus processing); steps a system records (``system`` in the
step classification: a new offer's status) are not repeated work. *Client time* is the working time the case
waits for the applicant: from the request's completion to the completion of the answer
steps; when the answer is not recorded, the wait before the first step after the request
(without start times that wait also holds the step's processing, which then counts as
client time, not office time).

**Guard.** Request steps declared ``required`` are not reported; rare requests
(``min_case_share``) and requests that are not followed by repeated work
(``min_loop_share``) are not either. The ``rework`` detector leaves repetitions that follow
a request step to this detector, so a loop is reported once.

**Saving.** ``saving_per_case`` is the office time per affected case (the request and the
repeated work disappear when applications are complete at intake); ``time_cost`` is its
total. The applicant's waiting (client time) is in the evidence and shortens the case's
lead time as well. ``procmine.simplify(log, complete_at_intake=[request step])`` replays
the log without these loops.

**Limits.** The log cannot tell which request was avoidable: some information only
becomes necessary during the review. A step repeated after the answer for another reason
(a new fact) is counted as part of the loop. Requests are recognised by name, by the
long external wait that follows them, or, when the answer is not recorded, by the loop
back to the check that raised them while the case waits outside (chased, or a return
longer than the check's own queue); a request recorded under an unrecognisable code name
with none of these is missed (declare it with ``requests=[...]``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.validation import Threshold, check_detector
from ..log import EventLog
from ..waits._causes import wait_causes
from ._base import event_table, make_finding, pick_examples, sample_confidence, td, tr
from ._base import top_org_units as _org_units
from ._finding import Finding

__all__ = ["RequestLoops", "detect", "request_loops", "request_steps"]


#: the thresholds of :func:`detect` (validation, ``docs/detectors.md`` and the catalogue read them)
#: reads ``wait_causes(log)`` under the log's own declarations: find_redundancies
#: computes them once before the detectors that read them run side by side
READS_WAIT_CAUSES = True

THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("requests", "names", None,
              "The request steps, when the step classification should not decide."),
    Threshold("min_loop_share", "fraction", 0.5,
              "Minimum share of the request's cases in which a step is repeated after it."),
)

logger = logging.getLogger("procmine")


def request_steps(log: EventLog, requests: Iterable[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Boolean per activity code: is it a request step, and is it an external step.

    ``requests`` overrides the detection of request steps (names not in the log are ignored).
    """
    # the step classification the wait causes already hold (cached per log; the same as
    # classify_steps(log), whose aggregates would otherwise be computed a second time)
    steps = wait_causes(log).steps
    external = steps["external"].to_numpy(dtype=bool)
    if requests is None:
        return steps["request"].to_numpy(dtype=bool), external
    wanted = {str(a) for a in requests}
    names = np.asarray(log.codes.activity_names, dtype=object)
    return np.array([str(a) in wanted for a in names], dtype=bool), external


@dataclass(frozen=True)
class RequestLoops:
    """Per event of a log: its place in a loop opened by a request (see the module docstring)."""

    request: np.ndarray  #: bool: a request event
    opener: np.ndarray  #: int64: row of the request whose loop holds the event (-1: none; own row for a request)
    answer: np.ndarray  #: bool: an external step answering the request
    repeated: np.ndarray  #: bool: a step the case had done before the request, done again in the loop
    office_us: np.ndarray  #: float: office working time the event adds to its loop
    client_us: np.ndarray  #: float: working time the loop waits for the applicant before the event
    chase: np.ndarray  #: bool: the request repeated right after itself (a call tried again, a reminder)

    @property
    def in_loop(self) -> np.ndarray:
        """Events that disappear with the loop: the request, its chases, its answer and the repeated steps."""
        return self.request | self.chase | self.answer | self.repeated


def request_loops(log: EventLog, is_request: np.ndarray, is_external: np.ndarray, calendar: Any = None) -> RequestLoops:
    """Locate the loops opened by request steps (``is_request``/``is_external``: per activity code).

    Examples
    --------
    >>> import procmine as pm
    >>> log = pm.samples.load("permit_de")
    >>> loops = request_loops(log, *request_steps(log))
    >>> int(loops.request.sum()) > 0 and bool(loops.repeated.any())
    True
    """
    t = event_table(log, calendar)
    c = t.c
    n = t.n_events
    rows = np.arange(n, dtype=np.int64)
    act = c.activity
    req = np.asarray(is_request, dtype=bool)[act] if n else np.zeros(0, dtype=bool)
    ext = np.asarray(is_external, dtype=bool)[act] if n else np.zeros(0, dtype=bool)
    case_first = c.case_offsets[:-1][c.case].astype(np.int64)
    # a request repeated right after itself (calls until the applicant is reached, reminders)
    # chases the open request: it neither opens a loop nor is redone work; the case waits for
    # the applicant before it and the office spends its processing
    chase = np.zeros(n, dtype=bool)
    if n > 1:
        chase[1:] = req[1:] & (act[1:] == act[:-1]) & (rows[1:] > case_first[1:])
    req &= ~chase
    # the case's first occurrence of each activity: a step done before the request is redone
    key = c.case.astype(np.int64) * max(c.n_activities, 1) + act
    _, first_idx, inverse = np.unique(key, return_index=True, return_inverse=True)
    first_row = first_idx[inverse.reshape(-1)]
    # a step flagged as a request that the case had done before the request still open
    # (the review after which the office once asked for more) is the loop's repeated work,
    # not a new request: it neither opens a loop nor closes the one it belongs to
    prev_req = np.full(n, -1, dtype=np.int64)
    if n > 1:
        prev_req[1:] = np.maximum.accumulate(np.where(req, rows, -1))[:-1]
    prev_req = np.where(prev_req >= case_first, prev_req, -1)
    # (a request of the same step as the open one starts a new round: the file was found
    # incomplete again)
    req &= ~((prev_req >= 0) & (first_row < prev_req) & (act != act[np.maximum(prev_req, 0)]))
    last_req = np.maximum.accumulate(np.where(req, rows, -1)) if n else rows
    opener = np.where(last_req >= case_first, last_req, -1)
    after = (opener >= 0) & (opener < rows)
    chase &= opener >= 0
    # steps a system records (sub-second, no staff: a new offer's status) are not work redone
    system = np.asarray(wait_causes(log).steps["system"].to_numpy(dtype=bool))[act] if n else np.zeros(0, dtype=bool)
    repeated = after & ~req & ~ext & ~chase & ~system & (first_row < opener)
    # the answer: external steps before any office step of the loop
    office_step = after & ~ext & ~chase
    n_office = np.cumsum(office_step)
    before_office = after & (n_office - n_office[np.maximum(opener, 0)] == 0)
    answer = before_office & ext
    # with no answer recorded, the first office step after the request waited for the applicant
    answered = np.zeros(n, dtype=bool)
    if answer.any():
        answered[np.unique(opener[answer])] = True
    first_office = office_step & (n_office - n_office[np.maximum(opener, 0)] == 1)
    first_office &= ~answered[np.maximum(opener, 0)]
    wait = t.wait.astype(np.float64)
    gap = t.gap.astype(np.float64)
    client = np.where(answer, gap, 0.0) + np.where(first_office | chase, wait, 0.0)
    office = (np.where(req, gap, 0.0) + np.where(chase, gap - wait, 0.0)
              + np.where(repeated, np.where(first_office, gap - wait, gap), 0.0))
    return RequestLoops(req, opener, answer, repeated, office, client, chase)


def detect(
    log: EventLog,
    *,
    min_case_share: float = 0.05,
    required: frozenset[str] = frozenset(),
    calendar: Any = None,
    requests: Iterable[str] | None = None,
    min_loop_share: float = 0.5,
) -> list[Finding]:
    """Loops opened by requests for missing documents or information (see the module docstring).

    Parameters
    ----------
    log
        The event log.
    min_case_share
        Minimum share of all cases with the request step.
    required
        Activities never proposed (a required request step is not reported).
    calendar
        Working-time calendar (default: the Swiss office week).
    requests
        The request steps, when the detection (:func:`procmine.waits._steps.classify_steps`) should
        not decide.
    min_loop_share
        Minimum share of the request's cases in which a step is repeated after it.

    Examples
    --------
    >>> import procmine as pm
    >>> found = detect(pm.samples.load("permit_de"))
    >>> [f.evidence["requesting_step"] for f in found]
    ['Unterlagen nachfordern']
    """
    check_detector("incomplete_submission.detect", THRESHOLDS, locals())
    t = event_table(log, calendar)
    c = t.c
    if t.n_events == 0:
        return []
    is_req, is_ext = request_steps(log, requests)
    if not is_req.any():
        return []
    loops = request_loops(log, is_req, is_ext, calendar)
    opener_act = np.where(loops.opener >= 0, c.activity[np.maximum(loops.opener, 0)], -1)
    has_answer = np.zeros(t.n_events, dtype=bool)  # per request row: its loop holds an answer
    has_answer[loops.opener[loops.answer]] = True
    has_repeat = np.zeros(t.n_events, dtype=bool)  # per request row: its loop repeats work
    has_repeat[loops.opener[loops.repeated]] = True
    has_answer[loops.opener[loops.chase]] = True  # chased: the office tried again to reach the applicant
    out: list[Finding] = []
    for r in np.flatnonzero(is_req):
        if t.name(int(r)) in required:
            continue
        found = _finding(log, t, loops, int(r), opener_act == r, has_answer, has_repeat,
                         min_case_share=min_case_share, min_loop_share=min_loop_share)
        if found is not None:
            out.append(found)
    return out


def _finding(log: EventLog, t: Any, loops: Any, r: int, mine: np.ndarray, has_answer: np.ndarray,
             has_repeat: np.ndarray, *, min_case_share: float, min_loop_share: float) -> Finding | None:
    """The finding of request step ``r`` (``mine``: the events of its loops) when it is
    frequent, its loops repeat work and they wait for an answer, else None."""
    c = t.c
    name = t.name(r)
    req_rows = np.flatnonzero(loops.request & (c.activity == r))
    cases = np.unique(c.case[req_rows])
    if len(cases) < max(min_case_share * t.n_cases, 2):
        return None
    rep_rows = np.flatnonzero(mine & loops.repeated)
    loop_cases = np.unique(c.case[rep_rows])
    loop_share = len(loop_cases) / len(cases)
    if loop_share < min_loop_share:
        logger.debug("incomplete_submission: %r repeats nothing in most cases (%.2f)", name, loop_share)
        return None
    # the case waits for the outside world before the work is redone: when the log
    # records answers to this step, most of its loops hold one, or the request was
    # chased (a call tried again) (a step that work merely bounces back to, answered
    # only when it is done last, asks nobody for anything)
    answered = has_answer[req_rows]
    repeats = has_repeat[req_rows]
    answered_loops = float((answered & repeats).sum(dtype=np.float64) / max(repeats.sum(dtype=np.float64), 1))
    if answered.any() and answered_loops < 0.5:
        logger.debug("incomplete_submission: %r is rarely answered before the repeat (%.2f)", name, answered_loops)
        return None
    office_case = np.bincount(c.case[mine], weights=loops.office_us[mine], minlength=t.n_cases)[cases]
    client_case = np.bincount(c.case[mine], weights=loops.client_us[mine], minlength=t.n_cases)[cases]
    rep_act, rep_cases = _case_counts(c.case[rep_rows], c.activity[rep_rows], c.n_activities)
    order = np.argsort(-rep_cases, kind="stable")
    repeated = [t.name(int(rep_act[i])) for i in order if rep_cases[i] >= 0.1 * len(loop_cases)][:5]
    ans_rows = np.flatnonzero(mine & loops.answer)
    answer = ""
    if len(ans_rows):
        answer = t.name(int(np.bincount(c.activity[ans_rows]).argmax()))
    total = float(office_case.sum(dtype=np.float64))
    evidence: dict[str, Any] = {
        "requesting_step": name,
        "answer_step": answer,
        "repeated_steps": ", ".join(repeated),
        "request_case_share": len(cases) / t.n_cases,
        "loop_share": float(loop_share),
        "requests_per_case": len(req_rows) / len(cases),
        "office_time_per_case": td(total / len(cases)),
        "client_time_per_case": td(float(client_case.mean())),
        "office_time_median": td(float(np.median(office_case))),
        "client_time_median": td(float(np.median(client_case))),
        # the split every time-saving finding shows (totals over the affected cases); a
        # period inside the loop is the applicant's time here, so none is statutory
        "office_time": td(total),
        "client_wait": td(float(client_case.sum(dtype=np.float64))),
        "statutory_wait": td(0.0),
    }
    weights = np.bincount(c.case[mine], weights=loops.office_us[mine] + loops.client_us[mine], minlength=t.n_cases)
    return make_finding(
        "incomplete_submission",
        (name,),  # the repeated steps stay (they are not removed): evidence only
        n_cases_log=t.n_cases,
        cases=len(cases),
        time_cost_us=total,
        saving_per_case_us=total / len(cases),
        confidence=sample_confidence(len(cases)) * loop_share,
        evidence=evidence,
        recommendation=_recommendation(name, repeated, evidence),
        example_cases=pick_examples(log, cases, weights=weights[cases]),
        org_units=_org_units(t, np.concatenate([req_rows, rep_rows])),
    )


def _recommendation(name: str, repeated: list[str], evidence: dict[str, Any]) -> dict[str, str]:
    """Check applications for completeness at intake (the request step, the steps it makes redo)."""
    return tr(
        "Check applications for completeness at intake and make the missing fields and attachments "
        "mandatory in the e-form: '{request}' asks for more in {share:.0%} of cases, after which "
        "'{repeated}' is done again; per case this costs {office} of office time and {client} of "
        "waiting for the applicant.",
        request=name,
        share=evidence["request_case_share"],
        repeated="', '".join(repeated),
        office=evidence["office_time_per_case"],
        client=evidence["client_time_per_case"],
    )


def _case_counts(case: np.ndarray, key: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """The keys present and the number of distinct cases per key."""
    if len(case) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pairs = np.unique(case.astype(np.int64) * n_keys + key)
    keys, counts = np.unique(pairs % n_keys, return_counts=True)
    return keys, counts
