"""The event log every analysis takes: :class:`EventLog` and its :class:`IngestReport`.

An ``EventLog`` wraps a pandas DataFrame in pm4py's canonical column names, sorted by
case (in order of first appearance) then time. Analyses never read the string columns in
their hot paths: they use :attr:`EventLog.codes`, integer codes computed once and cached.
:class:`IngestReport` is defined in :mod:`procmine._core.ingest_report` and importable from here.
"""

from __future__ import annotations

import dataclasses
import html
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._core.codes import LogCodes, case_and_activity_codes, contiguous_codes
from ._core.columns import (
    ACTIVITY,
    CASE,
    GROUP,
    LIFECYCLE,
    RESOURCE,
    ROLE_COLUMNS,
    START,
    TIMESTAMP,
    TS_DTYPE,
)
from ._core.ingest_report import IngestReport, _html_table
from ._core.kernels import NAT
from ._core.validation import check_fraction, fail
from .errors import LogError

__all__ = [
    "ACTIVITY",
    "CASE",
    "GROUP",
    "LIFECYCLE",
    "RESOURCE",
    "ROLE_COLUMNS",
    "START",
    "TIMESTAMP",
    "EventLog",
    "IngestReport",
    "LogCodes",
]



def _ts_int(values: pd.Series) -> np.ndarray:
    """Datetime column -> int64 microseconds (NaT -> int64 min)."""
    if values.dtype != TS_DTYPE:  # read logs have it already: astype would cost more than the read
        values = values.astype(TS_DTYPE)
    return values.to_numpy(dtype="datetime64[us]").view("int64")


class EventLog:
    """An event log in pm4py's canonical columns, sorted by case then time.

    Build one with :func:`procmine.read_log`; the constructor is for frames that
    already have the canonical columns.

    Examples
    --------
    >>> import procmine as pm
    >>> log = pm.samples.load("permit_de")
    >>> log.n_cases > 100
    True
    >>> {"case:concept:name", "concept:name", "time:timestamp"} <= set(log.df.columns)
    True
    """

    def __init__(
        self,
        df: pd.DataFrame,
        report: IngestReport | None = None,
        *,
        name: str | None = None,
        presorted: bool = False,
    ) -> None:
        missing = [c for c in (CASE, ACTIVITY, TIMESTAMP) if c not in df.columns]
        if missing:
            raise LogError(
                f"the frame lacks the canonical column(s) {missing}; "
                "use procmine.read_log(frame, case=..., activity=..., timestamp=...) to map yours"
            )
        self._seed: tuple[np.ndarray, np.ndarray] | None = None
        if not presorted:
            df, self._seed = _sort_events(df)
        self._df = df
        self.report = report if report is not None else IngestReport(rows_read=len(df), rows_kept=len(df))
        self.name = name or Path(self.report.source).name.split(".")[0] or "log"

    # -- basic properties -------------------------------------------------------------
    @property
    def df(self) -> pd.DataFrame:
        """The events (do not modify in place: derive new logs with :meth:`filter` or ``EventLog(df)``)."""
        return self._df

    @property
    def n_events(self) -> int:
        return len(self._df)

    @property
    def n_cases(self) -> int:
        return self.codes.n_cases

    @cached_property
    def activities(self) -> pd.Series:
        """Events per activity, most frequent first (index: activity name)."""
        counts = np.bincount(self.codes.activity, minlength=self.codes.n_activities)
        s = pd.Series(counts, index=pd.Index(self.codes.activity_names, name=ACTIVITY), name="events")
        return s.sort_values(ascending=False, kind="stable")

    def column(self, name: str) -> str | None:
        """The column of :attr:`df` a name refers to: itself, or the canonical column an
        original header was mapped to when the log was read (``report.roles``), or the
        ``case:`` attribute of that name; None when the log has no such column.

        Examples
        --------
        >>> import procmine as pm
        >>> log = pm.samples.load("permit_de")
        >>> log.column("Amt"), log.column("Dossier-Nr"), log.column("org:group"), log.column("x")
        ('org:group', 'case:concept:name', 'org:group', None)
        """
        columns = self._df.columns
        if name in columns:
            return name
        for role, source in self.report.roles.items():
            if source == name and ROLE_COLUMNS.get(role) in columns:
                return ROLE_COLUMNS[role]
        return f"case:{name}" if f"case:{name}" in columns else None

    @property
    def has_start_timestamps(self) -> bool:
        if START not in self._df.columns:
            return False
        codes = self.__dict__.get("codes")  # computed already: its start times say it without the frame
        if codes is not None:
            return codes.start_ts is not None and bool((codes.start_ts != NAT).any())
        return bool(self._df[START].notna().any())

    @property
    def time_range(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        if self.n_events == 0:
            return None
        ts = self._df[TIMESTAMP]
        return ts.min(), ts.max()

    @cached_property
    def codes(self) -> LogCodes:
        """Integer codes of cases and activities, computed once (see :class:`LogCodes`)."""
        df = self._df
        (case_codes, case_ids), (act_codes, act_names) = case_and_activity_codes(df[CASE], df[ACTIVITY], self._seed)
        self._seed = None
        n = len(case_codes)
        if n:  # written in place: diff + concatenate + astype cost five times as much
            change = np.flatnonzero(case_codes[1:] != case_codes[:-1])
            offsets = np.empty(len(change) + 2, dtype=np.int64)
            offsets[0], offsets[-1] = 0, n
            np.add(change, 1, out=offsets[1:-1])
        else:
            offsets = np.zeros(1, dtype=np.int64)
        if len(offsets) - 1 != len(case_ids):
            raise LogError(
                "the events of a case are not contiguous: the frame was passed with presorted=True "
                "but is not sorted by case; build the EventLog without presorted=True"
            )
        start = _ts_int(df[START]) if START in df.columns else None
        return LogCodes(
            case=case_codes,
            activity=act_codes,
            activity_names=act_names,
            case_id_values=case_ids,
            case_offsets=offsets,
            ts=_ts_int(df[TIMESTAMP]),
            start_ts=start,
        )

    # -- analyses -------------------------------------------------------------------------
    def variants(self) -> pd.DataFrame:
        """Variants with case count, share and median duration (see ``discover().variants``)."""
        from ._core.dfg import compute_variants

        return compute_variants(self)

    def case_durations(self) -> pd.Series:
        """Elapsed time from first to last event of each case (index: case id)."""
        # the case start (first start, else first completion) is defined once, in _core.dfg
        from ._core.dfg import _case_durations_us

        c = self.codes
        if c.n_cases == 0:
            return pd.Series(pd.to_timedelta([], unit="us"), index=pd.Index([], name=CASE), name="duration")
        dur = _case_durations_us(self)
        return pd.Series(pd.to_timedelta(dur, unit="us"), index=pd.Index(c.case_ids, name=CASE), name="duration")

    # -- filtering --------------------------------------------------------------------------
    def filter(
        self,
        *,
        start: Any = None,
        end: Any = None,
        mode: str = "contained",
        activities: Any = None,
        exclude_activities: Any = None,
        variants_coverage: float | None = None,
        case_attributes: dict[str, Any] | None = None,
        through: Any = None,
        cases: Any = None,
    ) -> EventLog:
        """A new log keeping what the arguments select; the report records each step.

        Parameters
        ----------
        start, end
            Time window (anything ``pd.Timestamp`` accepts; naive times are UTC).
        mode
            How the window applies: ``"contained"`` keeps cases entirely inside it,
            ``"intersecting"`` cases with at least one event inside it, ``"events"``
            only the events inside it.
        activities, exclude_activities
            Keep only / drop these activities (events; cases left empty disappear).
        variants_coverage
            Keep the most frequent variants that together cover this share of cases.
        case_attributes
            ``{column: value or list of values}``; a case is kept when its first event's
            value is among them.
        through
            Keep cases that pass through at least one of these activities.
        cases
            Keep these case ids.

        Examples
        --------
        >>> import procmine as pm
        >>> log = pm.samples.load("permit_de")
        >>> small = log.filter(variants_coverage=0.5)
        >>> small.n_cases <= log.n_cases
        True
        """
        from .filtering import apply_filters

        check_fraction("EventLog.filter", "variants_coverage", variants_coverage, allow_none=True)
        if mode not in ("contained", "intersecting", "events"):
            raise fail("EventLog.filter", "mode", "one of 'contained', 'intersecting', 'events'", mode)
        return apply_filters(
            self,
            start=start,
            end=end,
            mode=mode,
            activities=activities,
            exclude_activities=exclude_activities,
            variants_coverage=variants_coverage,
            case_attributes=case_attributes,
            through=through,
            cases=cases,
        )

    def sample(self, n_cases: int, *, seed: int = 0) -> EventLog:
        """A random sample of ``n_cases`` whole cases (reproducible with ``seed``)."""
        rng = np.random.default_rng(seed)
        ids = self.codes.case_ids
        n = min(int(n_cases), len(ids))
        chosen = ids[np.sort(rng.choice(len(ids), size=n, replace=False))]
        return self.filter(cases=list(chosen))

    def _derive(self, df: pd.DataFrame, description: str, **details: Any) -> EventLog:
        """A new log from a row subset of this one, with the filter step recorded."""
        report = dataclasses.replace(
            self.report,
            dropped=dict(self.report.dropped),
            dropped_rows=dict(self.report.dropped_rows),
            warnings=list(self.report.warnings),
            filters=list(self.report.filters),
        )
        out = EventLog(df, report, name=self.name, presorted=True)
        report.filters.append(
            {
                "description": description,
                "events_before": self.n_events,
                "events_after": out.n_events,
                "cases_before": self.n_cases,
                "cases_after": out.n_cases,
                **details,
            }
        )
        return out

    # -- conversion -----------------------------------------------------------------------------
    def to_pm4py(self) -> pd.DataFrame:
        """A copy of the frame pm4py's DataFrame functions accept as is."""
        return self._df.copy()

    def to_parquet(self, path: str | Path) -> Path:
        """Write the events to Parquet (readable again with ``read_log``)."""
        path = Path(path)
        self._df.to_parquet(path, index=False)
        return path

    def to_csv(self, path: str | Path, *, sep: str = ",") -> Path:
        """Write the events to CSV (UTF-8, ISO timestamps with offset)."""
        path = Path(path)
        self._df.to_csv(path, index=False, sep=sep, date_format="%Y-%m-%dT%H:%M:%S.%f%z")
        return path

    # -- display -------------------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Key figures of the log as a two-column frame."""
        tr = self.time_range
        rows = [
            ("events", self.n_events),
            ("cases", self.n_cases),
            ("activities", self.codes.n_activities),
            ("variants", len(self.variants()) if self.n_events else 0),
            ("first event", tr[0] if tr else None),
            ("last event", tr[1] if tr else None),
            ("rows dropped at ingest", self.report.rows_dropped),
        ]
        for col, label in ((RESOURCE, "resources"), (GROUP, "org units")):
            if col in self._df.columns:
                rows.append((label, int(self._df[col].nunique())))
        return pd.DataFrame(rows, columns=["figure", "value"])

    def __repr__(self) -> str:
        tr = self.time_range
        # the days as the office lived them: times are stored in UTC, and a step at 00:30 in
        # Zurich is the evening before in UTC (a date-only export's first day showed a day early)
        from .i18n import TIMEZONE

        span = f", {tr[0].tz_convert(TIMEZONE):%Y-%m-%d} – {tr[1].tz_convert(TIMEZONE):%Y-%m-%d}" if tr else ""
        r = self.report
        dropped = f", {r.rows_lost:,} rows dropped" if r.rows_lost else ""
        if r.rows_merged:
            dropped += f", {r.rows_merged:,} start rows paired"
        head = (
            f"<EventLog {self.name!r}: {self.n_events:,} events, {self.n_cases:,} cases, "
            f"{self.codes.n_activities:,} activities{span}{dropped}>"
        )
        # an implausible read (too few cases, one case holding most events) must not go unseen
        return "\n".join([head, *self.report.alerts])

    def _repr_html_(self) -> str:
        top = self.activities.head(10).reset_index()
        top.columns = ["activity", "events"]
        head, *alerts = repr(self).split("\n")
        return (
            f"<div><strong>{html.escape(head)}</strong>"
            + "".join(f'<p style="color:#b00020"><strong>{html.escape(a)}</strong></p>' for a in alerts)
            + _html_table(self.summary())
            + _html_table(top, caption="Most frequent activities")
            + "</div>"
        )

    def __len__(self) -> int:
        return self.n_events


def _sort_events(df: pd.DataFrame) -> tuple[pd.DataFrame, tuple[np.ndarray, Any] | None]:
    """Sort by case (order of first appearance) then completion time; stable for ties.

    Returns the sorted frame and its case codes with the case ids (codes in order of
    first appearance are non-decreasing once sorted), which seed :attr:`EventLog.codes`.
    """
    if len(df) == 0:
        return df.reset_index(drop=True), None
    ts = _ts_int(df[TIMESTAMP])
    blocks = contiguous_codes(df[CASE], fallback=False)
    if blocks is not None:
        # cases already in blocks (XES, exports sorted by case): sorted if time never
        # goes back inside a case; no hashing of ids, no sort
        codes = blocks[0]
        if not ((codes[1:] == codes[:-1]) & (ts[1:] < ts[:-1])).any():
            return df.reset_index(drop=True), blocks
    case_codes, uniques = pd.factorize(df[CASE], sort=False)
    order = np.lexsort((ts, case_codes))  # lexsort is stable: ties keep file order
    seed_ids = np.asarray(uniques, dtype=object)
    if np.array_equal(order, np.arange(len(order))):
        return df.reset_index(drop=True), (case_codes.astype(np.int32, copy=False), seed_ids)
    return df.iloc[order].reset_index(drop=True), (case_codes[order].astype(np.int32, copy=False), seed_ids)
