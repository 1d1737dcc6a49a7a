"""Roles the headers do not reveal, found from the content (:func:`procmine.io.detect.detect_roles`, step 2).

The timestamp is the column that parses as dates (the latest of several), the case a
column of repeated values whose rows are in time order, the activity a low-cardinality
text column that varies within cases.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._dates import detect_date_format, parse_dates

__all__: list[str] = []


def _content_timestamp(sample, columns, dayfirst, specs, warn) -> str | None:
    best: list[tuple[float, str]] = []
    for col in columns:
        spec = detect_date_format(sample[col], dayfirst=dayfirst, strict_numbers=True)
        if spec is not None and spec.share >= 0.8:
            specs[col] = spec
            best.append((spec.share, col))
    if not best:
        return None
    best.sort(key=lambda x: -x[0])
    if len(best) > 1:
        # several date columns: the completion time is the latest one in most rows
        cols = [c for _, c in best if best[0][0] - _ < 0.05]
        if len(cols) > 1:
            parsed = {c: parse_dates(sample[c], specs[c], tz="UTC")[0] for c in cols}
            later = {c: sum(int((parsed[c] >= parsed[o]).sum()) for o in cols if o != c) for c in cols}
            chosen = max(cols, key=lambda c: later[c])
            warn.append(
                f"several date columns ({', '.join(map(repr, cols))}); took {chosen!r}, the latest, "
                "as the timestamp (pass timestamp=... and start_timestamp=... to choose)"
            )
            return chosen
    return best[0][1]


def _content_case_activity(sample, columns, roles, how, ts_col, specs, warn) -> None:
    n = len(sample)
    if n == 0:
        return
    stats = {}
    for col in columns:
        s = sample[col]
        filled = s.notna() & (s.astype("str").str.strip() != "")
        k = int(s[filled].nunique())
        numeric = bool(pd.to_numeric(s[filled], errors="coerce").notna().all()) if k else False
        decimal = numeric and bool(s[filled].astype("str").str.contains(r"[.,eE]", regex=True).any())
        stats[col] = (k, int(filled.sum()), numeric, decimal)
    ts = None
    if ts_col is not None and ts_col in specs:
        ts = parse_dates(sample[ts_col], specs[ts_col], tz="UTC")[0].to_numpy(dtype="datetime64[us]")

    if "case" not in roles:
        cands = []
        for col in columns:
            if col in roles.values():
                continue
            k, filled, numeric, decimal = stats[col]
            if k < 2 or decimal or filled < 0.9 * n or filled / k < 1.5:
                continue
            ordered = _ordered_share(sample[col], ts) if ts is not None else 1.0
            if ordered < 0.8:
                continue
            # exports usually list a case's events together: a case column forms few runs
            codes, _ = pd.factorize(sample[col], sort=False)
            runs = 1 + int(np.count_nonzero(codes[1:] != codes[:-1]))
            cands.append((k * ordered * (1 + k / runs), col))
        if cands:
            cands.sort(key=lambda x: -x[0])
            roles["case"], how["case"] = cands[0][1], "content"
            if len(cands) > 1 and cands[1][0] >= 0.9 * cands[0][0]:
                warn.append(
                    f"columns {cands[0][1]!r} and {cands[1][1]!r} both could be the case id; "
                    f"took {cands[0][1]!r} (pass case=... to choose)"
                )
    if "activity" not in roles:
        # the activity changes from one event of a case to the next; the org unit or the
        # resource often stays the same for several steps
        order = _case_order(sample[roles["case"]], ts) if "case" in roles else None
        cands = []
        for col in columns:
            if col in roles.values():
                continue
            k, filled, numeric, _ = stats[col]
            if k < 2 or numeric or k > max(2, min(1000, n // 2)) or filled < 0.5 * n:
                continue
            changes = _change_rate(sample[col], order) if order is not None else 1.0
            cands.append((round(changes, 2), -k, col))
        if cands:
            cands.sort(key=lambda x: (-x[0], -x[1]))
            roles["activity"], how["activity"] = cands[0][2], "content"
            if len(cands) > 1 and cands[1][0] >= 0.95 * cands[0][0]:
                warn.append(
                    f"columns {cands[0][2]!r} and {cands[1][2]!r} both could be the activity; "
                    f"took {cands[0][2]!r} (pass activity=... to choose)"
                )


def _case_order(case: pd.Series, ts: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(row order by case then time, case code per ordered row)."""
    codes, _ = pd.factorize(case, sort=False)
    order = np.lexsort((ts, codes)) if ts is not None else np.argsort(codes, kind="stable")
    return order, codes[order]


def _change_rate(values: pd.Series, order: tuple[np.ndarray, np.ndarray]) -> float:
    """Share of consecutive events of the same case whose value differs."""
    rows, codes = order
    v, _ = pd.factorize(values, sort=False)
    v = v[rows]
    same_case = (codes[1:] == codes[:-1]) & (codes[1:] >= 0)
    if not same_case.any():
        return 0.0
    return float((v[1:] != v[:-1])[same_case].mean())


def _ordered_share(keys: pd.Series, ts: np.ndarray) -> float:
    """Share of rows whose time is not before the previous row of the same group."""
    codes, _ = pd.factorize(keys, sort=False)
    order = np.argsort(codes, kind="stable")
    c, t = codes[order], ts[order]
    same = (c[1:] == c[:-1]) & (c[1:] >= 0)
    valid = same & ~np.isnat(t[1:]) & ~np.isnat(t[:-1])
    if not valid.any():
        return 0.0
    return float((t[1:][valid] >= t[:-1][valid]).mean())
