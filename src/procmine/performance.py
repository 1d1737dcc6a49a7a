"""Where time goes: case durations, waiting and processing time, throughput, work in progress.

:func:`performance` measures a log in *working time* (the default Swiss office calendar,
see :class:`procmine.Calendar`) or in elapsed time (``calendar=Calendar.always()``).
Everything is computed on the log's integer codes with vectorised numpy.

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

from ._core.event_times import EventTimes, _td, event_times
from ._core.kernels import group_stats
from ._core.validation import check_choice, fail
from ._results import Result, duration_text, legacy_first_option, new_axes
from .calendar import NAT, Calendar
from .log import ACTIVITY, CASE, EventLog
from .waits._causes import CAUSES, WaitCauses, check_declarations, wait_causes

__all__ = ["EventTimes", "Performance", "event_times", "group_stats", "performance"]

_HOUR_US = 3_600_000_000


# ---------------------------------------------------------------------------------------
# throughput (per-event times: procmine._core.event_times)
# ---------------------------------------------------------------------------------------
def _period_counts(us: np.ndarray, tz: str, freq: str) -> pd.Series:
    """Number of instants per local period. Instants are first counted in 15-minute UTC
    bins (every time zone's offset is a multiple of 15 minutes, so a bin never straddles a
    local period boundary); only the occupied bins are converted to local periods."""
    bin_us = 15 * 60 * 1_000_000
    q = us // bin_us
    q0 = int(q.min())
    span = int(q.max()) - q0 + 1
    if span <= 4 * len(us) + 1_000_000:
        binned = np.bincount(q - q0, minlength=span)
        occupied = np.flatnonzero(binned)
        starts, weights = (occupied + q0) * bin_us, binned[occupied]
    else:  # a few instants spread over centuries: convert them one by one
        starts, weights = us, np.ones(len(us), dtype=np.int64)
    local = (
        pd.DatetimeIndex(starts.view("datetime64[us]")).tz_localize("UTC").tz_convert(tz).tz_localize(None)
    )
    return pd.Series(weights).groupby(local.to_period(freq)).sum()


def _exact_sums(keys: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sums of int64 ``values`` per key as float64, from the exact integer sums: a float
    bincount loses the last digits once a sum passes 2**53 µs (285 years of waiting, a
    few activities of a large log). Two exact float bincounts, of the high and low bits."""
    v = values.astype(np.int64)
    lo = np.bincount(keys, weights=(v & 0xFFFFF).astype(np.float64), minlength=n).astype(np.int64)
    hi = np.bincount(keys, weights=(v >> 20).astype(np.float64), minlength=n).astype(np.int64)
    return ((hi << 20) + lo).astype(np.float64)


# ---------------------------------------------------------------------------------------
# the result object
# ---------------------------------------------------------------------------------------

class Performance(Result):
    """Performance of a log: frames of case, activity and edge times, throughput and WIP.

    Build it with :func:`performance`. Frames are computed on first access and cached.
    Durations are working time under :attr:`calendar` (elapsed time when the calendar
    is :meth:`Calendar.always`); :meth:`elapsed` gives the same views in elapsed time,
    and ``.cases`` has both. A working-time ``Timedelta`` counts working hours: its
    "1 day" is 24 working hours, three office days of the default calendar; displays
    (``repr``, HTML) therefore show working time in hours.
    """

    def __init__(
        self, log: EventLog, calendar: Calendar, freq: str | None = None, *,
        waits: Any = None, external: Any = None,
    ) -> None:
        self.log = log
        self.calendar = calendar
        self.times = event_times(log, calendar)
        self._freq = freq
        self._declared = (waits, external)
        check_declarations(log, waits, external)  # now, not on first access of a frame

    @cached_property
    def causes(self) -> WaitCauses:
        """The cause of every wait and the step classification (:mod:`procmine.waits._causes`)."""
        return wait_causes(self.log, waits=self._declared[0], external=self._declared[1])

    @property
    def wait_causes(self) -> pd.DataFrame:
        """Why cases wait before each activity: one row per activity and cause, with
        ``activity``, ``cause`` (office, client, statutory, batch), ``events`` (waits with
        that cause) and ``why``."""
        return self.causes.explain

    @property
    def steps(self) -> pd.DataFrame:
        """Per activity: ``request``, ``external``, ``system``, ``why``
        (:func:`procmine.waits._steps.classify_steps`), ``period_days`` (a detected fixed period)
        and ``cause`` (of most of its waits)."""
        return self.causes.steps

    @cached_property
    def _wait_split(self) -> dict[str, np.ndarray]:
        """Every event's wait split by cause (a statutory wait past its period in two)."""
        return self.causes.split(self.times.wait)

    def _cause_sums(self, keys: np.ndarray, n: int, sel: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Total wait per key code and cause (float µs of the exact integer sums, as the
        DuckDB engine gives them); ``sel`` picks the events of ``keys``."""
        return {name: _exact_sums(keys, w if sel is None else w[sel], n) for name, w in self._wait_split.items()}

    @property
    def basis(self) -> str:
        """``"elapsed"`` or ``"working"``: what the durations measure."""
        return "elapsed" if self.calendar.is_elapsed else "working"

    @property
    def waiting_label(self) -> str:
        """``"waiting"`` with start timestamps, else ``"waiting+processing"``."""
        return "waiting" if self.times.has_start else "waiting+processing"

    def elapsed(self) -> Performance:
        """The same analysis in elapsed time (24/7)."""
        if self.calendar.is_elapsed:
            return self
        return Performance(self.log, Calendar.always(), self._freq, waits=self._declared[0],
                           external=self._declared[1])

    def _attrs(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame.attrs.update(
            {"basis": self.basis, "waiting": self.waiting_label, "calendar": repr(self.calendar)}
        )
        return frame

    # -- frames ------------------------------------------------------------------------
    @cached_property
    def cases(self) -> pd.DataFrame:
        """One row per case: ``start``, ``end``, ``events``, ``duration`` (per calendar),
        ``elapsed`` and the waiting by cause (``wait_office``, ``wait_client``,
        ``wait_statutory``, ``wait_batch``, per calendar)."""
        t, c = self.times, self.log.codes
        frame = pd.DataFrame(
            {
                "start": pd.to_datetime(t.case_start, unit="us", utc=True),
                "end": pd.to_datetime(t.case_end, unit="us", utc=True),
                "events": np.diff(c.case_offsets),
                "duration": _td(t.case_duration),
                "elapsed": _td(t.case_elapsed),
            },
            index=pd.Index(c.case_ids, name=CASE),
        )
        sums = self._cause_sums(c.case, c.n_cases)
        for name in CAUSES:
            frame[f"wait_{name}"] = _td(sums[name]).to_numpy()
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
        t, c = self.times, self.log.codes
        n = c.n_activities
        proc = group_stats(c.activity, t.proc, n)
        wait = group_stats(c.activity, t.wait, n)
        total_case = float(np.sum(t.case_duration[t.case_duration != NAT]))
        causes = self._cause_sums(c.activity, n)
        return self._activities_frame(c.activity_names, np.bincount(c.activity, minlength=n), proc, wait, total_case,
                                      causes)

    def _activities_frame(
        self, names: Any, count: np.ndarray, proc: dict, wait: dict, total_case: float,
        causes: dict[str, np.ndarray],
    ) -> pd.DataFrame:
        """The activities frame from per-activity stats (float µs ``median``, ``mean``,
        ``p90``, ``sum``; NaN where nothing was measured) and total waiting per cause;
        shared with the DuckDB engine."""
        wait_sum = np.nan_to_num(wait["sum"])
        spent = np.nan_to_num(proc["sum"]) + wait_sum
        frame = pd.DataFrame(
            {
                "count": count,
                "processing_median": _td(proc["median"]),
                "processing_mean": _td(proc["mean"]),
                "processing_p90": _td(proc["p90"]),
                "waiting_median": _td(wait["median"]),
                "waiting_mean": _td(wait["mean"]),
                "waiting_p90": _td(wait["p90"]),
                "waiting_total": _td(wait_sum),
                "waiting_total_hours": wait_sum / _HOUR_US,
                "share": spent / total_case if total_case > 0 else np.zeros(len(count)),
                **{f"wait_{name}": _td(causes[name]) for name in CAUSES},
            },
            index=pd.Index(names, name=ACTIVITY),
        )
        frame = frame.sort_values(["waiting_total_hours", "count"], ascending=False, kind="stable")
        return self._attrs(frame)

    @cached_property
    def edges(self) -> pd.DataFrame:
        """Per directly-follows pair: ``source``, ``target``, ``count``, ``cases`` and the
        ``median``/``mean``/``p90`` waiting time before the target (see module docs) and its
        total by cause (``wait_office``, ``wait_client``, ``wait_statutory``, ``wait_batch``)."""
        t, c = self.times, self.log.codes
        n_act = max(c.n_activities, 1)
        p = c.pairs  # edges, counts and distinct cases: shared with the DFG
        keys, cases = p.keys, p.cases
        st = group_stats(p.edge, t.wait[1:][p.same], len(keys))
        causes = self._cause_sums(p.edge, len(keys), np.flatnonzero(p.same) + 1)
        names = c.activity_names
        return self._edges_frame(names[keys // n_act], names[keys % n_act], p.counts, cases, st, causes)

    def _edges_frame(
        self, source: np.ndarray, target: np.ndarray, count: np.ndarray, cases: np.ndarray, wait: dict,
        causes: dict[str, np.ndarray],
    ) -> pd.DataFrame:
        """The edges frame from per-pair waiting stats (as :meth:`_activities_frame`),
        pairs in name order; shared with the DuckDB engine."""
        frame = pd.DataFrame(
            {
                "source": pd.Series(source, dtype=object),
                "target": pd.Series(target, dtype=object),
                "count": count,
                "cases": cases,
                "median": _td(wait["median"]),
                "mean": _td(wait["mean"]),
                "p90": _td(wait["p90"]),
                **{f"wait_{name}": _td(causes[name]) for name in CAUSES},
            }
        )
        frame = frame.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)
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
        t = self.times
        if len(t.case_start) == 0:
            return None
        return int(t.case_start.min()), int(t.case_end.max())

    @cached_property
    def throughput(self) -> pd.DataFrame:
        """Per period (local time of the calendar): ``arrivals`` (cases started),
        ``completions`` (cases ended), ``wip`` (cases open at the period's end), ``events``."""
        t = self.times
        if len(t.case_start) == 0:
            empty = pd.DataFrame(
                columns=["arrivals", "completions", "wip", "events"],
                index=pd.PeriodIndex([], freq=self.freq, name="period"),
                dtype=np.int64,
            )
            return self._attrs(empty)
        counts = [
            _period_counts(x, self.calendar.tz, self.freq)
            for x in (t.case_start, t.case_end, self.log.codes.ts)
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
        t = self.times
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
            ("cases", self.log.n_cases),
            ("events", self.log.n_events),
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
            ("start timestamps", "yes" if t.has_start else "no"),
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
        med = self.cases["duration"].median() if self.log.n_cases else None
        return repr(self.log.name), [
            f"{self.log.n_cases:,} cases, {self.log.n_events:,} events",
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
    log: EventLog,
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
        The event log, or a :class:`procmine.engines.duckdb.DuckLog` (the frames are then
        computed in DuckDB: :class:`procmine.engines.duckdb._perf.DuckPerformance`).
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
    from .engines import get_engine, materialise
    from .errors import LogError

    if calendar is not None and not isinstance(calendar, Calendar):
        raise fail("performance", "calendar", "a procmine.Calendar or None", calendar)
    if not isinstance(log, EventLog):
        try:
            name = get_engine(log).capabilities.name
        except LogError:
            raise fail("performance", "log", "a procmine.EventLog (see procmine.read_log)",
                       type(log).__name__) from None
        if name == "duckdb":
            from .engines.duckdb._perf import duck_performance  # same frames, by SQL

            return duck_performance(log, Calendar() if calendar is None else calendar, freq, waits=waits,
                                    external=external)
        log = materialise(log, "performance")  # other engines: their events, in memory
    return Performance(log, Calendar() if calendar is None else calendar, freq, waits=waits, external=external)
