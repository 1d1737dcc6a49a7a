"""The result types of redundancy detection: :class:`Finding` and :class:`Findings`."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import pandas as pd

from .._core.validation import check_choice, fail
from .._results import Result, new_axes, one_line

__all__ = ["KINDS", "Finding", "Findings"]

logger = logging.getLogger("procmine")

#: the kind vocabulary of DESIGN.md, exactly these strings, in display order
KINDS: tuple[str, ...] = (
    "rework",
    "duplicate_work",
    "ping_pong",
    "rubber_stamp",
    "mergeable",
    "parallelizable",
    "bottleneck",
    "batching",
    "automation_candidate",
    "incomplete_submission",
)

_ZERO = pd.Timedelta(0)
_KIND_COLOURS = ("#1f77b4", "#d62728", "#ff7f0e", "#9467bd", "#2ca02c", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")


@dataclass(frozen=True, repr=False)
class Finding(Result):
    """One redundancy found in a log, with the figures it rests on.

    Attributes
    ----------
    kind
        One of :data:`KINDS`.
    activities
        The activities concerned (for pairs: in the order observed most often).
    org_units
        The org units concerned, if the finding is about units (may be empty).
    cases
        Number of cases in which the pattern occurs.
    case_share
        ``cases`` divided by the log's number of cases.
    time_cost
        Total working time attributable to the pattern over all cases.
    saving_per_case
        Estimated working time saved per affected case if the recommendation is followed.
    confidence
        0..1: how sure the detector is (sample size, strength of the signal).
    evidence
        The figures that justify the finding (names are stable, values plain numbers
        or strings, durations as ``pd.Timedelta``).
    recommendation
        ``{"de": ..., "fr": ..., "en": ...}``: one sentence per language.
    example_cases
        A few case ids that show the pattern.
    calendar
        The :class:`procmine.Calendar` the times were measured with (set by
        :class:`Findings`; ``None``: the default calendar). Displays convert working time
        into working days of its :attr:`~procmine.Calendar.day_hours` and name it.
    """

    kind: str
    activities: tuple[str, ...]
    org_units: tuple[str, ...] = ()
    cases: int = 0
    case_share: float = 0.0
    time_cost: pd.Timedelta = _ZERO
    saving_per_case: pd.Timedelta = _ZERO
    confidence: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict)
    recommendation: dict[str, str] = field(default_factory=dict)
    example_cases: tuple[str, ...] = ()
    calendar: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_choice("Finding", "kind", self.kind, KINDS)

    @property
    def total_saving(self) -> pd.Timedelta:
        """Estimated saving over all affected cases (``saving_per_case * cases``).

        Beyond what a ``Timedelta`` holds (about 292 years) it is ``Timedelta.max``, with
        a logged warning: such an estimate comes from very loose thresholds.
        """
        try:
            return self.saving_per_case * self.cases
        except (OverflowError, pd.errors.OutOfBoundsTimedelta):
            logger.warning("saving of %s finding on %s is beyond 292 years; shown as the maximum",
                           self.kind, ", ".join(self.activities))
            return pd.Timedelta.max

    @property
    def _saving_seconds(self) -> float:
        """``total_saving`` in seconds, as a float (the sort key: it never overflows)."""
        return self.saving_per_case.total_seconds() * self.cases

    def text(self, language: str = "en") -> str:
        """The recommendation in ``language`` (falls back to English)."""
        return self.recommendation.get(language) or self.recommendation.get("en", "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "activities": self.activities,
            "org_units": self.org_units,
            "cases": self.cases,
            "case_share": self.case_share,
            "time_cost": self.time_cost,
            "saving_per_case": self.saving_per_case,
            "total_saving": self.total_saving,
            "confidence": self.confidence,
            "evidence": dict(self.evidence),
            "recommendation": self.text("en"),
            "example_cases": self.example_cases,
        }

    def summary(self) -> dict[str, Any]:
        """The finding's fields (:meth:`to_dict`)."""
        return self.to_dict()

    def to_frame(self, language: str = "en") -> pd.DataFrame:
        """The finding as the one row of :meth:`Findings.to_frame`."""
        return Findings([self]).to_frame(language)

    def plot(self, ax: Any = None, **options: Any) -> Any:
        """Its estimated total saving as a bar (:meth:`Findings.plot`); returns the axes."""
        return Findings([self]).plot(ax=new_axes(ax, (8, 2)), **options)

    def _repr_parts(self, note: bool = True) -> tuple[str, list[str]]:
        units = f" [{', '.join(self.org_units)}]" if self.org_units else ""
        cal = f" ({_cal_note(self.calendar)})" if note else ""
        return f"{self.kind}: {' → '.join(self.activities)}{units}", [
            f"{self.cases:,} cases ({self.case_share:.0%}), "
            f"saving {_fmt_td(self.saving_per_case, calendar=self.calendar)}/case{cal}, "
            f"confidence {self.confidence:.2f}"
        ]

    def _line(self, *, note: bool) -> str:
        return one_line("Finding", *self._repr_parts(note))


def _cal(calendar: Any) -> Any:
    """The procmine Calendar to display with: the given one, the default ``Calendar()``
    for ``None``, ``Calendar.always()`` for the detectors' elapsed-time stand-in."""
    from ..calendar import Calendar

    if calendar is None:
        return Calendar()
    if isinstance(calendar, Calendar):
        return calendar
    return Calendar.always()  # redundancy._base.ElapsedCalendar: working time = elapsed time


def _cal_note(calendar: Any, language: str = "en") -> str:
    from ..i18n import calendar_note

    return calendar_note(_cal(calendar), language)


def _fmt_td(td: pd.Timedelta, language: str = "en", calendar: Any = None) -> str:
    # savings are working time (24 h of it is three office days, not one day): shown in
    # working days of the calendar they were measured with, as the report shows them
    from ..i18n import format_working_time

    return format_working_time(td, language, day_hours=_cal(calendar).day_hours or 24.0)


#: the working-time columns of :meth:`Findings.to_frame`, as floats of working hours
_WORKING_COLUMNS = ("time_cost", "saving_per_case", "total_saving")


class Findings(Result, Sequence[Finding]):
    """Findings sorted by estimated total saving (largest first).

    Examples
    --------
    >>> f = Findings([Finding("rework", ("Prüfung",), cases=3, saving_per_case=pd.Timedelta("1h"))])
    >>> len(f), f[0].kind
    (1, 'rework')
    """

    def __init__(
        self,
        findings: Sequence[Finding] = (),
        *,
        n_cases: int | None = None,
        log_name: str = "",
        log: Any = None,
        calendar: Any = None,
    ) -> None:
        items = list(findings)
        if calendar is None:  # a slice or filter keeps the calendar of its findings
            calendar = next((f.calendar for f in items if f.calendar is not None), None)
        else:
            items = [f if f.calendar is calendar else dataclasses.replace(f, calendar=calendar) for f in items]
        self._items = sorted(items, key=lambda f: (-f._saving_seconds, -f.confidence, f.kind, f.activities))
        self.n_cases = n_cases
        self.log_name = log_name
        self._log = log  # the analysed EventLog, for plot(); not part of the result's data
        #: the calendar the findings' times were measured with (``None``: the default one)
        self.calendar = calendar

    @overload
    def __getitem__(self, i: int) -> Finding: ...
    @overload
    def __getitem__(self, i: slice) -> Findings: ...
    def __getitem__(self, i: int | slice) -> Finding | Findings:
        if isinstance(i, slice):
            return Findings(
                self._items[i], n_cases=self.n_cases, log_name=self.log_name, log=self._log, calendar=self.calendar
            )
        return self._items[i]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._items)

    def filter(self, *, kind: str | Sequence[str] | None = None, min_confidence: float = 0.0) -> Findings:
        """The findings of the given kind(s) and at least ``min_confidence``."""
        kinds = (kind,) if isinstance(kind, str) else tuple(kind) if kind is not None else KINDS
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise fail("Findings.filter", "kind", f"among {KINDS}", bad)
        keep = [f for f in self._items if f.kind in kinds and f.confidence >= min_confidence]
        return Findings(keep, n_cases=self.n_cases, log_name=self.log_name, log=self._log, calendar=self.calendar)

    def to_frame(self, language: str = "en") -> pd.DataFrame:
        """One row per finding, the columns of :class:`Finding` plus ``total_saving``.

        The frame keeps ``example_cases``: it stays in the analyst's session. Files procmine
        writes leave them out unless asked (``procmine findings --with-case-ids``,
        ``report(..., show_case_ids=True)``), since case ids may identify people.

        Working time is shown as plain numbers of working hours, never as a
        ``Timedelta`` (whose "1 day" would be 24 working hours, three office days):
        the columns ``time_cost_working_h``, ``saving_per_case_working_h`` and
        ``total_saving_working_h`` (floats), with ``frame.attrs["calendar"]`` (the
        calendar's ``repr``) and ``frame.attrs["day_hours"]`` (hours of its working day).
        Under ``Calendar.always()`` (elapsed time) they stay ``Timedelta`` columns named
        ``time_cost``, ``saving_per_case``, ``total_saving``. The :class:`Finding`
        attributes are ``Timedelta`` in both cases.

        Examples
        --------
        >>> f = Findings([Finding("rework", ("Prüfung",), cases=3, saving_per_case=pd.Timedelta("1h"))])
        >>> f.to_frame()[["kind", "saving_per_case_working_h", "total_saving_working_h"]].values.tolist()
        [['rework', 1.0, 3.0]]
        """
        cal = _cal(self.calendar)
        working = not cal.is_elapsed
        cols = [
            "kind", "activities", "org_units", "cases", "case_share", "time_cost",
            "saving_per_case", "total_saving", "confidence", "evidence", "recommendation", "example_cases",
        ]
        rows = []
        for f in self._items:
            d = f.to_dict()
            d["recommendation"] = f.text(language)
            if working:  # float seconds: total_saving may be beyond a Timedelta
                d["total_saving"] = f._saving_seconds
                d["time_cost"] = f.time_cost.total_seconds()
                d["saving_per_case"] = f.saving_per_case.total_seconds()
            rows.append(d)
        frame = pd.DataFrame(rows, columns=cols)
        if working:
            for col in _WORKING_COLUMNS:
                frame[col] = frame[col].astype(float) / 3600
            frame = frame.rename(columns={c: f"{c}_working_h" for c in _WORKING_COLUMNS})
        frame.attrs.update({"calendar": repr(cal), "day_hours": cal.day_hours})
        return frame

    def plot(self, ax: Any = None, *, log: Any = None, top: int = 10, language: str = "en", **map_options: Any) -> Any:
        """A horizontal bar chart of the estimated total saving (working hours) of the
        ``top`` findings on ``ax``; returns the axes. Without ``ax``: the findings on the
        process map (:meth:`plot_map`, shown as SVG in Jupyter)."""
        if ax is None:
            return self.plot_map(log=log, top=top, **map_options)
        return self._bars(ax, top)

    def plot_map(self, *, log: Any = None, top: int = 10, **map_options: Any) -> Any:
        """The process map of the analysed log (or ``log``) with the activities of the
        ``top`` findings framed in orange and labelled with their kinds (a
        :class:`procmine.viz.ProcessMap`, shown as SVG in Jupyter; ``map_options`` go to
        :func:`procmine.viz.process_map`).

        Examples
        --------
        >>> import procmine as pm
        >>> found = pm.find_redundancies(pm.samples.load("permit_de"))
        >>> "<svg" in found.plot_map().svg
        True
        """
        items = self._items[:top]
        from ..viz import process_map

        target = log if log is not None else self._log
        if target is None:
            raise fail("Findings.plot_map", "log", "the log of the findings (plot_map needs the log to draw the "
                       "map; or use plot(ax=...) for a bar chart)", None)
        notes: dict[str, list[str]] = {}
        for f in items:
            for a in f.activities:
                if f.kind not in notes.setdefault(a, []):
                    notes[a].append(f.kind)
        return process_map(target, highlight={a: ", ".join(k) for a, k in notes.items()}, **map_options)

    def _bars(self, ax: Any, top: int) -> Any:
        items = self._items[:top]
        hours = [f.total_saving.total_seconds() / 3600 for f in items][::-1]
        labels = [f"{f.kind}: {' → '.join(f.activities)}"[:60] for f in items][::-1]
        colours = [_KIND_COLOURS[KINDS.index(f.kind) % len(_KIND_COLOURS)] for f in items][::-1]
        ax.barh(range(len(items)), hours, color=colours)
        ax.set_yticks(range(len(items)), labels, fontsize=8)
        ax.set_xlabel("estimated saving, working hours (all affected cases)")
        ax.set_title(f"Findings{' in ' + self.log_name if self.log_name else ''}", fontsize=10)
        return ax

    def summary(self) -> dict[str, Any]:
        """Findings per kind, cases of the log, and the calendar the savings are counted in."""
        by_kind: dict[str, int] = {}
        for f in self._items:
            by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
        return {"findings": len(self), **by_kind, "cases in the log": self.n_cases,
                "savings in working time": _cal_note(self.calendar)}

    def _repr_parts(self) -> tuple[str, list[str]]:
        s = self.summary()
        kinds = [k for k in KINDS if k in s]  # all counts are in summary(); the repr names them when few
        shown = ", ".join(f"{k}: {s[k]}" for k in kinds) if len(kinds) <= 3 else f"{len(kinds)} kinds"
        facts = [f"{len(self)} findings ({shown or 'none'})", f"savings in working time, {s['savings in working time']}"]
        if self._items:  # the largest saving, as its own repr says it (the calendar is said above)
            top = self._items[0]
            acts = " → ".join(top.activities)
            acts = acts if len(acts) <= 40 else acts[:39] + "…"
            facts.append(f"top {top.kind} ({acts}): saving {_fmt_td(top.saving_per_case, calendar=self.calendar)}/case")
        return (f"in {self.log_name!r}" if self.log_name else ""), facts

def _fmt_value(v: Any, calendar: Any = None) -> str:
    if isinstance(v, pd.Timedelta):
        return _fmt_td(v, calendar=calendar)
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)
