"""Roles the headers do not reveal, found from the content (:func:`procmine.io.detect.detect_roles`, step 2).

The timestamp is the column that parses as dates (the latest of several), the activity a
low-cardinality text column that varies within cases. The case and the resource are
scored from a profile of each column (:func:`profile`) together with words in the header
(:data:`CASE_WORDS`, :data:`PERSON_WORDS`), the content deciding:

- a **case id** has many distinct values with few events each, no value holding a large
  share of the rows, and each value's events close together in time (relative to the
  span of the log) and/or in one block of the file;
- a **category** (few values, each holding many rows spread over the whole span) is
  never a case id, whatever its header says;
- a **person** (resource) has values shaped like names or ids, recurs across many cases,
  changes within cases, does several activities, is not determined by the activity
  (several people do the same step) and yet tells something about the work: it depends
  on the activity or the case beyond chance (a free-text remark does not);
- an **org unit** has few values, changes within cases at handovers (a column constant
  within each case, such as the applicant's commune, is an attribute of the case, not a
  unit of the work), depends on the activity (each unit does its own steps) and, when a
  person column exists, groups the persons (each works in one unit);
- a **start time** is a date column that is not after the completion time on (nearly)
  every row, changes within cases (a filing date constant per case is no start) and lies
  on the scale of the log: its median gap to the completion is not longer than the whole
  time the log covers (dates decades back are attributes);
- times of day and dates (:func:`tells_when`) say when, never who or which unit: they are
  no activity, person or org unit, however closely they follow the steps; numbers are a
  person or a unit only when the header says so.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._core.kernels import NAT
from .._core.notes import Note, note
from ._dates import detect_date_format, parse_dates

__all__: list[str] = []

#: words (after ``normalise_header``) hinting at a case id; a hint only, the content decides
# fmt: off
CASE_WORDS = frozenset({
    "id", "nr", "no", "n", "number", "nummer", "numero", "num", "ref", "referenz", "reference",
    "dossier", "gesuch", "geschaft", "fall", "vorgang", "antrag", "akte", "demande", "requete",
    "affaire", "cas", "pratica", "fascicolo", "caso", "case", "file", "ticket", "application",
})
#: words hinting at a person (resource) column; a trailing "by"-word ("Bearbeitet von",
#: "Saisi par", "edited by", "inserito da") hints too
PERSON_WORDS = frozenset({
    "erfasst", "bearbeitet", "bearbeiter", "sachbearbeiter", "benutzer", "mitarbeiter", "visum",
    "visiert", "agent", "utilisateur", "collaborateur", "traite", "saisi", "operatore", "utente",
    "user", "clerk", "officer", "edited", "resource", "employee",
})
# fmt: on
_BY_WORDS = frozenset({"von", "durch", "par", "by", "da"})

#: a time of day written as text: ``H:MM``, ``HH:MM:SS[.ffffff]``, with ``AM``/``PM``
#: (``a.m.``/``p.m.``) or ``Uhr``, or French ``9h30``; the fields are checked against a
#: clock's ranges in :func:`clock_micros`
CLOCK = (r"^\s*(?P<H>\d{1,2})(?::|\s?[hH]\s?)(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,6}))?)?"
         r"\s*(?:(?P<p>[AaPp])\.?\s?[Mm]\.?|[Uu]hr)?\s*$")
_DAY_US = 86_400_000_000


def clock_micros(values: pd.Series) -> np.ndarray:
    """The time of day of each value in microseconds after midnight, -1 where it is none.

    Times of day are ``datetime.time`` cells (openpyxl, Parquet ``time64``, Arrow time
    columns), durations within one day (``timedelta``) and text clocks (:data:`CLOCK`:
    ``8:15``, ``14:30:05``, ``2:30 PM``, ``12:05 a.m.``, 12 AM being midnight). Called on
    distinct values (the readers factorize a column first): the typed cells are looked at
    one by one.

    Examples
    --------
    >>> (clock_micros(pd.Series(["8:15", "12:00 AM", "2:30 p.m.", "25:00", "Eingang"])) // 60_000_000).tolist()
    [495, 0, 870, -1, -1]
    """
    out = np.full(len(values), -1, dtype=np.int64)
    if not len(values):
        return out
    if pd.api.types.is_timedelta64_dtype(values.dtype):
        us = values.to_numpy(dtype="timedelta64[us]").view("int64")
        ok = values.notna().to_numpy() & (us >= 0) & (us < _DAY_US)
        out[ok] = us[ok]
        return out
    if isinstance(values.dtype, pd.ArrowDtype):
        values = values.astype(object)  # Arrow times -> datetime.time
    obj = values.to_numpy(dtype=object)
    typed = np.fromiter((isinstance(v, (_dt.time, _dt.timedelta)) for v in obj), dtype=bool, count=len(obj))
    for i in np.flatnonzero(typed):
        v = obj[i]
        us = (((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond if isinstance(v, _dt.time)
              else int(pd.Timedelta(v).value // 1000))
        out[i] = us if 0 <= us < _DAY_US else -1
    text = ~typed & np.fromiter((isinstance(v, str) for v in obj), dtype=bool, count=len(obj))
    if text.any():
        out[text] = _text_clock(pd.Series(obj[text], dtype=object))
    return out


def _text_clock(text: pd.Series) -> np.ndarray:
    """:func:`clock_micros` of text values (vectorised: one regex, a few array operations)."""
    m = text.str.extract(CLOCK)
    h, mi, sec = (pd.to_numeric(m[k], errors="coerce").fillna(0 if k == "S" else -1).to_numpy() for k in "HMS")
    frac = pd.to_numeric(m["f"].str.ljust(6, "0"), errors="coerce").fillna(0).to_numpy()
    p = m["p"].str.lower().to_numpy(dtype=object)
    am, pm = p == "a", p == "p"
    twelve = am | pm
    ok = (h >= 0) & (mi >= 0) & (mi < 60) & (sec < 60) & np.where(twelve, (h >= 1) & (h <= 12), h < 24)
    hour = np.where(twelve, h % 12 + 12 * pm, h)  # 12 AM is midnight, 12 PM noon
    us = ((hour * 60 + mi) * 60 + sec) * 1_000_000 + frac
    return np.where(ok, us, -1).astype(np.int64)


def is_time_of_day(values: pd.Series, share: float = 0.9) -> bool:
    """True when (nearly) all the distinct values among the first ones are times of day
    (:func:`clock_micros`): a column to join to a date-only timestamp, never a label such
    as an org unit or a person."""
    if pd.api.types.is_timedelta64_dtype(values.dtype) or (
        isinstance(values.dtype, pd.ArrowDtype) and "time" in str(values.dtype)
    ):
        head = values.head(50_000).dropna().head(1000)  # (a whole column's dropna copies 10 M rows)
        return bool(len(head)) and bool((clock_micros(head) >= 0).all())
    if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        return False
    head = values.head(50_000).dropna().head(2000)
    head = head[head.astype("str").str.strip() != ""].drop_duplicates().head(1000)
    return bool(len(head)) and float((clock_micros(head) >= 0).mean()) >= share


def hint(norm: str, words: frozenset[str]) -> str | None:
    """The hint word a normalised header contains (a word, or inside a compound), or None.

    Examples
    --------
    >>> hint("laufnummer", CASE_WORDS)
    'nummer'
    >>> hint("bearbeitet von", PERSON_WORDS)
    'bearbeitet'
    >>> hint("gemeinde", CASE_WORDS) is None
    True
    """
    parts = norm.split()
    for w in parts:
        if w in words:
            return w
    for w in parts:
        for h in words:
            if len(h) >= 5 and h in w:
                return h
    if words is PERSON_WORDS and len(parts) >= 2 and parts[-1] in _BY_WORDS:
        return parts[-1]
    return None


@dataclass
class Profile:
    """What the values of one column look like (on the sample rows)."""

    n: int  #: rows
    filled: int  #: rows with a value
    k: int  #: distinct values
    numeric: bool  #: every value a number
    decimal: bool  #: numbers with a decimal point or exponent
    top: float  #: share of the filled rows held by the most frequent value
    effective: float  #: effective number of values, 1 / sum(share²)
    epv: float  #: events per value, median
    spread: float | None  #: time from first to last event of a value / the sample's time span, median
    block: float  #: distinct values / runs of equal values in file order (1: one block each)
    codes: np.ndarray  #: value code per row, -1 where blank
    #: the values say when (times of day or dates), not who or which unit: see :func:`tells_when`
    when: bool | None = None

    @property
    def category(self) -> bool:
        """Few values, each holding many rows spread over the whole span: never a case id.

        Two or more values (effectively fewer than ten), of 50 events or more each, whose
        events run over the same period (each spans half the time range or more): that
        is a classification of cases, not a list of cases. Below that volume a small log
        cannot be told from a category and is taken as it is (and flagged as implausible
        when read).
        """
        if self.k < 2:
            return False
        spread_out = self.spread >= 0.5 if self.spread is not None else self.block < 0.5
        return self.effective < 10 and self.epv >= 50 and spread_out

    def describe(self) -> Note:
        """The figures, for the ingest report (a note: a warning quoting them is translated whole)."""
        if self.spread is None:
            return note("{k:,} distinct values, {epv:,.0f} events per value (median), largest value {top:.1%} of "
                        "rows, {block:.0%} contiguous", k=self.k, epv=self.epv, top=self.top, block=self.block)
        return note("{k:,} distinct values, {epv:,.0f} events per value (median), largest value {top:.1%} of rows, "
                    "a value's events span {spread:.0%} of the time range (median), {block:.0%} contiguous",
                    k=self.k, epv=self.epv, top=self.top, spread=self.spread, block=self.block)


#: rows whose times the content scores look at: enough for thousands of cases, and parsing
#: dates is the dearest step of the detection
TIME_ROWS = 10_000


def timestamps(sample: pd.DataFrame, ts_col: str | None, specs: dict) -> np.ndarray | None:
    """The timestamp of the first :data:`TIME_ROWS` rows as int64 microseconds (NaT: int64 min)."""
    if ts_col is None or ts_col not in specs:
        return None
    ts = parse_dates(sample[ts_col].head(TIME_ROWS), specs[ts_col], tz="UTC")[0]
    return ts.to_numpy(dtype="datetime64[us]").view("int64")


def profile(s: pd.Series, ts: np.ndarray | None) -> Profile:
    """Profile one column (vectorised: a factorize, a bincount and a few reductions)."""
    n = len(s)
    text = s.astype("str")
    filled_mask = s.notna().to_numpy() & (text.str.strip() != "").to_numpy(dtype=bool)
    codes, uniques = pd.factorize(s.where(filled_mask), sort=False)
    k = len(uniques)
    filled = int(filled_mask.sum())
    # numbers are judged on the distinct values only (a few hundred, not 50,000 rows)
    vals = pd.Series(np.asarray(uniques, dtype=object))
    numeric = decimal = False
    if pd.api.types.is_integer_dtype(s.dtype):
        numeric = k > 0
    elif k and pd.api.types.is_float_dtype(s.dtype):
        numeric = True
        decimal = bool((vals.astype(float) % 1 != 0).any())
    elif k and pd.to_numeric(vals, errors="coerce").notna().all():
        numeric = True
        decimal = bool(vals.astype("str").str.contains(r"[.,eE]", regex=True).any())
    if k == 0:
        return Profile(n, filled, 0, numeric, decimal, 0.0, 0.0, 0.0, None, 0.0, codes)
    counts = np.bincount(codes[filled_mask], minlength=k)
    shares = counts / filled
    c = codes[filled_mask]
    runs = 1 + int(np.count_nonzero(c[1:] != c[:-1]))
    spread = None
    if ts is not None:
        m = len(ts)  # the time spread is judged on the first rows (see timestamps)
        valid = filled_mask[:m] & (ts != NAT)
        if valid.any():
            tv, cv = ts[valid], codes[:m][valid]
            span = int(tv.max() - tv.min())
            if span > 0:
                lo = np.full(k, np.iinfo(np.int64).max)
                hi = np.full(k, NAT)
                np.minimum.at(lo, cv, tv)
                np.maximum.at(hi, cv, tv)
                seen = hi != NAT
                spread = float(np.median((hi[seen] - lo[seen]) / span))
    return Profile(
        n=n,
        filled=filled,
        k=k,
        numeric=numeric,
        decimal=decimal,
        top=float(shares.max()),
        effective=float(1.0 / np.square(shares).sum()),
        epv=float(np.median(counts)),
        spread=spread,
        block=k / runs,
        codes=codes,
    )


def _content_timestamp(sample, columns, dayfirst, specs) -> tuple[str | None, list[str]]:
    """The completion time among the date columns (the latest of several that parse
    equally well), and the other columns it was compared with."""
    best: list[tuple[float, str]] = []
    for col in columns:
        spec = detect_date_format(sample[col], dayfirst=dayfirst, strict_numbers=True)
        if spec is not None and spec.share >= 0.8:
            specs[col] = spec
            best.append((spec.share, col))
    if not best:
        return None, []
    best.sort(key=lambda x: -x[0])
    if len(best) > 1:
        # several date columns: the completion time is the latest one in most rows
        cols = [c for _, c in best if best[0][0] - _ < 0.05]
        # an event's time is about unique per event; a date of the case (filed, planned end)
        # repeats on each of its events: it has far fewer distinct values
        distinct = {c: sample[c].nunique() for c in cols}
        cols = [c for c in cols if distinct[c] >= 0.5 * max(distinct.values())]
        if len(cols) > 1:
            parsed = {c: parse_dates(sample[c], specs[c], tz="UTC")[0] for c in cols}
            later = {c: sum(int((parsed[c] >= parsed[o]).sum()) for o in cols if o != c) for c in cols}
            chosen = max(cols, key=lambda c: later[c])
            return chosen, [c for c in cols if c != chosen]
        return cols[0], []
    return best[0][1], []


def category_note(col: str, p: Profile, named: bool) -> Note:
    """Why a column is not taken as the case id (a warning, and a note in the error)."""
    spread = note(", spread over {share:.0%} of the time range", share=p.spread) if p.spread is not None else ""
    if named:
        return note("column {column!r} is named like the case id but holds {k:,} values of {epv:,.0f} events each "
                    "(median){spread}: a category, not the case id; ignored", column=col, k=p.k, epv=p.epv, spread=spread)
    return note("column {column!r} holds {k:,} values of {epv:,.0f} events each (median){spread}: a category, "
                "not the case id; ignored", column=col, k=p.k, epv=p.epv, spread=spread)


#: weight of a header the vocabulary names as the case, against a header word (2) or none (1)
HEADER_BONUS = 3.0


def case_score(p: Profile, ts: np.ndarray | None, bonus: float) -> float:
    """How much a column looks like case ids: many values, local in time and in the file."""
    ordered = _ordered_share(p.codes[: len(ts)], ts) if ts is not None else 1.0
    local = 1.0 - p.spread if p.spread is not None else 1.0
    return float(np.log1p(p.k) * max(local, 0.05) * (1 + p.block) * max(ordered, 0.05) * bonus)


def rank_cases(sample, columns, ts, profiles, norms, rejected: list[str]) -> list[tuple[float, str, str | None]]:
    """Plausible case columns, best first: (score, column, header word); notes on categories."""
    n = len(sample)
    cands = []
    for col in columns:
        p = profiles(col)
        if p.k < 2 or p.decimal or p.filled < 0.9 * n or p.filled / p.k < 1.5:
            continue  # empty, a measure, or a row id (one event per value)
        if p.category:
            rejected.append(category_note(col, p, named=False))
            continue
        if _dates(sample[col], p):
            continue  # a date of the case (e.g. when it was filed) is local in time too, but no id
        word = hint(norms[col], CASE_WORDS)
        cands.append((case_score(p, ts, 2.0 if word else 1.0), col, word))
    cands.sort(key=lambda x: -x[0])
    return cands


def content_case(sample, columns, roles, how, evidence, ts, profiles, warn, norms) -> list[str]:
    """Pick the case column by content (header words a bonus); returns notes on rejected columns."""
    rejected: list[str] = []
    if len(sample) == 0:
        return rejected
    cands = rank_cases(sample, [c for c in columns if c not in roles.values()], ts, profiles, norms, rejected)
    if not cands:
        return rejected
    _, col, word = cands[0]
    roles["case"], how["case"] = col, "content"
    evidence["case"] = (f"header word {word!r}; " if word else "") + profiles(col).describe()
    if len(cands) > 1 and cands[1][0] >= 0.9 * cands[0][0]:
        warn.append(note("columns {column!r} and {rival!r} both could be the case id; took {column!r} "
                         "(pass case=... to choose)", column=col, rival=cands[1][1]))
    return rejected


def refines(finer: Profile, coarser: Profile) -> bool:
    """True when each value of ``finer`` falls within one value of ``coarser`` and there are
    more of them: ``coarser`` is then an attribute of ``finer``'s groups (as a commune or
    a type is of a case), not the other way round."""
    ok = (finer.codes >= 0) & (coarser.codes >= 0)
    if finer.k <= coarser.k or not ok.any():
        return False
    pairs = np.unique(finer.codes[ok].astype(np.int64) * max(coarser.k, 1) + coarser.codes[ok])
    return len(pairs) == len(np.unique(finer.codes[ok]))


def doubtful_case(p: Profile) -> bool:
    """A header-named case column whose content is unlike case ids: fewer than ten values
    (fewer cases than any analysis needs), or values spread over half the time range;
    then other columns are compared with it. A log dominated by one large case is not
    doubtful here (it is flagged when read): a document number beside it is no better id."""
    return p.k < 10 or (p.spread is not None and p.spread >= 0.5)


def content_activity(sample, columns, roles, how, evidence, ts, profiles, warn) -> None:
    """The activity changes from one event of a case to the next; the org unit or the
    resource often stays the same for several steps. With a lifecycle column, a step's
    start and complete rows are one event: the changes are counted within the rows of
    one case and one transition (the completes of a case follow each other step by step)."""
    n = len(sample)
    m = len(ts) if ts is not None else n  # rows with parsed times (see timestamps)
    order = None
    if "case" in roles:
        group = profiles(roles["case"]).codes[:m].astype(np.int64)
        if "lifecycle" in roles and roles["lifecycle"] in sample.columns:
            life = profiles(roles["lifecycle"])
            group = np.where(group >= 0, group * max(life.k + 1, 1) + life.codes[:m] + 1, -1)
        order = _case_order(group, ts)
    cands = []
    for col in columns:
        if col in roles.values():
            continue
        p = profiles(col)
        if p.k < 2 or p.numeric or p.k > max(2, min(1000, n // 2)) or p.filled < 0.5 * n:
            continue
        if tells_when(sample[col], p):
            continue  # a time of day that follows the steps changes with them, yet names none
        changes = _change_rate(p.codes[:m], order) if order is not None else 1.0
        cands.append((round(changes, 2), -p.k, col))
    if cands:
        cands.sort(key=lambda x: (-x[0], -x[1]))
        col = cands[0][2]
        roles["activity"], how["activity"] = col, "content"
        evidence["activity"] = f"{profiles(col).k:,} distinct values, changes in {cands[0][0]:.0%} of a case's steps"
        if len(cands) > 1 and cands[1][0] >= 0.95 * cands[0][0]:
            warn.append(note("columns {column!r} and {rival!r} both could be the activity; took {column!r} "
                             "(pass activity=... to choose)", column=col, rival=cands[1][2]))


#: a dependence on the activity or the case counts when the observed mutual information
#: exceeds its mean under random shuffles by this many standard deviations of the shuffles
DEPENDENCE_Z = 5.0
#: shuffles of the column that give the mutual information expected by chance
SHUFFLES = 8
#: a column that changes within fewer than this share of the multi-event cases is constant
#: per case: an attribute of the case (a commune, a type), not of its events
CASE_ATTRIBUTE = 0.02


def tells_when(s: pd.Series, p: Profile) -> bool:
    """True when the column's distinct values are times of day or dates: they say when an
    event happened, never who did it or in which unit, however closely they follow the
    activity (a step done at the same hour every day). Judged once per column."""
    if p.when is None:
        p.when = bool(p.k) and (is_time_of_day(s.iloc[np.sort(_first_rows(p))]) or _dates(s, p))
    return p.when


def _free_columns(columns, roles, profiles, n):
    """``(column, profile)`` of the columns no role took that could hold people or units:
    at least two values, not decimal numbers, filled on at least half of the ``n`` rows."""
    for col in columns:
        if col in roles.values():
            continue
        p = profiles(col)
        if p.k >= 2 and not p.decimal and p.filled >= 0.5 * n:
            yield col, p


def content_resource(sample, columns, roles, how, evidence, profiles, warn, norms) -> None:
    """Pick the person column: values shaped like names or ids, recurring across cases,
    changing within them, each doing several activities, not determined by the activity
    (several people do the same step), and dependent on the activity or the case beyond
    chance (a remark typed at random is not who did the work)."""
    n = len(sample)
    if n == 0 or "case" not in roles or "activity" not in roles:
        return
    ctx = _CaseContext(profiles(roles["case"]).codes, profiles(roles["activity"]).codes)
    cands = []
    for col, p in _free_columns(columns, roles, profiles, n):
        if p.k > max(2, ctx.n_cases // 2):
            continue  # about one value per case or more: an id or a case attribute, not staff
        word = hint(norms[col], PERSON_WORDS)
        if (p.numeric and not word) or tells_when(sample[col], p):
            continue  # counts, codes, times and dates are no persons (an id is one when the header says so)
        cpv, varies, free = ctx.person(p)
        if word and (cpv < 1.5 and ctx.n_cases >= 10):
            continue
        if not word:
            if not (p.k >= 5 and p.effective >= 3 and cpv >= 3 and varies >= 0.1 and free >= 0.2):
                continue
            shape = shape_share(sample[col], p)
            if shape < 0.5 or ctx.activities_per_value(p) < 2:
                continue  # free text, or one step per value (a step code, not a person)
            z_act, z_case = ctx.dependence(p)
            if max(z_act, z_case) < DEPENDENCE_Z:
                continue  # independent of the work: a remark, not who did it
        else:
            shape = 1.0
        score = (0.1 + min(free, 0.5)) * np.log1p(p.k) * (0.5 + varies) * shape * (2.0 if word else 1.0)
        text = (f"header word {word!r}; " if word else "") + _person_text(p, cpv, varies, free)
        cands.append((score, col, text))
    if cands:
        cands.sort(key=lambda x: -x[0])
        roles["resource"], how["resource"], evidence["resource"] = cands[0][1], "content", cands[0][2]
        if len(cands) > 1 and cands[1][0] >= 0.9 * cands[0][0]:
            warn.append(note("columns {column!r} and {rival!r} both could be the resource; took {column!r} "
                             "(pass resource=... to choose)", column=cands[0][1], rival=cands[1][1]))


def content_org(sample, columns, named, roles, how, evidence, profiles, warn) -> None:
    """Pick the org unit among the columns the headers name (``named``: column -> header
    level) and the others, by content: few values, changing within cases, dependent on
    the activity and, when a person column exists, grouping the persons. A column constant
    within each case is an attribute of the case, never the org unit; when the header names
    it, a warning says why it was not taken."""
    n = len(sample)
    if n == 0 or "case" not in roles or "activity" not in roles:
        if named:  # nothing to judge the content against: the header decides
            col = max(named, key=lambda c: named[c])
            _take_org(col, named, roles, how, evidence, None)
        return
    ctx = _CaseContext(profiles(roles["case"]).codes, profiles(roles["activity"]).codes)
    person = profiles(roles["resource"]) if "resource" in roles else None
    fits, attributes = [], []
    for col, p in _free_columns(columns, roles, profiles, n):
        if (p.numeric and col not in named) or tells_when(sample[col], p):
            continue  # numbers (a unit only when the header says so), times and dates are no unit
        _, varies, free = ctx.person(p)
        if varies < CASE_ATTRIBUTE:
            if col in named:
                attributes.append(col)
            continue
        if col not in named:
            if p.k > max(2, ctx.n_cases // 2) or (person is not None and p.k >= person.k):
                continue  # finer than the persons, or about one value per case: no unit
            if ctx.activities_per_value(p) >= ctx.n_activities:
                continue  # every value does every step: no division of the work
            if ctx.dependence(p)[0] < DEPENDENCE_Z:
                continue  # independent of the activity: a remark, not who does the step
        purity = _purity(person, p) if person is not None else None  # ranks: persons work in units
        bonus = 2.0 if col in named else 1.0
        score = bonus * (1.0 - 0.5 * min(free, 1.0)) * (purity if purity is not None else 1.0)
        text = _org_text(p, varies, free, purity)
        fits.append((score, col, text))
    if fits:
        fits.sort(key=lambda x: -x[0])
        score, col, text = fits[0]
        _take_org(col, named, roles, how, evidence, text)
        if len(fits) > 1 and fits[1][0] >= 0.9 * score:
            warn.append(note("columns {column!r} and {rival!r} both could be the org unit; took {column!r} "
                             "(pass org=... to choose)", column=col, rival=fits[1][1]))
        for other in attributes:
            warn.append(note(
                "column {other!r} is named like the org unit but is constant within each case "
                "(an attribute of the case); took {column!r}, whose values change within cases "
                "(pass org=... to choose)", other=other, column=col))
    else:
        for other in attributes:
            warn.append(note(
                "column {other!r} is named like the org unit but is constant within each case "
                "(an attribute of the case, not a unit of the work); not taken as the org unit "
                "(pass org={other!r} to use it)", other=other))


def _take_org(col, named, roles, how, evidence, text) -> None:
    roles["org"] = col
    if col in named:
        how["org"] = "header"
        kind = "is" if named[col] == 3 else "contains"
        evidence["org"] = f"{col!r} {kind} a known name for the org"
    else:
        how["org"], evidence["org"] = "content", ""
    if text:
        evidence["org"] = f"{evidence['org']}; {text}" if evidence["org"] else text


def _org_text(p: Profile, varies: float, free: float, purity: float | None) -> str:
    text = (
        f"{p.k:,} distinct values, changes within {varies:.0%} of cases, "
        f"{1 - free:.0%} determined by the activity"
    )
    if purity is not None:
        text += f", {purity:.0%} of each person's events in one value"
    return text


def _purity(person: Profile, unit: Profile) -> float:
    """Share of the persons' events that fall in each person's most frequent unit value."""
    ok = (person.codes >= 0) & (unit.codes >= 0)
    if not ok.any():
        return 0.0
    joint = np.bincount(person.codes[ok].astype(np.int64) * unit.k + unit.codes[ok], minlength=person.k * unit.k)
    table = joint.reshape(person.k, unit.k)
    return float(table.max(axis=1).sum() / table.sum())


def content_start(sample, columns, roles, how, evidence, specs, profiles, warn, dayfirst, tail=None) -> list[str]:
    """Pick the start time among the date columns left: not after the completion time on
    (nearly) every row, before it on some, changing within cases (a date constant per
    case, such as the filing date, is no start of each step), and on the scale of the
    log's times (see :func:`_start_scale`: dates decades before the completions are no
    starts). The latest such column (the closest to the completion) wins. ``tail``: the
    last rows of the source, for the time the log covers when the sample is its start.
    Returns the date columns left unexplained."""
    if "timestamp" not in roles or roles["timestamp"] not in specs:
        return []
    dates = []
    for col in columns:
        if col in roles.values():
            continue
        if col not in specs:
            if not _dates(sample[col], profiles(col)):
                continue  # judged on the distinct values first: most columns are no dates
            spec = detect_date_format(sample[col], dayfirst=dayfirst, strict_numbers=True)
            if spec is None or spec.share < 0.8:
                continue
            specs[col] = spec
        dates.append(col)
    if not dates or "lifecycle" in roles:
        return dates  # start/complete rows carry their start in the rows themselves
    end = _times(sample, roles["timestamp"], specs)
    case = profiles(roles["case"]).codes[: len(end)] if "case" in roles else None
    span = _log_span(end, tail, roles["timestamp"], specs)
    cands = []
    for col in dates:
        start = _times(sample, col, specs)
        both = (start != NAT) & (end != NAT)
        if both.sum() < max(2, 0.5 * len(end)):
            continue
        before = float((start[both] <= end[both]).mean())
        strictly = float((start[both] < end[both]).mean())
        if before < 0.98 or strictly == 0.0:
            continue  # after the completion on some rows, or a copy of it
        if case is not None and _varies_in_cases(case, start) < CASE_ATTRIBUTE:
            continue  # one date per case: when it was filed, not when a step began
        gap = float(np.median(end[both] - start[both]))
        if not _start_scale(col, gap, span, warn):
            continue
        cands.append((gap / 1e6 / 3600, col, before))
    if not cands:
        return dates
    cands.sort()
    gap, col, before = cands[0]
    roles["start_timestamp"], how["start_timestamp"] = col, "content"
    evidence["start_timestamp"] = (
        f"the values of {col!r} are dates, not after {roles['timestamp']!r} on {before:.1%} of rows "
        f"(median {gap:,.1f} h before it) and change within cases"
    )
    if len(cands) > 1:
        warn.append(note(
            "columns {column!r} and {rival!r} both could be the start time; took {column!r}, "
            "the closer to the completion (pass start_timestamp=... to choose)", column=col, rival=cands[1][1]))
    return [c for c in dates if c != col]


def _log_span(end: np.ndarray, tail: pd.DataFrame | None, col: str, specs: dict) -> float | None:
    """Microseconds from the first to the last completion time among the sampled rows and
    the last rows of the source (a file sorted by time: the sample alone covers its first
    days), or None when they are all one instant (no scale to judge by)."""
    times = end[end != NAT]
    if tail is not None and len(tail):
        last = _times(tail, col, specs)
        times = np.concatenate([times, last[last != NAT]])
    if not len(times):
        return None
    span = float(times.max() - times.min())
    return span if span > 0 else None


def _start_scale(col: str, gap: float, span: float | None, warn: list) -> bool:
    """Whether a start candidate's median gap to the completion (microseconds) is on the
    scale of the log: not longer than the whole time the log covers. A log covers at least
    the typical step it records; dates that lie further back (birth dates, contract dates,
    amounts read as serial days: decades before the completions) are attributes, and a
    warning says why they were not taken."""
    if span is None or gap <= span:
        return True
    day = 86_400e6
    warn.append(note(
        "column {column!r} holds dates before the completion times, but {gap:,.1f} days before them "
        "(median), longer than the {span:,.1f} days the whole log covers: not a start time; kept as an "
        "attribute (pass start_timestamp={column!r} to use it)", column=col, gap=gap / day, span=span / day))
    return False


def _times(sample, col, specs) -> np.ndarray:
    ts = parse_dates(sample[col].head(TIME_ROWS), specs[col], tz="UTC")[0]
    return ts.to_numpy(dtype="datetime64[us]").view("int64")


def _varies_in_cases(case: np.ndarray, values: np.ndarray) -> float:
    """Share of the cases with two events or more whose values differ within the case."""
    ok = (case >= 0) & (values != NAT)
    c, v = case[ok], values[ok]
    if not len(c):
        return 0.0
    order = np.lexsort((v, c))
    c, v = c[order], v[order]
    same_case = c[1:] == c[:-1]
    sizes = np.bincount(c)
    multi = int((sizes >= 2).sum())
    if not multi:
        return 0.0
    changed = np.unique(c[1:][same_case & (v[1:] != v[:-1])])
    return len(changed) / multi


def describe_resource(col: str, roles, profiles) -> str | None:
    """The person figures of a resource column found otherwise (header), for the report."""
    if "case" not in roles or "activity" not in roles:
        return None
    p = profiles(col)
    if p.k == 0:
        return None
    ctx = _CaseContext(profiles(roles["case"]).codes, profiles(roles["activity"]).codes)
    return _person_text(p, *ctx.person(p))


def _person_text(p: Profile, cpv: float, varies: float, free: float) -> str:
    return (
        f"{p.k:,} distinct values, each in {cpv:,.0f} cases (median), changes within {varies:.0%} "
        f"of cases, {free:.0%} not determined by the activity"
    )


class _CaseContext:
    """Case and activity codes of the sample, to judge person columns against."""

    def __init__(self, case: np.ndarray, act: np.ndarray) -> None:
        self.case, self.act = case, act
        self.n_cases = int(case.max()) + 1 if len(case) else 0
        self.sizes = np.bincount(case[case >= 0], minlength=self.n_cases)

    @property
    def n_activities(self) -> int:
        return int(self.act.max()) + 1 if len(self.act) else 0

    def activities_per_value(self, p: Profile) -> float:
        """Distinct activities each value does (median)."""
        ok = (self.act >= 0) & (p.codes >= 0)
        ka = max(self.n_activities, 1)
        pairs = np.unique(p.codes[ok].astype(np.int64) * ka + self.act[ok])
        per_value = np.bincount(pairs // ka, minlength=p.k)
        seen = per_value[per_value > 0]
        return float(np.median(seen)) if len(seen) else 0.0

    def dependence(self, p: Profile) -> tuple[float, float]:
        """How far the column's mutual information with the activity and with the case
        exceeds chance, in standard deviations of the same column shuffled (a fixed
        seed: the same file gives the same answer), on the first :data:`TIME_ROWS` rows."""
        m = TIME_ROWS
        x, a, c = p.codes[:m], self.act[:m], self.case[:m]
        ok = (x >= 0) & (a >= 0) & (c >= 0)
        x, a, c = x[ok], a[ok], c[ok]
        if len(x) < 3:
            return 0.0, 0.0
        rng = np.random.default_rng(0)
        shuffles = [rng.permutation(x) for _ in range(SHUFFLES)]
        return _excess(x, a, shuffles), _excess(x, c, shuffles)

    def person(self, p: Profile) -> tuple[float, float, float]:
        """(cases per value (median), share of cases where it changes, share of its
        uncertainty left once the activity is known: H(X | activity) / H(X))."""
        ok = (self.case >= 0) & (p.codes >= 0)
        x, cs, a = p.codes[ok], self.case[ok], self.act[ok]
        n_cases = max(self.n_cases, 1)
        pairs = np.unique(x.astype(np.int64) * n_cases + cs)
        per_value = np.bincount(pairs // n_cases, minlength=p.k)
        per_case = np.bincount(pairs % n_cases, minlength=n_cases)
        multi = self.sizes >= 2
        varies = float((per_case[: len(multi)][multi] > 1).mean()) if multi.any() else 0.0
        h_x = _entropy(np.bincount(x, minlength=p.k))
        free = _cond_entropy(x, a, p.k) / h_x if h_x > 0 else 0.0
        cpv = float(np.median(per_value[per_value > 0])) if (per_value > 0).any() else 0.0
        return cpv, varies, free


def shape_share(s: pd.Series, p: Profile) -> float:
    """Share of the distinct values (up to 1,000) that have the most common shape, a value
    written as its runs of upper-case letters, lower-case letters and digits (``Anna Meier``
    and ``Reto Keller`` share ``Aa Aa``, ``MA-001`` and ``MA-017`` share ``A-9``): names
    and ids of persons are written alike, remarks are not."""
    firsts = _first_rows(p)
    if not len(firsts):
        return 0.0
    shapes = s.iloc[np.sort(firsts)].astype("str").str.strip().map(_shape)  # distinct values only
    return float(shapes.value_counts().iloc[0] / len(shapes))


def _shape(value: str) -> str:
    out: list[str] = []
    for ch in value:
        c = "A" if ch.isupper() else "a" if ch.isalpha() else "9" if ch.isdigit() else ch
        if not out or out[-1] != c or c not in "Aa9":
            out.append(c)
    return "".join(out)


def _first_rows(p: Profile, limit: int = 1000) -> np.ndarray:
    """Row positions of the first occurrence of each distinct value (up to ``limit``)."""
    filled = np.flatnonzero(p.codes >= 0)
    return filled[np.unique(p.codes[filled], return_index=True)[1][:limit]]


def _dates(s: pd.Series, p: Profile) -> bool:
    """True when the column's distinct values (up to 1,000 of them) are dates."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return True
    firsts = _first_rows(p)
    spec = detect_date_format(s.iloc[np.sort(firsts)].reset_index(drop=True), strict_numbers=True)
    return spec is not None and spec.share >= 0.8


def _joint_entropy(x: np.ndarray, y: np.ndarray) -> float:
    _, counts = np.unique(x.astype(np.int64) * (int(y.max()) + 1) + y, return_counts=True)
    return _entropy(counts)


def _excess(x: np.ndarray, y: np.ndarray, shuffles: list[np.ndarray]) -> float:
    """(I(X;Y) - mean over shuffles) / their standard deviation; I = H(X)+H(Y)-H(X,Y), and
    only the joint entropy changes when X is shuffled."""
    observed = -_joint_entropy(x, y)
    null = np.array([-_joint_entropy(xs, y) for xs in shuffles])
    sd = max(float(null.std(ddof=1)), 1e-9 * max(abs(float(null.mean())), 1.0))
    return float((observed - null.mean()) / sd)


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def _cond_entropy(x: np.ndarray, a: np.ndarray, kx: int) -> float:
    """H(X | A) in bits: how uncertain the value stays once the activity is known."""
    valid = a >= 0
    x, a = x[valid], a[valid]
    if not len(x):
        return 0.0
    _, joint = np.unique(a.astype(np.int64) * kx + x, return_counts=True)
    return _entropy(joint) - _entropy(np.bincount(a))


def _case_order(codes: np.ndarray, ts: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(row order by case then time, case code per ordered row)."""
    order = np.lexsort((ts, codes)) if ts is not None else np.argsort(codes, kind="stable")
    return order, codes[order]


def _change_rate(v: np.ndarray, order: tuple[np.ndarray, np.ndarray]) -> float:
    """Share of consecutive events of the same case whose value differs."""
    rows, codes = order
    v = v[rows]
    same_case = (codes[1:] == codes[:-1]) & (codes[1:] >= 0)
    if not same_case.any():
        return 0.0
    return float((v[1:] != v[:-1])[same_case].mean())


def _ordered_share(codes: np.ndarray, ts: np.ndarray) -> float:
    """Share of rows whose time is not before the previous row of the same group."""
    order = np.argsort(codes, kind="stable")
    c, t = codes[order], ts[order]
    same = (c[1:] == c[:-1]) & (c[1:] >= 0)
    valid = same & (t[1:] != NAT) & (t[:-1] != NAT)
    if not valid.any():
        return 0.0
    return float((t[1:][valid] >= t[:-1][valid]).mean())
