"""Privacy by default: pseudonymised resources and suppression of small groups.

Reports show people only as pseudonyms (``R-0007``) and never show figures of groups
with fewer than ``min_cases`` cases, so that no individual can be singled out. The same
threshold (:data:`MIN_CASES` by default) hides activities and paths seen in fewer cases
from process maps (:func:`procmine.viz.process_map`, ``discover(log).plot()``), from
the report's map, tables and workbook: in real logs a step recorded in one case only is
often a personal remark.

Examples
--------
>>> import pandas as pd
>>> from procmine import EventLog
>>> from procmine.privacy import pseudonymize
>>> df = pd.DataFrame({"case:concept:name": ["1", "1", "2"], "concept:name": ["a", "b", "a"],
...                    "time:timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
...                    "org:resource": ["Anna Muster", "Beat Beispiel", "Anna Muster"]})
>>> out = pseudonymize(EventLog(df))
>>> sorted(out.df["org:resource"].unique())
['R-0001', 'R-0002']
>>> df["org:resource"].iloc[0]  # the input is unchanged
'Anna Muster'
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._core.notes import note
from ._core.validation import check_positive_int, fail
from .log import CASE, GROUP, RESOURCE, EventLog
from .viz._graph import MIN_CASES

__all__ = [
    "MIN_CASES",
    "activity_cases",
    "log_salt",
    "pseudonym_map",
    "pseudonymize",
    "rename_values",
    "suppress_small_groups",
]

# MIN_CASES, the default privacy threshold (groups, activities and paths seen in fewer
# cases are not shown), lives with the map graph, the lowest layer that applies it

_PREFIX = {RESOURCE: "R", GROUP: "U", CASE: "C"}


def _key(salt: bytes | str | None) -> bytes:
    if salt is None:
        return secrets.token_bytes(32)
    return salt.encode("utf-8") if isinstance(salt, str) else bytes(salt)


def log_salt(log: EventLog) -> bytes:
    """A salt derived from the whole content of ``log``: every case id, activity, time
    and resource, in the log's order.

    Pseudonyms made with it (``pseudonym_map(..., salt=log_salt(log), numbered=True)``)
    are the same in every run on the same log, whatever the process or its hash seed,
    while nobody without the complete log (every event to the microsecond) can recompute
    them from a list of names. Any change to the log gives other pseudonyms.

    Examples
    --------
    >>> from procmine import samples
    >>> log = samples.load("subsidy_fr")
    >>> log_salt(log) == log_salt(samples.load("subsidy_fr")), len(log_salt(log))
    (True, 32)
    """
    c = log.codes
    h = hashlib.sha256(b"procmine pseudonyms 1\x00")
    for arr in (c.case_offsets, c.activity, c.ts):
        h.update(np.ascontiguousarray(arr).tobytes())
    for names in (c.case_ids, c.activity_names):
        h.update("\x1f".join(map(str, names)).encode("utf-8", "surrogatepass") + b"\x1e")
    if RESOURCE in log.df.columns:
        codes, uniques = pd.factorize(log.df[RESOURCE], sort=False)  # codes in order of first appearance
        h.update(np.ascontiguousarray(codes, dtype=np.int64).tobytes())
        h.update("\x1f".join(map(str, uniques)).encode("utf-8", "surrogatepass"))
    return h.digest()


def pseudonym_map(
    values: Iterable[Any], *, salt: bytes | str | None = None, prefix: str = "R", numbered: bool | None = None
) -> dict[Any, str]:
    """Pseudonyms for ``values``: name -> label, not reversible without the salt.

    Each value's label derives from HMAC-SHA256(salt, value). Without a ``salt`` a fresh
    random one is drawn, and labels are numbered ``R-0001``, ``R-0002``, ... in the
    order of their HMAC digests, so neither the names nor the order in which they
    appear in the log can be read from the numbers. With a ``salt``, labels are the
    first 8 hex digits of the digest (``R-3fa2c1d0``): the same person gets the same
    label in every report made with that salt (keep the salt secret). ``numbered=True``
    numbers the labels in digest order also with a salt (e.g. :func:`log_salt`: the same
    numbers in every run on one log); ``numbered=False`` gives hex labels also without one.
    The order is total: equal digests (two values with the same text) fall back to the
    order of first appearance, so the numbers never depend on a tie.

    Examples
    --------
    >>> m = pseudonym_map(["Anna", "Beat", "Anna"], salt="s3cret")
    >>> len(m), m["Anna"] == pseudonym_map(["Anna"], salt="s3cret")["Anna"]
    (2, True)
    >>> pseudonym_map(["Anna", "Beat"], salt="s3cret", numbered=True) == pseudonym_map(
    ...     ["Beat", "Anna"], salt="s3cret", numbered=True)
    True
    """
    key = _key(salt)
    uniq = list(
        dict.fromkeys(v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v)))
    )
    digests = {v: hmac.new(key, str(v).encode("utf-8"), hashlib.sha256).hexdigest() for v in uniq}
    if not (salt is None if numbered is None else numbered):
        return {v: f"{prefix}-{d[:8]}" for v, d in digests.items()}
    width = max(4, len(str(len(uniq))))
    # digest, then first appearance (sorted() is stable): no order left to chance
    ordered = sorted(uniq, key=digests.__getitem__)
    return {v: f"{prefix}-{i + 1:0{width}d}" for i, v in enumerate(ordered)}


def pseudonymize(
    log: EventLog,
    columns: Iterable[str] = (RESOURCE,),
    *,
    salt: bytes | str | None = None,
) -> EventLog:
    """A copy of ``log`` with the values of ``columns`` replaced by pseudonyms.

    Parameters
    ----------
    log
        The event log (not modified).
    columns
        Columns to pseudonymise; columns the log does not have are skipped.
        ``org:resource`` becomes ``R-…`` (a system account, e.g. *eBau-Portal*, ``system-…``:
        it is no person, and the analyses need to tell it from staff), ``org:group`` ``U-…``,
        the case id ``C-…``, any other column ``<first letter>-…``.
    salt
        Secret for HMAC-SHA256 (see :func:`pseudonym_map`); ``None`` draws a random one,
        so labels are stable within one call (one report) and meaningless outside it.

    Returns
    -------
    EventLog
        The new log; its ingest report records the step.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"case:concept:name": ["1", "2"], "concept:name": ["a", "a"],
    ...                    "time:timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True),
    ...                    "org:resource": ["Anna", "Beat"], "org:group": ["Bauamt", "Bauamt"]})
    >>> anon = pseudonymize(EventLog(df), ["org:resource", "org:group"], salt="k")
    >>> anon.df["org:group"].nunique(), bool(anon.df["org:resource"].str.startswith("R-").all())
    (1, True)
    """
    return pseudonymize_with_maps(log, columns, salt=salt)[0]


def pseudonymize_with_maps(
    log: EventLog, columns: Iterable[str] = (RESOURCE,), *, salt: bytes | str | None = None,
    numbered: bool | None = None, mark_system: bool = True,
) -> tuple[EventLog, dict[str, dict[Any, str]]]:
    """:func:`pseudonymize`, also returning column -> {name: pseudonym} (keep it private:
    it is what lets other objects made from the raw log, e.g. findings, be relabelled);
    ``numbered`` as in :func:`pseudonym_map`.

    ``mark_system``: resource names that read as system accounts (*eBau-Portal*, *batch*:
    :func:`procmine.waits._steps.is_system_account`) get ``system-`` pseudonyms, persons
    ``R-`` ones, so that the analyses run on the pseudonymised log (a report) still tell a
    step a system records from staff work. The marker says only what the step
    classification would conclude from the name anyway."""
    if isinstance(columns, str):
        columns = (columns,)
    cols = [c for c in columns if c in log.df.columns]
    if not cols:
        return log, {}
    df = log.df.copy()
    key = _key(salt)
    maps: dict[str, dict[Any, str]] = {}
    for col in cols:
        prefix = _PREFIX.get(col, (col.split(":")[-1][:1] or "X").upper())
        codes, uniques = pd.factorize(df[col], sort=False)
        values = list(uniques)
        system: list[Any] = []
        if mark_system and col == RESOURCE:
            from .waits._steps import is_system_account

            system = [v for v in values if is_system_account(v)]
            taken = set(system)
            values = [v for v in values if v not in taken]
        mapping = pseudonym_map(values, salt=key if salt is not None else None, prefix=prefix,
                                numbered=numbered)
        if system:
            mapping.update(pseudonym_map(system, salt=key if salt is not None else None, prefix="system",
                                         numbered=numbered))
        labels = np.array([mapping[u] for u in uniques] + [None], dtype=object)
        dtype = df[col].dtype if pd.api.types.is_string_dtype(df[col].dtype) else object
        df[col] = pd.Series(labels[codes], index=df.index, name=col, dtype=dtype)  # code -1 (missing) -> None
        maps[col] = mapping
    report = dataclasses.replace(
        log.report, filters=[*log.report.filters, {"description": note("pseudonymised: {columns}", columns=", ".join(cols))}]
    )
    return EventLog(df, report, name=log.name, presorted=True), maps


def suppress_small_groups(frame: pd.DataFrame, count_col: str, min_cases: int) -> pd.DataFrame:
    """Rows of ``frame`` whose ``count_col`` is at least ``min_cases``.

    The number of suppressed rows is kept in ``result.attrs["suppressed"]`` so a report
    can say that some groups were left out (without saying which).

    Examples
    --------
    >>> f = pd.DataFrame({"unit": ["A", "B"], "cases": [120, 4]})
    >>> out = suppress_small_groups(f, "cases", 10)
    >>> out["unit"].tolist(), out.attrs["suppressed"]
    (['A'], 1)
    """
    check_positive_int("suppress_small_groups", "min_cases", min_cases, minimum=0)
    if count_col not in frame.columns:
        raise fail("suppress_small_groups", "count_col", f"a column of the frame ({list(frame.columns)})", count_col)
    keep = pd.to_numeric(frame[count_col], errors="coerce").fillna(0) >= min_cases
    out = frame.loc[keep].copy()
    out.attrs["suppressed"] = int((~keep).sum())
    return out


def rename_values(values: Iterable[Any], mapping: Mapping[Any, str]) -> tuple[Any, ...]:
    """``values`` with every known name replaced by its pseudonym."""
    return tuple(mapping.get(v, v) for v in values)


def activity_cases(log: EventLog) -> pd.Series:
    """Number of distinct cases in which each activity occurs (indexed by activity name).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"case:concept:name": ["1", "1", "2"], "concept:name": ["a", "a", "b"],
    ...                    "time:timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True)})
    >>> activity_cases(EventLog(df)).to_dict()
    {'a': 1, 'b': 1}
    """
    from ._core.kernels import distinct_per_group

    c = log.codes
    counts = distinct_per_group(c.activity, c.case, c.n_activities, c.n_cases, items_in_order=True)
    return pd.Series(counts, index=pd.Index(c.activity_names, name="activity"), name="cases")
