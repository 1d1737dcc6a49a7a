"""Fixtures of the redundancy tests: tiny hand-built logs and the generated validation logs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import pytest

from procmine import EventLog
from procmine.redundancy._base import ElapsedCalendar

T0 = pd.Timestamp("2024-03-04 08:00", tz="UTC")  # a Monday

#: the validation grid: procedures (one German, one French) x seeds x noise levels
PROCEDURES = ("permit_de", "subsidy_fr")
SEEDS = (0, 1, 2)
NOISES = (0.0, 0.05, 0.1)
N_CASES = 600


def tiny_log(cases: Iterable[Sequence[tuple[Any, ...]]], *, group: bool = True) -> EventLog:
    """A log from cases given as lists of ``(activity, hours, unit)`` or
    ``(activity, hours, unit, start_hours)``: completion (and start) ``hours`` after T0 plus
    one day per case; ``unit`` goes to ``org:group`` (or ``org:resource`` with ``group=False``)."""
    rows = []
    for i, events in enumerate(cases):
        day = T0 + pd.Timedelta(days=i)
        for ev in events:
            act, hours, unit = ev[0], ev[1], ev[2]
            row = {
                "case:concept:name": f"c{i:03d}",
                "concept:name": act,
                "time:timestamp": day + pd.Timedelta(hours=hours),
                "org:group" if group else "org:resource": unit,
            }
            if len(ev) > 3:
                row["start_timestamp"] = day + pd.Timedelta(hours=ev[3])
            rows.append(row)
    df = pd.DataFrame(rows)
    for col in ("time:timestamp", "start_timestamp"):
        if col in df.columns:
            df[col] = df[col].astype("datetime64[us, UTC]")
    return EventLog(df)


@pytest.fixture
def elapsed() -> ElapsedCalendar:
    """Working time = elapsed time: exact expectations on hand-built logs."""
    return ElapsedCalendar()


@pytest.fixture(scope="session")
def generated() -> list[tuple[str, Any, Any]]:
    """``(run name, log, truth)`` for every procedure x seed x noise of the validation grid."""
    from procmine.samples.generator import generate

    out = []
    for name in PROCEDURES:
        for seed in SEEDS:
            for noise in NOISES:
                log, truth = generate(name, n_cases=N_CASES, seed=seed, noise=noise)
                out.append((f"{name}/seed={seed}/noise={noise}", log, truth))
    return out
