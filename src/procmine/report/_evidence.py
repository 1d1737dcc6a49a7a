"""A finding's evidence figures in the report: a translated label and a readable value per key.

Every key the ten detectors of :mod:`procmine.redundancy` can put in ``Finding.evidence``
has a label here (``tests/report/test_evidence.py`` runs the detectors and checks it).
Values are shown for a reader, not as the detector stores them: shares, probabilities and
distances as percent; durations as working time, except the two the batching detector
measures in elapsed time; codes (``unit_column``, ``gap_basis``, ``resolution``...) and
English weekday slots (``"Tue 14h"``) in the report language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ._blocks import Context

__all__ = ["evidence_items", "evidence_label", "evidence_labels", "evidence_value"]

#: keys shown as percent besides those ending in "share": probabilities and distances (0..1)
_PERCENT_KEYS = frozenset(
    {
        "p_next_b_given_a",
        "p_prev_a_given_b",
        "tv_distance",
        "context_tv",
        "outcome_shift",
        "trigger_specificity",
    }
)
#: (kind, key) of durations measured in elapsed time; every other evidence duration is working time
_ELAPSED = frozenset({("batching", "median_wait"), ("batching", "median_wait_to_slot")})
_SLOT = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?: (\d{2})h)?\b")
_STEP_SHARE = re.compile(r": (\d+)%(?=, |$)")


def evidence_labels(ctx: Context) -> dict[str, str]:
    """Evidence key -> label in the report language (the labels of every kind; one
    function per kind below, in the order of the detectors)."""
    _ = ctx._
    return {
        **_shared_labels(_),
        **_bottleneck_labels(_),
        **_rework_labels(_),
        **_ping_pong_labels(_),
        **_duplicate_work_labels(_),
        **_rubber_stamp_labels(_),
        **_batching_labels(_),
        **_automation_candidate_labels(_),
        **_mergeable_labels(_),
        **_parallelizable_labels(_),
        **_incomplete_submission_labels(_),
    }


def _shared_labels(_: Callable[[str], str]) -> dict[str, str]:
    """Labels of the evidence keys shared by several detectors."""
    return {
        "median_wait": _("median wait"),
        "repeat_share": _("share of cases with a repeat"),
        "cases_with_activity": _("cases with the step"),
        "outcome_shift": _("change of outcome after a repeat"),
        "unit_column": _("units taken from column"),
        "median_saving": _("median saving"),
        # time the saving rests on (office) and waiting it leaves out (procmine.waits._causes)
        "office_time": _("office time counted"),
        "client_wait": _("waiting for the applicant or third parties (not counted)"),
        "statutory_wait": _("legal periods (not counted)"),
    }


def _bottleneck_labels(_: Callable[[str], str]) -> dict[str, str]:
    """Labels of the evidence of bottleneck findings."""
    return {
        "wait_share": _("share of working time spent waiting here"),
        "step_wait_shares": _("waiting share per step"),
        "next_wait_share": _("largest waiting share of another step"),
        "p90_wait": _("wait of the slowest 10%"),
        "typical_wait_other_steps": _("average wait at other steps"),
        "wait_cv": _("variation of the wait (coefficient of variation)"),
        "required": _("legally required step"),
        # bottleneck (text)
        "other_steps": _("further steps of the unit"),
    }


def _rework_labels(_: Callable[[str], str]) -> dict[str, str]:
    """Labels of the evidence of rework findings."""
    return {
        "repeats_per_case": _("repeats per affected case"),
        "loop_time_median": _("median time lost in the loop"),
        "trigger": _("step that opens the loop"),
        "trigger_specificity": _("share of cases with that step that loop"),
        "loop_activities": _("steps in the loop"),
    }


def _ping_pong_labels(_: Callable[[str], str]) -> dict[str, str]:
    """Labels of the evidence of ping-pong findings."""
    return {
        "round_trips_per_case": _("round trips per case"),
        "max_round_trips": _("most round trips in one case"),
        "bounce_share": _("share of back-and-forth cases with work redone"),
        "time_lost_median": _("median time lost"),
        "activities_share": _("share of the redone work in the steps named"),
        "redone_events_per_case": _("redone steps per case"),
    }


def _duplicate_work_labels(_: Callable[[str], str]) -> dict[str, str]:
    """Labels of the evidence of duplicate work findings."""
    return {
        "duplicate_share": _("share of cases done twice"),
        "unit_pair": _("units involved"),
        "unit_pair_share": _("share of the duplicates done by these units"),
        "units_per_case": _("units per case"),
        "extra_time_median": _("median extra time"),
    }


def _rubber_stamp_labels(_: Callable[[str], str]) -> dict[str, str]:
    """Labels of the evidence of rubber stamp findings."""
    return {
        "top_successor": _("usual next step"),
        "top_successor_share": _("share followed by the usual next step"),
        "successor_entropy": _("spread of the next step (entropy, bits)"),
        "loop_back_share": _("share sent back"),
        "median_processing": _("median processing"),
    }


def _batching_labels(_: Callable[[str], str]) -> dict[str, str]:
    """Labels of the evidence of batching findings."""
    return {
        "release_slots": _("batch times"),
        "release_slot_share": _("share handled at the batch times"),
        "arrival_slot_share": _("share arriving at the batch times"),
        "effective_release_slots": _("effective number of handling times in the week"),
        "effective_arrival_slots": _("effective number of arrival times in the week"),
        "slot_ratio": _("concentration (handling times ÷ arrival times)"),
        "tv_distance": _("difference between arrival and handling times"),
        "explained_share": _("share of the waits explained by the batch times"),
        "median_wait_to_slot": _("median wait for the batch"),
        "resolution": _("time resolution"),
    }


def _automation_candidate_labels(_: Callable[[str], str]) -> dict[str, str]:
    """Labels of the evidence of automation candidate findings."""
    return {
        "volume_share": _("share of cases"),
        "events": _("number of events"),
        "median_handling": _("median handling time"),
        "handling_dispersion": _("spread of the handling time"),
        "handling_basis": _("handling time measured as"),
        "predecessor": _("step before"),
        "predecessor_share": _("share coming from the step before"),
        "successor": _("step after"),
        "successor_share": _("share going on to the step after"),
        "resources": _("people doing it"),
        "system_share": _("share already done by a system"),
    }


def _mergeable_labels(_: Callable[[str], str]) -> dict[str, str]:
    """Labels of the evidence of mergeable findings."""
    return {
        "p_next_b_given_a": _("share of the first step followed directly by the second"),
        "p_prev_a_given_b": _("share of the second step preceded directly by the first"),
        "successions": _("direct successions"),
        "same_unit_share": _("share done by the same unit or person"),
        "main_unit": _("main unit or person"),
        "median_gap": _("median hand-off time"),
        "mean_gap": _("mean hand-off time"),
        "gap_basis": _("hand-off time measured as"),
        # mergeable (guards and text)
        "follow_share": _("share of the two steps directly one after the other"),
        "machine_share": _("share recorded by a system seconds apart"),
    }


def _parallelizable_labels(_: Callable[[str], str]) -> dict[str, str]:
    """Labels of the evidence of parallelizable findings."""
    return {
        "order_ab": _("cases in the usual order"),
        "order_ba": _("cases in the other order"),
        "minor_order_share": _("share in the less usual order"),
        "tie_share": _("share recorded at the same instant"),
        "position_ratio": _("duration when second ÷ when first"),
        "context_tv": _("difference in what follows between the two orders"),
        "adjacent_share": _("share of cases with the two steps side by side"),
        "overlap_share": _("share already overlapping"),
        "median_duration_a": _("median time of the first step (wait and processing)"),
        "median_duration_b": _("median time of the second step (wait and processing)"),
        "inherited_period_days": _("days every case waits before the pair (not counted)"),
        "saving_per_case": _("saving per case"),
    }


def _incomplete_submission_labels(_: Callable[[str], str]) -> dict[str, str]:
    """Labels of the evidence of incomplete submission findings."""
    return {
        "requesting_step": _("step asking for more"),
        "answer_step": _("answer from the applicant"),
        "repeated_steps": _("steps done again after the answer"),
        "request_case_share": _("share of cases asked for more"),
        "loop_share": _("share of these cases with a step done again"),
        "requests_per_case": _("requests per affected case"),
        "office_time_per_case": _("office time of the loop per case"),
        "client_time_per_case": _("waiting for the applicant per case"),
        "office_time_median": _("office time of the loop (median)"),
        "client_time_median": _("waiting for the applicant (median)"),
    }


def _kind_labels(ctx: Context, kind: str) -> dict[str, str]:
    """Labels that mean something else for one kind of finding."""
    _ = ctx._
    if kind == "rubber_stamp":
        return {"outcome_shift": _("difference in outcome of the cases without the step")}
    if kind == "parallelizable":
        return {"repeat_share": _("share of cases in which one of the steps repeats")}
    if kind == "batching":  # its waits are elapsed time: the report's durations are working time unless stated
        return {"median_wait": _("median wait (elapsed)"), "median_wait_to_slot": _("median wait for the batch (elapsed)")}
    return {}


def _codes(ctx: Context) -> dict[str, dict[Any, str]]:
    """Evidence key -> {code the detector writes: its text in the report language}."""
    _ = ctx._
    return {
        "unit_column": {
            "org:group": _("org unit (org:group)"),
            "org:resource": _("person (org:resource)"),
            "none": _("none"),
            None: _("none"),
        },
        "handling_basis": {
            "processing": _("processing time (start to completion)"),
            "since previous event": _("time since the previous step (no start times)"),
        },
        "gap_basis": {
            "wait before B": _("wait before the second step"),
            "completion to completion": _("completion to completion (no start times)"),
        },
        "resolution": {
            "weekday and hour": _("weekday and hour"),
            "weekday (dates without times)": _("weekday only (dates without times)"),
        },
        "top_successor": {"(end)": _("(end of the case)")},
        # automation candidate: a step first or last in its cases
        "predecessor": {"(start)": _("(start of the case)")},
        "successor": {"(end)": _("(end of the case)")},
        "trigger": {"": "–"},
        "answer_step": {"": _("not recorded")},
    }


def _missing(ctx: Context, kind: str, key: str) -> str:
    """What a ``None`` value means, where the detector documents it."""
    _ = ctx._
    if (kind, key) == ("rubber_stamp", "outcome_shift"):
        return _("– (the step is in every case)")
    if (kind, key) == ("parallelizable", "overlap_share"):
        return _("– (no start times)")
    return "–"


#: evidence keys whose (string) values are codes, translated with :func:`_codes`
CODE_KEYS = ("unit_column", "handling_basis", "gap_basis", "resolution")


def evidence_label(ctx: Context, key: str, kind: str = "") -> str:
    """A readable name for an evidence figure (the detector's key when not known)."""
    labels = _kind_labels(ctx, kind) or {}
    if key in labels:
        return labels[key]
    return evidence_labels(ctx).get(key, key.replace("_", " "))


def _is_percent(key: str, v: Any) -> bool:
    return (
        (key.endswith("share") or key in _PERCENT_KEYS)
        and isinstance(v, (float, np.floating))
        and 0.0 <= float(v) <= 1.0
    )


def _slots(ctx: Context, text: str) -> str:
    """``"Tue 14h, Fri"`` in the report language, as the batching recommendation writes it."""
    from ..i18n import DAY_NAMES, HOUR_NAMES

    lang = ctx.language if ctx.language in DAY_NAMES else "en"
    days = dict(zip(DAY_NAMES["en"], DAY_NAMES[lang]))

    def one(m: re.Match[str]) -> str:
        day = days[m.group(1)]
        return day if m.group(2) is None else f"{day} " + HOUR_NAMES[lang].format(h=int(m.group(2)))

    return _SLOT.sub(one, text)


def evidence_value(ctx: Context, key: str, v: Any, kind: str = "") -> str:
    """An evidence value as text in the report language (see the module docstring)."""
    codes = _codes(ctx).get(key, {})
    if (v is None or isinstance(v, str)) and v in codes:
        return codes[v]
    if v is None:
        return _missing(ctx, kind, key)
    if _is_percent(key, v):
        return ctx.pct(v)
    if isinstance(v, pd.Timedelta):
        # (an elapsed figure's label says so, see _kind_labels)
        return ctx.dur(v) if (kind, key) in _ELAPSED else ctx.wdur(v)
    if key == "release_slots" and isinstance(v, str):
        return _slots(ctx, v)
    if key == "step_wait_shares" and isinstance(v, str):
        return _STEP_SHARE.sub(lambda m: f" ({ctx.pct(int(m.group(1)) / 100)})", v)
    return _plain(ctx, v)


def _plain(ctx: Context, v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, pd.Timedelta):
        return ctx.wdur(v)
    if isinstance(v, (bool, np.bool_)):
        return ctx._("yes") if v else ctx._("no")
    if isinstance(v, (int, np.integer)):
        return ctx.int(v)
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return "–"
        if float(v).is_integer():
            return ctx.int(v)
        digits = 2 if abs(v) < 10 else 1
        return ctx.num(round(float(v), digits) + 0.0, digits)  # + 0.0: no "-0.00"
    if isinstance(v, (tuple, list)):
        return ", ".join(_plain(ctx, x) for x in v[:8]) + (" …" if len(v) > 8 else "")
    if isinstance(v, dict):
        return "; ".join(f"{k}{ctx.colon}{_plain(ctx, x)}" for k, x in list(v.items())[:8])
    return str(v)


def evidence_items(ctx: Context, evidence: dict[str, Any], kind: str = "") -> list[tuple[str, str]]:
    """``(label, value)`` of every evidence figure of a finding, in the detector's order."""
    return [
        (evidence_label(ctx, str(k), kind), evidence_value(ctx, str(k), v, kind)) for k, v in evidence.items()
    ]
