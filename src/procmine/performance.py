"""Where time goes: case durations, waiting and processing time, throughput, work in progress.

:func:`performance` measures a log in *working time* (the default Swiss office calendar,
see :class:`procmine.Calendar`) or in elapsed time (``calendar=Calendar.always()``).
The figures are aggregates the log's engine computes (:mod:`procmine.engines`): on the
log's integer codes with vectorised numpy in memory, by SQL in DuckDB, by Spark; the
same definitions and frames on each.

Definitions, per event ``e`` of a case, ``p`` the event before it (by completion time):

* **processing time** of ``e``: ``start(e) → complete(e)``, only where ``e`` has a start
  timestamp;
* **waiting time** before ``e``: ``complete(p) → start(e)``; when ``e`` has no start
  timestamp, ``complete(p) → complete(e)``, i.e. *waiting + processing* (the frames say
  which in their ``attrs["waiting"]``). A start before ``complete(p)`` (overlapping,
  parallel work) counts as no waiting (pm4py 2.7's performance DFG reports a negative
  time for such pairs; elsewhere the figures equal pm4py's). The first event of a case
  has no waiting time;
* **edge time** of a directly-follows pair ``p → e``: the waiting time before ``e``;
* **case duration**: first start (or first completion) to last completion.

Every wait has one cause (:mod:`procmine.waits._causes`): ``office`` (queue the office
controls), ``client`` (after a request to the applicant or a third party, or before a step
the outside world triggers), ``statutory`` (a fixed legal period, detected or declared) or
``batch`` (declared). The frames carry one total per cause (``wait_office``,
``wait_client``, ``wait_statutory``, ``wait_batch``); they add up to the total waiting.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ._core.event_times import EventTimes, _td, _td_values, event_times, numpy_frame
from ._core.kernels import NAT, exact_sums, group_stats
from ._core.validation import check_choice, fail
from ._results import Result, duration_text, legacy_first_option, new_axes
from .calendar import Calendar
from .engines import Engine, LogLike, get_engine, in_memory_engine
from .engines._protocol import local_periods
from .errors import LogError
from .log import ACTIVITY, CASE, EventLog
from .waits._causes import CAUSES, WaitCauses, check_declarations

__all__ = ["EventTimes", "Performance", "event_times", "group_stats", "performance"]

_HOUR_US = 3_600_000_000
_CAUSE_COLUMNS = tuple(f"wait_{name}" for name in CAUSES)


# ---------------------------------------------------------------------------------------
# the result object
# ---------------------------------------------------------------------------------------

class Performance(Result):
    """Performance of a log: frames of case, activity and edge times, throughput and WIP.

    Build it with :func:`performance`. The figures are aggregates of the log's engine
    (:func:`procmine.engines.get_engine`: in memory, DuckDB or Spark, the same frames);
    frames are computed on first access and cached.
    Durations are working time under :attr:`calendar` (elapsed time when the calendar
    is :meth:`Calendar.always`); :meth:`elapsed` gives the same views in elapsed time,
    and ``.cases`` has both. A working-time ``Timedelta`` counts working hours: its
    "1 day" is 24 working hours, three office days of the default calendar; displays
    (``repr``, HTML) therefore show working time in hours.

    :attr:`times` and :attr:`causes` are per-event arrays: on an engine that does not
    hold the events in memory (DuckDB, Spark) they load the log, within the engine's
    limit; every frame, :attr:`wait_causes` and :attr:`steps` do not. An engine that
    does not split the waits by cause (``engine.capabilities.wait_causes`` false) gives
    the frames without the ``wait_*`` cause columns.
    """

    def __init__(
        self, log: Any, calendar: Calendar, freq: str | None = None, *,
        waits: Any = None, external: Any = None, engine: Engine | None = None,
    ) -> None:
        self.log = log
        self.engine = get_engine(log) if engine is None else engine
        self.calendar = calendar
        self._freq = freq
        self._declared = (waits, external)
        # now, not on first access of a frame (the names are read only when something is declared)
        self._key = check_declarations(lambda: self.engine.activity_counts().index.tolist(), waits, external)

    @cached_property
    def _events(self) -> Any:
        """The in-memory engine of the log's events, for the views that work per event."""
        return in_memory_engine(self.engine, "performance (per-event times and causes)")

    @cached_property
    def times(self) -> EventTimes:
        """Per-event times under :attr:`calendar` (:class:`procmine._core.event_times.EventTimes`);
        on an engine not in memory this loads the log (within the engine's limit)."""
        return self._events.event_times(self.calendar)

    @cached_property
    def causes(self) -> WaitCauses:
        """The cause of every wait and the step classification (:mod:`procmine.waits._causes`),
        per event: on an engine not in memory this loads the log (within the engine's limit)."""
        return self._events.wait_causes(self._key)

    @cached_property
    def _explained(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        engine = self.engine if self.engine.capabilities.wait_causes else self._events
        return engine.wait_explanation(self._key)

    @property
    def wait_causes(self) -> pd.DataFrame:
        """Why cases wait before each activity: one row per activity and cause, with
        ``activity``, ``cause`` (office, client, statutory, batch), ``events`` (waits with
        that cause) and ``why``."""
        return self._explained[1]

    @property
    def steps(self) -> pd.DataFrame:
        """Per activity: ``request``, ``external``, ``system``, ``why``
        (:func:`procmine.waits._steps.classify_steps`), ``period_days`` (a detected fixed period)
        and ``cause`` (of most of its waits)."""
        return self._explained[0]

    @property
    def basis(self) -> str:
        """``"elapsed"`` or ``"working"``: what the durations measure."""
        return "elapsed" if self.calendar.is_elapsed else "working"

    @cached_property
    def has_start(self) -> bool:
        """The log has start times: processing is measured and waits end at the start."""
        return bool(self.engine.has_measured_starts())

    @property
    def waiting_label(self) -> str:
        """``"waiting"`` with start timestamps, else ``"waiting+processing"``."""
        return "waiting" if self.has_start else "waiting+processing"

    def elapsed(self) -> Performance:
        """The same analysis in elapsed time (24/7)."""
        if self.calendar.is_elapsed:
            return self
        return Performance(self.log, Calendar.always(), self._freq, waits=self._declared[0],
                           external=self._declared[1], engine=self.engine)

    def _attrs(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame.attrs.update(
            {"basis": self.basis, "waiting": self.waiting_label, "calendar": repr(self.calendar)}
        )
        return frame

    def _causes_of(self, table: pd.DataFrame) -> dict[str, pd.Series]:
        """The engine's totals per cause (float µs) as Timedeltas; none from an engine
        that does not split the waits by cause."""
        if not self.engine.capabilities.wait_causes:
            return {}
        return {col: _td(table[col].to_numpy(dtype=np.float64)) for col in _CAUSE_COLUMNS}

    @staticmethod
    def _stats(table: pd.DataFrame, prefix: str) -> dict[str, np.ndarray]:
        return {k: table[f"{prefix}_{k}"].to_numpy(dtype=np.float64) for k in ("median", "mean", "p90", "sum")}

    # -- frames ------------------------------------------------------------------------
    @cached_property
    def _case_table(self) -> pd.DataFrame:
        return self.engine.perf_cases(self.calendar, self._key)

    def _total_case_us(self) -> float:
        """The summed case durations (µs): from the case table when it is at hand (in memory,
        or already read), else one sum by the engine (out of core: the per-case table with
        its cause sums took 19 s of 170 on 100 M events, for this one number)."""
        if "_case_table" not in self.__dict__ and hasattr(self.engine, "perf_total_duration"):
            return float(self.engine.perf_total_duration(self.calendar, self._key))
        d = self._case_table["duration"].to_numpy(dtype=np.int64)
        d = d[d != NAT]
        # the exact sum, correctly rounded: an int64 sum wraps past 2**63 µs (10 M events of
        # road fines: 440,000 cases of about two years made every share 4-8 times too large)
        return float(exact_sums(np.zeros(len(d), dtype=np.int64), d, 1)[0])

    @cached_property
    def cases(self) -> pd.DataFrame:
        """One row per case: ``start``, ``end``, ``events``, ``duration`` (per calendar),
        ``elapsed`` and the waiting by cause (``wait_office``, ``wait_client``,
        ``wait_statutory``, ``wait_batch``, per calendar)."""
        c = self._case_table
        start, end = c["start"].to_numpy(dtype=np.int64), c["end"].to_numpy(dtype=np.int64)
        frame = pd.DataFrame(
            {
                "start": pd.to_datetime(start, unit="us", utc=True),
                "end": pd.to_datetime(end, unit="us", utc=True),
                "events": c["events"].to_numpy(dtype=np.int64),
                "duration": _td(c["duration"].to_numpy(dtype=np.int64)),
                "elapsed": _td(end - start),
            },
            index=pd.Index(c.index.to_numpy(dtype=object), name=CASE),
        )
        for col, values in self._causes_of(c).items():
            frame[col] = values.to_numpy()
        return self._attrs(frame)

    @cached_property
    def activities(self) -> pd.DataFrame:
        """Per activity: ``count``; ``processing_median/mean/p90``; ``waiting_median/mean/p90``,
        ``waiting_total`` (and ``waiting_total_hours``, a float that cannot overflow on huge
        logs); ``share`` of the total case time spent waiting for and doing it; the total
        waiting by cause, ``wait_office``, ``wait_client``, ``wait_statutory``,
        ``wait_batch`` (see :attr:`wait_causes` for why). Sorted by total waiting, largest first.

        Without start timestamps the processing columns are empty and "waiting" is
        waiting + processing (``frame.attrs["waiting"]`` says which).
        """
        a = self.engine.perf_activities(self.calendar, self._key)
        proc, wait = self._stats(a, "proc"), self._stats(a, "wait")
        total_case = self._total_case_us()
        wait_sum = np.nan_to_num(wait["sum"])
        spent = np.nan_to_num(proc["sum"]) + wait_sum
        frame = pd.DataFrame(
            {
                "count": a["count"].to_numpy(dtype=np.int64),
                "processing_median": _td(proc["median"]),
                "processing_mean": _td(proc["mean"]),
                "processing_p90": _td(proc["p90"]),
                "waiting_median": _td(wait["median"]),
                "waiting_mean": _td(wait["mean"]),
                "waiting_p90": _td(wait["p90"]),
                "waiting_total": _td(wait_sum),
                "waiting_total_hours": wait_sum / _HOUR_US,
                "share": spent / total_case if total_case > 0 else np.zeros(len(a)),
                **self._causes_of(a),
            },
        )
        frame.index = pd.Index(a.index.to_numpy(dtype=object), name=ACTIVITY)
        frame = frame.sort_values(["waiting_total_hours", "count"], ascending=False, kind="stable")
        return self._attrs(frame)

    @cached_property
    def edges(self) -> pd.DataFrame:
        """Per directly-follows pair: ``source``, ``target``, ``count``, ``cases`` and the
        ``median``/``mean``/``p90`` waiting time before the target (see module docs) and its
        total by cause (``wait_office``, ``wait_client``, ``wait_statutory``, ``wait_batch``)."""
        columns = getattr(self.engine, "perf_edge_columns", None)  # the arrays, without an engine frame
        e = (self.engine.perf_edges if columns is None else columns)(self.calendar, self._key)
        count = np.asarray(e["count"], dtype=np.int64)
        order = np.argsort(-count, kind="stable")  # by count, descending; ties keep the engine's order

        def col(name: str, dtype: Any) -> np.ndarray:
            return np.asarray(e[name], dtype=dtype)[order]

        frame = numpy_frame(
            {
                "source": col("source", object),
                "target": col("target", object),
                "count": count[order],
                "cases": col("cases", np.int64),
                **{k: _td_values(col(f"wait_{k}", np.float64)) for k in ("median", "mean", "p90")},
                **({} if not self.engine.capabilities.wait_causes else
                   {c: _td_values(col(c, np.float64)) for c in _CAUSE_COLUMNS}),
            }
        )
        return self._attrs(frame)

    @property
    def freq(self) -> str:
        """Period of the time series: ``"D"`` for logs up to 400 days, else ``"W"``."""
        if self._freq:
            return self._freq
        span = self._span_us()
        if span is None:
            return "D"
        return "D" if (span[1] - span[0]) / (24 * _HOUR_US) <= 400 else "W"

    def _span_us(self) -> tuple[int, int] | None:
        """(first case start, last case end) in µs; None for an empty log."""
        c = self._case_table
        if len(c) == 0:
            return None
        return int(c["start"].min()), int(c["end"].max())

    @cached_property
    def throughput(self) -> pd.DataFrame:
        """Per period (local time of the calendar): ``arrivals`` (cases started),
        ``completions`` (cases ended), ``wip`` (cases open at the period's end), ``events``."""
        c = self._case_table
        if len(c) == 0:
            empty = pd.DataFrame(
                columns=["arrivals", "completions", "wip", "events"],
                index=pd.PeriodIndex([], freq=self.freq, name="period"),
                dtype=np.int64,
            )
            return self._attrs(empty)
        tz = self.calendar.tz
        counts = [  # arrivals and completions from the per-case table, events from the engine
            local_periods(c["start"].to_numpy(dtype=np.int64), tz, self.freq),
            local_periods(c["end"].to_numpy(dtype=np.int64), tz, self.freq),
            self.engine.event_periods(tz, self.freq),
        ]
        return self._throughput_frame(counts)

    def _throughput_frame(self, counts: list[pd.Series]) -> pd.DataFrame:
        """The throughput frame from arrivals, completions and events per period."""
        full = pd.period_range(
            min(counts[0].index.min(), counts[2].index.min()),
            max(counts[1].index.max(), counts[2].index.max()),
            freq=self.freq,
        )
        a, d, e = (cnt.reindex(full, fill_value=0).to_numpy() for cnt in counts)
        frame = pd.DataFrame(
            {"arrivals": a, "completions": d, "wip": np.cumsum(a) - np.cumsum(d), "events": e},
            index=pd.Index(full, name="period"),
        )
        return self._attrs(frame)

    @property
    def wip(self) -> pd.Series:
        """Work in progress: cases open at the end of each period."""
        return self.throughput["wip"]

    # -- summaries -------------------------------------------------------------------------------
    # Frames for display: working time as float working hours with the unit in the name
    # (a working-time Timedelta's "1 day" is 24 working hours, three office days, and
    # pandas would print it as "18 days 15:00"); elapsed time stays a Timedelta.
    def summary(self) -> pd.DataFrame:
        """Key figures as a two-column frame (``figure``, ``value``).

        Under a working-time calendar the working-time durations are floats of working
        hours, their figure names end in ``(working h)``; elapsed durations stay
        ``Timedelta``. ``frame.attrs["calendar"]`` names the calendar.

        Examples
        --------
        >>> import procmine as pm
        >>> s = pm.performance(pm.samples.load("permit_de")).summary().set_index("figure")["value"]
        >>> isinstance(s["median case duration (working h)"], float)
        True
        """
        dur = self.cases["duration"]
        el = self.cases["elapsed"]
        tp = self.throughput
        unit = {"D": "day", "W": "week"}.get(self.freq, self.freq)
        top = self.activities.head(1)
        working = self.basis == "working"

        def work(name: str, v: Any) -> tuple[str, Any]:
            if not working:
                return name, v
            return f"{name} (working h)", (float("nan") if pd.isna(v) else pd.Timedelta(v).total_seconds() / 3600)

        rows = [
            ("cases", self.engine.n_cases),
            ("events", self.engine.n_events),
            ("time basis", f"{self.basis} time ({self.calendar!r})"),
            ("waiting measured as", self.waiting_label),
            work("median case duration", dur.median()),
            work("p90 case duration", dur.quantile(0.9)),
            work("mean case duration", dur.mean()),
            ("median elapsed case duration", el.median()),
            (f"arrivals per {unit} (mean)", float(tp["arrivals"].mean()) if len(tp) else 0.0),
            (f"completions per {unit} (mean)", float(tp["completions"].mean()) if len(tp) else 0.0),
            (f"work in progress (mean open cases per {unit})", float(tp["wip"].mean()) if len(tp) else 0.0),
            ("activity with most waiting", top.index[0] if len(top) else None),
            ("its share of case time", float(top["share"].iloc[0]) if len(top) else None),
            ("start timestamps", "yes" if self.has_start else "no"),
        ]
        return self._attrs(pd.DataFrame(rows, columns=["figure", "value"]))

    def to_frame(self) -> pd.DataFrame:
        """The per-activity table (:attr:`activities`) with the activity as a column.

        Under a working-time calendar the duration columns are floats of working hours
        named ``<column>_working_h`` (``waiting_median_working_h``, ...,
        ``waiting_total_working_h``, which replaces ``waiting_total_hours``);
        ``frame.attrs["calendar"]`` names the calendar. In elapsed time
        (``Calendar.always()``) they are the ``Timedelta`` columns of :attr:`activities`.
        """
        frame = self.activities.reset_index()
        if self.basis == "working":
            frame = _working_hours(frame.drop(columns=["waiting_total_hours"]))
        return self._attrs(frame)

    def _repr_parts(self) -> tuple[str, list[str]]:
        med = self.cases["duration"].median() if self.engine.n_cases else None
        return f"{self.engine.name!r}{self.engine.capabilities.label}", [
            f"{self.engine.n_cases:,} cases, {self.engine.n_events:,} events",
            f"median case duration {duration_text(med, day_hours=self._day_hours())} ({self.basis} time)",
            f"{self.waiting_label} per activity",
        ]

    # -- charts -----------------------------------------------------------------------------------
    def plot(self, ax: Any = None, *args: Any, kind: str = "durations", top: int = 15) -> Any:
        """Chart ``kind="durations"`` (histogram of case durations, hours), ``"activities"``
        (median waiting and processing per activity, the ``top`` by total waiting) or
        ``"wip"`` (arrivals, completions and work in progress over time) on ``ax`` (a new
        Figure's axes if None). Returns the axes. (``plot("wip", ax)``, the old order,
        still works with a DeprecationWarning.)"""
        ax, kind = legacy_first_option("Performance.plot", "kind", ax, args, kind)
        check_choice("Performance.plot", "kind", kind, ("durations", "activities", "wip"))
        ax = new_axes(ax)
        if kind == "durations":
            hours = self.cases["duration"].dropna().dt.total_seconds() / 3600
            ax.hist(hours, bins=min(50, max(len(hours) // 5, 5)), color="#4472c4")
            ax.set_xlabel(f"case duration ({self.basis} hours)")
            ax.set_ylabel("cases")
            ax.set_title("Case durations")
        elif kind == "activities":
            acts = self.activities.head(top).iloc[::-1]
            wait = acts["waiting_median"].dt.total_seconds().fillna(0) / 3600
            proc = acts["processing_median"].dt.total_seconds().fillna(0) / 3600
            labels = [str(a)[:40] for a in acts.index]
            ax.barh(labels, wait, color="#ed7d31", label=f"median {self.waiting_label}")
            ax.barh(labels, proc, left=wait, color="#4472c4", label="median processing")
            ax.set_xlabel(f"{self.basis} hours")
            ax.set_title(f"Activities with the most {self.waiting_label} time")
            ax.legend(loc="lower right")
        else:
            tp = self.throughput
            x = tp.index.to_timestamp()
            unit = {"D": "day", "W": "week", "M": "month"}.get(self.freq, self.freq)
            ax.plot(x, tp["wip"], label=f"open cases (end of {unit})", color="#4472c4")
            ax.plot(x, tp["arrivals"], label=f"arrivals per {unit}", color="#70ad47", lw=0.8)
            ax.plot(x, tp["completions"], label=f"completions per {unit}", color="#ed7d31", lw=0.8)
            ax.set_ylabel("cases")
            ax.set_title("Work in progress and throughput")
            ax.legend(loc="upper left")
        return ax


def _working_hours(frame: pd.DataFrame) -> pd.DataFrame:
    """Timedelta columns of working time -> float working hours, named ``<column>_working_h``."""
    out = frame.copy()
    renames = {}
    for col in out.columns:
        if out[col].dtype.kind == "m":
            out[col] = out[col].dt.total_seconds() / 3600
            renames[col] = f"{col}_working_h"
    return out.rename(columns=renames)


def performance(
    log: EventLog | LogLike,
    *,
    calendar: Calendar | None = None,
    waits: dict[str, str] | None = None,
    external: list[str] | None = None,
    freq: str | None = None,
) -> Performance:
    """Case durations, waiting and processing times, throughput and work in progress.

    Parameters
    ----------
    log
        The event log: an :class:`procmine.EventLog`, or a log held by another engine
        (``read_log(..., engine="duckdb")``, a Spark log), whose engine computes the same
        frames (:func:`procmine.engines.get_engine`) without loading the events.
    calendar
        Turns elapsed into working time. ``None`` (default): ``Calendar()``, the Swiss
        office week closed on the national holidays every canton shares
        (``Calendar(canton="BE")`` for a canton's holidays); ``Calendar.always()``:
        elapsed time.
    freq
        Period of the throughput/WIP series (``"D"``, ``"W"``, ``"M"``...). Default:
        daily for logs spanning up to 400 days, else weekly.
    waits
        Declared causes of the waits before activities, overriding detection:
        ``{"Einsprachefrist": "statutory", "Unterlagen eingereicht": "client"}``; causes are
        ``"office"``, ``"client"``, ``"statutory"``, ``"batch"``.
    external
        Activities the outside world triggers (the wait before them is the client's).

    Returns
    -------
    Performance
        Frames ``.cases``, ``.activities``, ``.edges``, ``.throughput``, ``.wip``;
        ``.summary()``, ``.plot(kind=...)``. See the module documentation for definitions.

    Examples
    --------
    >>> import pandas as pd, procmine as pm
    >>> df = pd.DataFrame({"case:concept:name": ["c1", "c1", "c2", "c2"],
    ...     "concept:name": ["submit", "approve", "submit", "approve"],
    ...     "time:timestamp": pd.to_datetime(["2024-03-08 15:00", "2024-03-11 09:00",
    ...         "2024-03-11 08:00", "2024-03-11 10:00"]).tz_localize("Europe/Zurich")})
    >>> perf = pm.performance(pm.EventLog(df))
    >>> perf.cases["duration"].tolist()
    [Timedelta('0 days 03:30:00'), Timedelta('0 days 02:00:00')]
    >>> perf.edges[["source", "target", "count"]].values.tolist()
    [['submit', 'approve', 2]]
    >>> perf.elapsed().cases["duration"].iloc[0]
    Timedelta('2 days 18:00:00')
    """
    if calendar is not None and not isinstance(calendar, Calendar):
        raise fail("performance", "calendar", "a procmine.Calendar or None", calendar)
    try:
        engine = get_engine(log)
    except LogError:
        raise fail("performance", "log", "a procmine.EventLog (see procmine.read_log)", type(log).__name__) from None
    return Performance(log, Calendar() if calendar is None else calendar, freq, waits=waits, external=external,
                       engine=engine)
