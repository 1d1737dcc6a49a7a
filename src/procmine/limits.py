"""Legal time limits: how many cases meet the period the law (or a service promise) sets.

A rule (:class:`TimeLimit`) names the step that starts the clock, the step that stops it
and the limit. Periods are counted as Swiss procedural law counts them
(:mod:`procmine.calendar._legal_days`): a period in days starts the day after the triggering
event and ends at 24:00 local time of its last day; a last day on a Saturday, Sunday or
public holiday (of the calendar's canton) moves to the next working day; weeks and months
end on the same-numbered day; ``standstill=True`` leaves out the statutory stand-still
periods; ``pause_on="client"`` stops the clock while the case waits for the applicant.

Anchors (``start``/``end``): an activity name, ``"case_start"`` (the case's first event)
or ``"case_end"`` (its last event in the log). The *start* is the activity's first
occurrence in the case (``"last:<activity>"``: its last); the *end* is the first
occurrence after the start (``"last:<activity>"``: the last). Instants are the events'
completion times (``time:timestamp``).

A case whose end has not happened by the log's last event is *open* (right-censored) while
its deadline still lies after the log's end; once the deadline has passed without the end
it is a breach (``without_end="exclude"`` leaves such cases out instead: for an end step
not every case needs, e.g. a fine paid before it is sent).

Examples
--------
>>> import procmine as pm
>>> log = pm.samples.load("permit_de")
>>> rule = pm.TimeLimit("Entscheid", "Gesuch eingereicht", "Bauentscheid", 90)
>>> tl = pm.time_limits(log, [rule])
>>> row = tl.to_frame().iloc[0]
>>> row["rule"], int(row["cases"]) == 1000
('Entscheid', True)
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._core.kernels import NAT
from ._core.validation import check_choice, fail
from ._results import Result, new_axes
from .calendar import Calendar
from .calendar._legal_days import DayGrid, add_months
from .errors import LogError, ParameterError
from .i18n import calendar_note, check_language, format_integer, format_message, format_percent, gettext
from .log import EventLog
from .performance import event_times
from .waits._causes import CAUSES, wait_causes

__all__ = ["TimeLimit", "TimeLimits", "basis_text", "display_frame", "limit_text", "load_rules", "time_limits"]

UNITS = ("days", "working_days", "weeks", "months")
CASE_START, CASE_END = "case_start", "case_end"
_DAY_US = 86_400_000_000
STATUSES = ("within", "breach", "open", "excluded")


@dataclass(frozen=True)
class TimeLimit:
    """One legal time limit.

    Parameters
    ----------
    name
        The rule's name (shown in tables and reports).
    start, end
        An activity name (``"last:<activity>"`` for its last occurrence), ``"case_start"``
        or ``"case_end"``.
    limit
        The period: a whole number > 0 of ``unit``.
    unit
        ``"days"`` (calendar days), ``"working_days"`` (working days of the calendar:
        its open weekdays that are not public holidays), ``"weeks"`` or ``"months"``.
    standstill
        Leave out the statutory stand-still periods (Art. 22a VwVG, Art. 145 ZPO). The law
        applies them to periods in days; with weeks or months it is refused.
    pause_on
        ``"client"``: the time the case waits for the applicant or a third party
        (:mod:`procmine.waits._causes`) extends the deadline by as many whole calendar days.
    without_end
        ``"breach"`` (default): a case that never reaches ``end`` breaches once its
        deadline has passed at the log's end; ``"exclude"``: such cases are left out
        (the end step is not needed in every case).
    basis
        The law or service promise the limit comes from (free text, optional), shown
        beside the rule in tables and sentences; :func:`basis_text` translates it when
        procmine's catalogues know the text (the shipped samples' bases).

    Examples
    --------
    >>> TimeLimit("Decision", "case_start", "Bauentscheid", 8, unit="weeks")
    TimeLimit('Decision': case_start → Bauentscheid within 8 weeks)
    """

    name: str
    start: str
    end: str
    limit: int
    unit: str = "days"
    standstill: bool = False
    pause_on: str | None = None
    without_end: str = "breach"
    basis: str = ""

    def __post_init__(self) -> None:
        _check_rule(self, "TimeLimit")

    def __repr__(self) -> str:
        extra = "".join([", stand-still" if self.standstill else "",
                         ", paused while waiting for the client" if self.pause_on else ""])
        unit = self.unit.replace("_", " ")
        return f"TimeLimit({self.name!r}: {self.start} → {self.end} within {self.limit} {unit}{extra})"


def _rule_error(where: str, name: Any, field: str, expected: str, got: Any) -> ParameterError:
    """The error of a rule's field. ``TimeLimit(...)`` names the field as its parameter; a
    function given rules (``time_limits``, a rules file) names its ``rules``. The error's
    ``rule_problem`` is the same without the function, for a caller that names the place
    itself (a rules file, the portfolio's configuration)."""
    problem = f"rule {name!r}: the field {field!r} must be {expected}"
    if where == "TimeLimit":
        err = fail(where, field, f"{expected} (rule {name!r})", got)
    else:
        err = fail(where, "rules", f"valid rules ({problem})", got)
    err.rule_problem = f"{problem}. Got {got!r} instead."  # type: ignore[attr-defined]
    return err


def rule_problem(exc: ParameterError) -> str:
    """What is wrong with a rule, without the function's name (see :func:`_rule_error`)."""
    return getattr(exc, "rule_problem", None) or str(exc)


def _check_rule(rule: TimeLimit, where: str) -> None:
    def bad(field: str, expected: str, got: Any) -> ParameterError:
        return _rule_error(where, rule.name, field, expected, got)

    if not isinstance(rule.name, str) or not rule.name.strip():
        raise bad("name", "non-empty text (every rule needs a name)", rule.name)
    for f in ("start", "end"):
        v = getattr(rule, f)
        if not isinstance(v, str) or not v.strip() or v.strip() in ("last:", "first:"):
            raise bad(f, "an activity name, 'last:<activity>', 'case_start' or 'case_end'", v)
    if isinstance(rule.limit, bool) or not isinstance(rule.limit, (int, np.integer)) or rule.limit <= 0:
        raise bad("limit", "a whole number greater than 0", rule.limit)
    if rule.unit not in UNITS:
        close = difflib.get_close_matches(str(rule.unit), UNITS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise bad("unit", "one of " + ", ".join(repr(u) for u in UNITS) + hint, rule.unit)
    if not isinstance(rule.standstill, bool):
        raise bad("standstill", "true or false", rule.standstill)
    if rule.standstill and rule.unit in ("weeks", "months"):
        raise bad("standstill", "false for periods in weeks or months (the statutory stand-still applies to "
                  "periods in days, Art. 22a VwVG; give the limit in days)", rule.standstill)
    if rule.pause_on not in (None, "client"):
        raise bad("pause_on", "'client' or absent", rule.pause_on)
    if rule.without_end not in ("breach", "exclude"):
        raise bad("without_end", "'breach' or 'exclude'", rule.without_end)
    if not isinstance(rule.basis, str):
        raise bad("basis", "text (the law or promise the limit comes from)", rule.basis)


# -- rules from TOML ----------------------------------------------------------------------
def load_rules(path: str | Path) -> list[TimeLimit]:
    """The ``[[rule]]`` tables of a TOML file (format: docs/time-limits.md).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "rules.toml"
    >>> _ = p.write_text('[[rule]]\\nname = "A"\\nstart = "case_start"\\nend = "case_end"\\nlimit = 30\\n')
    >>> load_rules(p)
    [TimeLimit('A': case_start → case_end within 30 days)]
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LogError(f"not valid TOML ({exc}); see docs/time-limits.md for the format", path=str(p)) from None
    except UnicodeDecodeError:
        raise LogError("not UTF-8 text; save the rules file as UTF-8", path=str(p)) from None
    unknown_top = sorted(set(data) - {"rule"})
    if unknown_top:
        raise LogError(f"unknown key(s) {unknown_top}: the file holds [[rule]] tables only", path=str(p))
    tables = data.get("rule")
    if not isinstance(tables, list) or not tables:
        raise LogError("no [[rule]] table; see docs/time-limits.md for the format", path=str(p))
    names = {f.name for f in fields(TimeLimit)}
    rules = []
    for i, t in enumerate(tables, 1):
        label = t.get("name", f"#{i}")
        extra = sorted(set(t) - names)
        if extra:
            close = difflib.get_close_matches(extra[0], names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise LogError(f"rule {label!r}: unknown field {extra[0]!r}{hint}; fields are "
                           f"{', '.join(sorted(names))}", path=str(p))
        missing = [f for f in ("name", "start", "end", "limit") if f not in t]
        if missing:
            raise LogError(f"rule {label!r} (the {i}. [[rule]]): the field {missing[0]!r} is missing", path=str(p))
        try:
            rules.append(_rule_from(t, str(p)))
        except ParameterError as exc:
            raise LogError(rule_problem(exc), path=str(p)) from None
    return rules


def _rule_from(t: dict[str, Any], where: str) -> TimeLimit:
    r = TimeLimit.__new__(TimeLimit)
    for f in fields(TimeLimit):
        object.__setattr__(r, f.name, t.get(f.name, f.default))
    _check_rule(r, where)
    return r


def _as_rules(rules: Any) -> list[TimeLimit]:
    if isinstance(rules, (str, Path)):
        return load_rules(rules)
    if isinstance(rules, TimeLimit):
        return [rules]
    if not isinstance(rules, Iterable):
        raise fail("time_limits", "rules", "a TimeLimit, a list of them or the path of a TOML file", rules)
    out = []
    for r in rules:
        if isinstance(r, dict):
            known = {f.name for f in fields(TimeLimit)}
            extra = sorted(set(r) - known)
            if extra:
                close = difflib.get_close_matches(str(extra[0]), known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise _rule_error("time_limits", r.get("name", "?"), extra[0],
                                  f"absent: it is an unknown field{hint}", r[extra[0]])
            missing = [f for f in ("name", "start", "end", "limit") if f not in r]
            if missing:
                raise _rule_error("time_limits", r.get("name", "?"), missing[0], "given: it is missing", None)
            r = _rule_from(r, "time_limits")
        if not isinstance(r, TimeLimit):
            raise fail("time_limits", "rules", "TimeLimit objects (or dicts of their fields)", r)
        out.append(r)
    if not out:
        raise fail("time_limits", "rules", "at least one rule", rules)
    dup = pd.Index([r.name for r in out])
    if dup.has_duplicates:
        problem = f"two rules are named {dup[dup.duplicated()][0]!r}; give each its own name"
        err = fail("time_limits", "rules", f"rules with distinct names ({problem})", list(dup))
        err.rule_problem = problem  # type: ignore[attr-defined]
        raise err
    return out


# -- anchors -----------------------------------------------------------------------------
def _anchor(spec: str) -> tuple[str, str]:
    """``(occurrence, activity)``: ``("case", "case_start")``, ``("last", "X")``, ``("first", "X")``."""
    s = spec.strip()
    if s in (CASE_START, CASE_END):
        return "case", s
    for occ in ("last", "first"):
        if s.startswith(occ + ":"):
            return occ, s[len(occ) + 1:].strip()
    return "first", s


def _check_activities(log: EventLog, rules: list[TimeLimit]) -> None:
    names = [str(a) for a in log.codes.activity_names]
    known = set(names)
    for r in rules:
        for f in ("start", "end"):
            occ, act = _anchor(getattr(r, f))
            if occ != "case" and act not in known:
                close = difflib.get_close_matches(act, names, n=3, cutoff=0.5)
                hint = f"; closest: {', '.join(repr(c) for c in close)}" if close else ""
                raise _rule_error("time_limits", r.name, f, f"an activity of the log {log.name!r} (it has no "
                                  f"{act!r}{hint}), 'case_start' or 'case_end'", getattr(r, f))


def _first_per_case(case: np.ndarray, idx: np.ndarray, n_cases: int, last: bool = False) -> np.ndarray:
    """Per case, the event position among ``idx`` (ascending) that comes first (or last); -1 = none."""
    out = np.full(n_cases, -1, dtype=np.int64)
    if len(idx):
        c = case[idx]
        if last:
            out[c] = idx  # later assignments win: the last per case
        else:
            out[c[::-1]] = idx[::-1]
    return out


# -- the computation ----------------------------------------------------------------------
def _local_days(us: np.ndarray, tz: str) -> np.ndarray:
    """UTC µs -> local calendar date (``datetime64[D]``)."""
    idx = pd.DatetimeIndex(us.astype("datetime64[us]")).tz_localize("UTC").tz_convert(tz).tz_localize(None)
    return idx.to_numpy().astype("datetime64[D]")


def _midnight_after(days: np.ndarray, tz: str) -> np.ndarray:
    """The end (24:00 local time) of each day, as UTC µs."""
    uniq, inv = np.unique(days + 1, return_inverse=True)
    loc = pd.DatetimeIndex(uniq.astype("datetime64[us]")).tz_localize(tz, ambiguous=False, nonexistent="shift_forward")
    return loc.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[us]").view(np.int64)[inv]


def _us(values: pd.Series) -> np.ndarray:
    """tz-aware datetimes -> UTC µs (NaT -> NAT)."""
    return values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[us]").view(np.int64)


def _utc(us: np.ndarray) -> pd.DatetimeIndex:
    """UTC µs (NAT = missing) as tz-aware timestamps, without a copy of the values."""
    return pd.DatetimeIndex(us.view("datetime64[us]")).tz_localize("UTC")


def _overlap(a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Length of ``[a, b] ∩ [lo, hi]`` (0 when disjoint or unknown)."""
    ok = (a != NAT) & (b != NAT) & (lo != NAT) & (hi != NAT)
    return np.where(ok, np.maximum(np.minimum(b, hi) - np.maximum(a, lo), 0), 0)


#: events per block in :meth:`_Events.pieces`: the temporaries of one block stay small
#: (a few MB) however long the log is
_BLOCK = 1 << 20


class _Events:
    """Per-event wait and processing intervals with their causes (elapsed µs), built once per log.

    Only the case and activity of each event are taken at once (the log's own code
    arrays, not copies); the intervals and the wait causes (the costly part: step
    classification over the whole log) are computed when a rule pauses on the client or
    ``breaches()``/``culprits()`` asks for them. Of the intervals only the cut between
    waiting and processing is kept per event: the previous completion and the completion
    are the log's own times.
    """

    def __init__(self, log: EventLog) -> None:
        c = log.codes
        self._log = log
        self.case = c.case  # int32, non-decreasing
        self.act = c.activity

    @cached_property
    def _detail(self) -> dict[str, np.ndarray]:
        log = self._log
        c = log.codes
        wc = wait_causes(log)
        # the case's timeline cut at each completion: (previous completion, completion] is
        # the event's, waiting up to its start and processing after; a start before the
        # previous completion (parallel work) is clipped so that nothing counts twice
        start = c.ts.copy()
        if c.start_ts is not None:
            t = event_times(log, Calendar.always())
            has = t.proc_elapsed != NAT
            np.subtract(c.ts, t.proc_elapsed, out=start, where=has)
            del t
            prev = self.prev(slice(None))
            np.maximum(start, prev, out=start, where=prev != NAT)
        return {
            "start": start,
            "cause": wc.cause,
            # processing counts for the office, or as the period a statutory step records
            "proc_cause": np.where(wc.period_in_processing[c.activity], CAUSES.index("statutory"),
                                   CAUSES.index("office")).astype(np.int8),
        }

    def prev(self, rows: slice | np.ndarray) -> np.ndarray:
        """The previous completion in the case of the events ``rows`` (NAT for a case's first)."""
        c = self._log.codes
        idx = np.arange(len(c.ts))[rows] if isinstance(rows, slice) else rows
        out = c.ts[np.maximum(idx - 1, 0)]
        out[idx == c.case_offsets[:-1][self.case[idx]]] = NAT
        return out

    @property
    def cause(self) -> np.ndarray:
        return self._detail["cause"]

    @property
    def proc_cause(self) -> np.ndarray:
        return self._detail["proc_cause"]

    def pieces(self, lo: np.ndarray, hi: np.ndarray,
               rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The waiting and processing inside its case's window ``[lo, hi]`` (per case) of
        each event (of the events ``rows``, ascending), computed block by block."""
        d = self._detail
        ts = self._log.codes.ts
        n = len(ts) if rows is None else len(rows)
        wait, proc = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        for i in range(0, n, _BLOCK):
            part = slice(i, i + _BLOCK)
            at = np.arange(i, min(i + _BLOCK, n)) if rows is None else rows[part]
            case = self.case[at]
            lo_e, hi_e = lo[case], hi[case]
            prev, start = self.prev(at), d["start"][at]
            wait[part] = _overlap(prev, np.where(prev == NAT, NAT, start), lo_e, hi_e)
            proc[part] = _overlap(start, ts[at], lo_e, hi_e)
        return wait, proc

    def client_wait(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Per case, its waiting for the client inside its window ``[lo, hi]`` (µs)."""
        n_cases = len(lo)
        out = np.zeros(n_cases, dtype=np.float64)
        client = np.flatnonzero(self.cause == CAUSES.index("client"))
        for i in range(0, len(client), _BLOCK):
            rows = client[i:i + _BLOCK]
            wait, _ = self.pieces(lo, hi, rows)
            out += np.bincount(self.case[rows], weights=wait, minlength=n_cases)
        return out


def _case_frame(log: EventLog, rule: TimeLimit, cal: Calendar, ev: _Events, group: np.ndarray | None,
                log_end: int) -> pd.DataFrame:
    c = log.codes
    n_cases = c.n_cases
    names = np.asarray([str(a) for a in c.activity_names], dtype=object)
    first_idx, last_idx = c.case_offsets[:-1], c.case_offsets[1:] - 1

    occ, act = _anchor(rule.start)
    if occ == "case":
        s_pos = (first_idx if act == CASE_START else last_idx).astype(np.int64)
    else:
        s_pos = _first_per_case(ev.case, np.flatnonzero(c.activity == np.flatnonzero(names == act)[0]),
                                n_cases, last=occ == "last")
    has_s = s_pos >= 0
    occ_e, act_e = _anchor(rule.end)
    if occ_e == "case":
        e_pos = (first_idx if act_e == CASE_START else last_idx).astype(np.int64)
        e_pos = np.where(has_s & (e_pos >= s_pos), e_pos, -1)
    else:
        code = np.flatnonzero(names == act_e)[0]
        # the end activity's events after the start of their case (only those events: no
        # per-event temporaries over the whole log)
        idx = np.flatnonzero(c.activity == code)
        idx = idx[idx > np.where(has_s, s_pos, np.iinfo(np.int64).max)[ev.case[idx]]]
        e_pos = _first_per_case(ev.case, idx, n_cases, last=occ_e == "last")
    keep = np.flatnonzero(has_s)
    s_pos, e_pos = s_pos[keep], e_pos[keep]
    s = c.ts[s_pos]
    has_e = e_pos >= 0
    e = np.where(has_e, c.ts[np.maximum(e_pos, 0)], NAT)

    # pause: whole calendar days of waiting for the client between start and end (or the log's end)
    paused = np.zeros(len(keep), dtype=np.int64)
    if rule.pause_on == "client" and len(keep):
        lo = np.full(n_cases, NAT, dtype=np.int64)
        hi = np.full(n_cases, NAT, dtype=np.int64)
        lo[keep], hi[keep] = s, np.where(has_e, e, log_end)
        client = ev.client_wait(lo, hi)[keep]
        paused = (client // _DAY_US).astype(np.int64)

    deadline = _deadlines(s, rule, cal, paused)
    status = np.where(has_e, np.where(e < deadline, 0, 1),
                      np.where(deadline <= log_end, 1 if rule.without_end == "breach" else 3, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        used = np.where(has_e, (e - s) / np.maximum(deadline - s, 1).astype(np.float64), np.nan)
    # columns handed over without copies (no block consolidation): the frame is per case,
    # kept for each rule, and built while the log's own arrays are alive
    frame = pd.DataFrame({
        "case": c.case_ids[keep],
        "start": _utc(s),
        "end": _utc(np.where(has_e, e, NAT)),
        "deadline": _utc(deadline),
        "status": pd.Categorical.from_codes(status.astype(np.int8), STATUSES),
        "used": used,
        "paused_days": paused,
        "_code": keep,
    }, copy=False)
    if group is not None:
        frame.insert(1, "group", group[keep])
    return frame


def _deadlines(s: np.ndarray, rule: TimeLimit, cal: Calendar, paused: np.ndarray) -> np.ndarray:
    """The deadline of each case (UTC µs): the end of the legal period's last day."""
    if not len(s):
        return np.zeros(0, dtype=np.int64)
    tz = "UTC" if cal.is_elapsed else cal.tz
    d0 = _local_days(s, tz)
    n = int(rule.limit)
    reach = {"days": n + (n // 300 + 1) * 70, "working_days": 2 * n + (n // 200 + 1) * 40,
             "weeks": 7 * n, "months": 31 * n + 31}[rule.unit]
    lo, hi = d0.min() - 1, d0.max() + reach + int(paused.max()) + 60
    years = range(int(str(lo)[:4]), int(str(hi)[:4]) + 1)
    hol = [] if cal.is_elapsed else [d for y in years for d in cal.holidays_in(y)]
    office = [d for d, ivs in cal._slots.items() if ivs]  # type: ignore[attr-defined]
    grid = DayGrid(lo, hi, hol, office)
    if rule.unit == "days":
        last = grid.count_forward(d0, n, ~grid.still if rule.standstill else np.ones(len(grid.days), bool))
    elif rule.unit == "working_days":
        last = grid.count_forward(d0, n, grid.office & ~grid.still if rule.standstill else grid.office)
    elif rule.unit == "weeks":
        last = d0 + np.timedelta64(7 * n, "D")
    else:
        last = add_months(d0, n)
    last = grid.next_open(last + paused.astype("timedelta64[D]"))
    return _midnight_after(last, tz)


# -- the result ---------------------------------------------------------------------------
class TimeLimits(Result):
    """Per rule and case: start, end, deadline and status (build with :func:`time_limits`).

    ``cases(rule)`` is the per-case frame: ``case``, (``group``), ``start``, ``end``
    (NaT when not reached), ``deadline``, ``status`` (``within``, ``breach``, ``open``,
    ``excluded``), ``used`` (elapsed time start → end over start → deadline; > 1 is a
    breach; NaN without an end) and ``paused_days``.
    """

    def __init__(self, log: EventLog, rules: list[TimeLimit], calendar: Calendar, by: str | None,
                 frames: dict[str, pd.DataFrame], events: _Events, log_end: int) -> None:
        self.log = log
        self.rules = rules
        self.calendar = calendar
        self.by = by
        self._frames = frames
        self._events = events
        self._log_end = log_end
        self.log_end = pd.Timestamp(log_end, unit="us", tz="UTC")

    def _rule(self, rule: str | None) -> TimeLimit:
        if rule is None:
            return self.rules[0]
        for r in self.rules:
            if r.name == rule:
                return r
        raise fail("TimeLimits", "rule", "one of " + ", ".join(repr(r.name) for r in self.rules), rule)

    def cases(self, rule: str | None = None) -> pd.DataFrame:
        """The per-case frame of ``rule`` (default: the first rule)."""
        return self._frames[self._rule(rule).name].drop(columns="_code")

    @staticmethod
    def _summary(f: pd.DataFrame) -> dict[str, Any]:
        st = f["status"]
        within, breach = int((st == "within").sum()), int((st == "breach").sum())
        used = f["used"].dropna()
        return {
            "cases": len(f), "open_cases": int((st == "open").sum()), "excluded": int((st == "excluded").sum()),
            "within": within, "breaches": breach,
            "share_within": within / (within + breach) if within + breach else math.nan,
            "median_used": float(used.median()) if len(used) else math.nan,
            "p90_used": float(used.quantile(0.9)) if len(used) else math.nan,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per rule (and group with ``by=``): ``rule``, (``group``), ``cases``,
        ``open_cases``, ``excluded``, ``within``, ``breaches``, ``share_within`` (of the
        decided cases: within + breaches), ``median_used``, ``p90_used``, ``limit``."""
        rows = []
        for r in self.rules:
            f = self._frames[r.name]
            label = f"{r.limit} {r.unit.replace('_', ' ')}"
            if self.by is None:
                rows.append({"rule": r.name, **self._summary(f), "limit": label})
            else:
                for g, part in f.groupby("group", sort=True, observed=True, dropna=False):
                    rows.append({"rule": r.name, "group": g, **self._summary(part), "limit": label})
        return pd.DataFrame(rows)

    def trend(self, rule: str | None = None, freq: str = "M") -> pd.DataFrame:
        """Per month (``"M"``) or quarter (``"Q"``) of the start: ``cases``, ``within``,
        ``breaches``, ``open_cases``, ``share_within``."""
        check_choice("TimeLimits.trend", "freq", freq, ("M", "Q"))
        r = self._rule(rule)
        f = self._frames[r.name]
        tz = "UTC" if self.calendar.is_elapsed else self.calendar.tz
        period = f["start"].dt.tz_convert(tz).dt.tz_localize(None).dt.to_period(freq).rename("period")
        st = f["status"].astype(str)
        out = pd.DataFrame({
            "cases": st.groupby(period).size(),
            "within": (st == "within").groupby(period).sum(),
            "breaches": (st == "breach").groupby(period).sum(),
            "open_cases": (st == "open").groupby(period).sum(),
        })
        decided = out["within"] + out["breaches"]
        out["share_within"] = (out["within"] / decided.where(decided > 0)).astype(float)
        return out

    def breaches(self, rule: str | None = None) -> pd.DataFrame:
        """The breaching cases, most overdue first: ``case``, ``start``, ``end``, ``deadline``,
        ``over`` (end or, without an end, the log's end minus the deadline), the elapsed time
        between start and end by cause (``office``, ``client``, ``statutory``, ``batch``:
        waits by :mod:`procmine.waits._causes`, processing as office time), and the step
        that took the most of it (``largest_step``, ``largest_step_time``, ``largest_step_cause``)."""
        r = self._rule(rule)
        f = self._frames[r.name]
        b = f[f["status"] == "breach"]
        out, _ = self._attribution(b)
        return out

    def _attribution(self, b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        ev = self._events
        n_cases = self.log.codes.n_cases
        codes = b["_code"].to_numpy()
        lo = np.full(n_cases, NAT, dtype=np.int64)
        hi = np.full(n_cases, NAT, dtype=np.int64)
        start_us = _us(b["start"])
        end_us = _us(b["end"])
        log_end = self._log_end
        lo[codes] = start_us
        hi[codes] = np.where(end_us == NAT, log_end, end_us)
        chosen = np.zeros(n_cases, dtype=bool)
        chosen[codes] = True
        sel = np.flatnonzero(chosen[ev.case])
        wait_in, proc_in = ev.pieces(lo, hi, sel)
        case_e = ev.case[sel]
        cause_w = np.maximum(ev.cause[sel], 0)
        frame = b.drop(columns=["_code", "status", "used"]).reset_index(drop=True)
        deadline_us = _us(b["deadline"])
        frame["over"] = pd.to_timedelta(hi[codes] - deadline_us, unit="us")
        pos = np.full(n_cases, -1, dtype=np.int64)
        pos[codes] = np.arange(len(codes))
        k = pos[case_e]
        for j, name in enumerate(CAUSES):
            tot = np.bincount(k, weights=np.where(cause_w == j, wait_in, 0), minlength=len(codes))
            tot += np.bincount(k, weights=np.where(ev.proc_cause[sel] == j, proc_in, 0), minlength=len(codes))
            frame[name] = pd.to_timedelta(np.round(tot), unit="us")
        steps = pd.DataFrame({"k": k, "act": ev.act[sel], "time": wait_in + proc_in,
                              "wait": wait_in, "cause": cause_w})
        per = steps.groupby(["k", "act"], sort=False).agg(time=("time", "sum"))
        # the cause of a step in a case: that of its longest wait
        top_wait = steps.sort_values("wait", kind="stable").drop_duplicates(["k", "act"], keep="last")
        per = per.join(top_wait.set_index(["k", "act"])["cause"]).reset_index()
        names = np.asarray([str(a) for a in self.log.codes.activity_names], dtype=object)
        per["step"] = names[per["act"].to_numpy()]
        per["cause"] = np.asarray(CAUSES, dtype=object)[per["cause"].to_numpy()]
        per["over"] = frame["over"].to_numpy()[per["k"].to_numpy()].astype("timedelta64[us]").view(np.int64)
        largest = per.sort_values(["k", "time"], kind="stable").drop_duplicates("k", keep="last").set_index("k")
        frame["largest_step"] = largest["step"].reindex(range(len(codes))).to_numpy()
        frame["largest_step_time"] = pd.to_timedelta(largest["time"].reindex(range(len(codes))).to_numpy(), unit="us")
        frame["largest_step_cause"] = largest["cause"].reindex(range(len(codes))).to_numpy()
        frame = frame.sort_values("over", ascending=False, kind="stable").reset_index(drop=True)
        return frame, per

    def culprits(self, rule: str | None = None) -> pd.DataFrame:
        """The steps that push cases over the limit, most often first: per step, ``pushes_over``
        (breaching cases in which that step alone took longer than the overshoot: without it
        the case would have met the limit), ``largest_in`` (cases where it took the most
        time), ``share`` (``pushes_over`` over all breaches), ``median_time`` (its time in
        the breaching cases it occurs in) and ``cause`` (its most frequent cause)."""
        r = self._rule(rule)
        f = self._frames[r.name]
        b = f[f["status"] == "breach"]
        cols = ["step", "pushes_over", "largest_in", "share", "median_time", "cause"]
        if b.empty:
            return pd.DataFrame(columns=cols)
        frame, per = self._attribution(b)
        per["pushes"] = per["time"] > per["over"]
        g = per.groupby("step", sort=False)
        out = pd.DataFrame({
            "pushes_over": g["pushes"].sum().astype(int),
            "median_time": pd.to_timedelta(g["time"].median().round(), unit="us").dt.round("s"),
            "cause": g["cause"].agg(lambda s: s.value_counts().index[0]),
        })
        out["largest_in"] = frame["largest_step"].value_counts().reindex(out.index, fill_value=0).astype(int)
        out["share"] = out["pushes_over"] / len(b)
        out = out[(out["pushes_over"] > 0) | (out["largest_in"] > 0)].rename_axis("step").reset_index()
        return out.sort_values(["pushes_over", "largest_in"], ascending=False, kind="stable")[cols].reset_index(drop=True)

    # -- display ------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Rules, grouping, calendar and the end of the log (open cases are counted to it)."""
        return {"rules": len(self.rules), "by": self.by, "calendar": self.calendar.label, "log end": self.log_end}

    def sentences(self, language: str = "en") -> list[str]:
        """One sentence per rule a head of office can quote, in ``language`` with Swiss
        number formats: the share of the decided cases within the limit (stating the unit
        and, for working days, whose calendar), breaches, open cases, the median of the
        limit used and the rule's basis. Over all cases (also with ``by=``).

        Examples
        --------
        >>> import procmine as pm
        >>> tl = pm.time_limits(pm.samples.load("permit_de"), pm.samples.limits("permit_de"))
        >>> tl.sentences("de")[0].split(":")[0]
        'Bauentscheid innert 3 Monaten'
        """
        language = check_language(language, "TimeLimits.sentences")

        def _(msgid: str, **kw: Any) -> str:
            return format_message(gettext(msgid, language), language, **kw)

        out = []
        for r in self.rules:
            s = self._summary(self._frames[r.name])
            limit = limit_text(r, language, self.calendar)
            decided = s["within"] + s["breaches"]
            if decided:
                text = _("{rule}: {share} of the {decided} decided cases within {limit}; {breaches} over the limit, "
                         "{open} still open.", rule=r.name, share=format_percent(s["share_within"], language, 0),
                         decided=format_integer(decided, language), limit=limit,
                         breaches=format_integer(s["breaches"], language),
                         open=format_integer(s["open_cases"], language))
                if s["median_used"] == s["median_used"]:
                    text += " " + _("Half of the cases that reached the end used at most {used} of the limit.",
                                    used=format_percent(s["median_used"], language, 0))
            else:
                text = _("{rule}: no case decided yet within {limit} ({open} still open).", rule=r.name, limit=limit,
                         open=format_integer(s["open_cases"], language))
            if r.basis:
                text += " " + _("Basis: {basis}.", basis=basis_text(r, language).rstrip(". "))
            out.append(text)
        return out

    def headline(self, language: str = "en") -> str:
        """:meth:`sentences` as one paragraph."""
        return " ".join(self.sentences(language))

    def _html_notes(self) -> list[str]:
        return self.sentences("en")

    def _repr_parts(self) -> tuple[str, list[str]]:
        parts = []
        for _, row in self.to_frame().iterrows():
            if self.by is not None:
                continue
            share = "n/a" if pd.isna(row["share_within"]) else f"{row['share_within']:.0%}"
            parts.append(f"{row['rule']}: {share} within {row['limit']} ({row['breaches']:,} breaches, "
                         f"{row['open_cases']:,} open)")
        if self.by is not None:
            parts.append(f"{len(self.rules)} rule(s) by {self.by!r}")
        return repr(self.log.name), parts

    def plot(self, ax: Any = None, rule: str | None = None, kind: str = "trend", *, language: str = "en") -> Any:
        """``"trend"``: share within the limit per month of the start; ``"distribution"``:
        histogram of the used share of the limit (1 = the deadline). Labels in ``language``
        (de, fr, en). Returns the axes.

        >>> import procmine as pm
        >>> log = pm.samples.load("permit_de")
        >>> tl = pm.time_limits(log, [pm.TimeLimit("Entscheid", "case_start", "case_end", 60)])
        >>> tl.plot(kind="distribution", language="fr").get_xlabel()
        '% du délai utilisé'
        """
        check_choice("TimeLimits.plot", "kind", kind, ("trend", "distribution"))
        language = check_language(language, "TimeLimits.plot")
        r = self._rule(rule)
        ax = new_axes(ax)

        def _(msgid: str, **kw: Any) -> str:
            return format_message(gettext(msgid, language), language, **kw)

        limit = limit_text(r, language)
        if kind == "trend":
            t = self.trend(r.name)
            ax.plot(t.index.to_timestamp(), t["share_within"] * 100, marker="o", color="#4472c4")
            ax.set_ylim(0, 105)
            ax.set_ylabel(_("% of decided cases within the limit"))
            ax.set_title(_("{rule}: within {limit}, by month of the start", rule=r.name, limit=limit))
        else:
            used = self._frames[r.name]["used"].dropna() * 100
            ax.hist(used, bins=min(50, max(len(used) // 5, 5)), color="#4472c4")
            ax.axvline(100, color="#c00000", lw=1.5, label=_("deadline"))
            ax.set_xlabel(_("% of the limit used"))
            ax.set_ylabel(_("cases"))
            ax.set_title(_("{rule}: time used of {limit}", rule=r.name, limit=limit))
            ax.legend(loc="upper right")
        return ax


def limit_text(rule: TimeLimit, language: str, calendar: Calendar | None = None) -> str:
    """``"30 Tage, Fristenstillstand"``: the rule's period in ``language``. With ``calendar``,
    a period in working days says whose: ``"5 working days (calendar BE, working day 8 h)"``.

    >>> limit_text(TimeLimit("A", "case_start", "case_end", 5, unit="working_days"), "de", Calendar(canton="BE"))
    '5 Arbeitstage (Kalender BE, Arbeitstag 8 Std.)'
    """
    if rule.limit == 1:
        unit = {"days": gettext("{n} day", language), "working_days": gettext("{n} working day", language),
                "weeks": gettext("{n} week", language), "months": gettext("{n} month", language)}[rule.unit]
    else:
        unit = {"days": gettext("{n} days", language), "working_days": gettext("{n} working days", language),
                "weeks": gettext("{n} weeks", language), "months": gettext("{n} months", language)}[rule.unit]
    text = format_message(unit, language, n=int(rule.limit))
    if rule.unit == "working_days" and calendar is not None:
        text += f" ({calendar_note(calendar, language)})"
    parts = [text]
    if rule.standstill:
        parts.append(gettext("stand-still", language))
    if rule.pause_on:
        parts.append(gettext("paused while waiting for the applicant", language))
    return ", ".join(parts)


def basis_text(rule: TimeLimit, language: str) -> str:
    """The rule's :attr:`~TimeLimit.basis` in ``language`` (as written when the catalogues
    do not know it; ``""`` without one).

    >>> from procmine import samples
    >>> basis_text(samples.limits("permit_de")[1], "de")[:40]
    'Leistungsversprechen der Gemeinden: Das '
    """
    return gettext(rule.basis, language) if rule.basis else ""


def display_frame(tl: TimeLimits, language: str) -> pd.DataFrame:
    """:meth:`TimeLimits.to_frame` with translated headers and Swiss-formatted values (text)."""
    frame = tl.to_frame()
    rules = {r.name: r for r in tl.rules}

    def pct(v: Any) -> str:
        return "–" if pd.isna(v) else format_percent(v, language, 0)

    out = pd.DataFrame({gettext("Rule", language): frame["rule"]})
    if "group" in frame:
        out[tl.by or "group"] = frame["group"].astype(str)
    out[gettext("Limit", language)] = [limit_text(rules[n], language, tl.calendar) for n in frame["rule"]]
    for col, msg in (("cases", gettext("Cases", language)), ("open_cases", gettext("Open cases", language)),
                     ("within", gettext("Within the limit", language)), ("breaches", gettext("Breaches", language))):
        out[msg] = [format_integer(v, language) for v in frame[col]]
    if frame["excluded"].any():
        out[gettext("Excluded (end not reached)", language)] = [format_integer(v, language) for v in frame["excluded"]]
    out[gettext("Share within", language)] = frame["share_within"].map(pct)
    out[gettext("Median of the limit used", language)] = frame["median_used"].map(pct)
    out[gettext("90th percentile of the limit used", language)] = frame["p90_used"].map(pct)
    if any(r.basis for r in tl.rules):
        out[gettext("Basis", language)] = [basis_text(rules[n], language) for n in frame["rule"]]
    return out


def time_limits(log: EventLog, rules: TimeLimit | Sequence[TimeLimit] | str | Path, *,
                calendar: Calendar | None = None, by: str | None = None) -> TimeLimits:
    """How many cases meet each legal time limit, counted as Swiss law counts periods.

    Parameters
    ----------
    log
        The event log.
    rules
        A :class:`TimeLimit`, a list of them (or of dicts of their fields), or the path of
        a TOML file of ``[[rule]]`` tables (docs/time-limits.md).
    calendar
        Whose public holidays move a deadline off a holiday (and, for ``working_days``,
        which days the office works) and the local time zone. Default ``Calendar()``:
        the national holidays; ``Calendar(canton="BE")`` for Bern's.
    by
        A case attribute (column or original header): one row per rule and group.

    Returns
    -------
    TimeLimits

    Examples
    --------
    >>> import procmine as pm
    >>> log = pm.samples.load("permit_de")
    >>> tl = pm.time_limits(log, pm.TimeLimit("Publikation", "Gesuch eingereicht",
    ...                     "Publikation im Amtsblatt", 30), calendar=pm.Calendar(canton="BE"))
    >>> list(tl.to_frame().columns[:4])
    ['rule', 'cases', 'open_cases', 'excluded']
    """
    if not isinstance(log, EventLog):
        raise fail("time_limits", "log", "an EventLog (procmine.read_log)", type(log).__name__)
    if calendar is not None and not isinstance(calendar, Calendar):
        raise fail("time_limits", "calendar", "a procmine.Calendar or None", calendar)
    cal = Calendar() if calendar is None else calendar
    rule_list = _as_rules(rules)
    _check_activities(log, rule_list)
    group = None
    if by is not None:
        col = log.column(by) if isinstance(by, str) else None
        if col is None:
            close = difflib.get_close_matches(str(by), [str(c) for c in log.df.columns], n=3)
            raise fail("time_limits", "by", "a column of the log" + (f" (closest: {close})" if close else ""), by)
        # the case's first non-missing value: exports often fill a case attribute on some events only
        # (codes of the values, not a Python object per event)
        c = log.codes
        codes, uniques = pd.factorize(log.df[col], use_na_sentinel=True)
        first = _first_per_case(c.case, np.flatnonzero(codes >= 0), c.n_cases)
        group = np.full(c.n_cases, np.nan, dtype=object)
        found = first >= 0
        group[found] = np.asarray(uniques, dtype=object)[codes[first[found]]]
    ev = _Events(log)
    if any(r.pause_on for r in rule_list):
        # the wait causes first: their computation is the memory peak of the whole call,
        # better reached before the per-case frames of the rules exist
        ev.cause  # noqa: B018
    log_end = int(log.codes.ts.max()) if len(log.codes.ts) else 0
    frames = {r.name: _case_frame(log, r, cal, ev, group, log_end) for r in rule_list}
    return TimeLimits(log, rule_list, cal, by, frames, ev, log_end)
