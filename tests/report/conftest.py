"""Small logs for the report tests, built by hand where exact expectations matter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from procmine import EventLog

EVIL_ACTIVITY = "<script>alert(1)</script>"
FORMULA_ACTIVITY = '=HYPERLINK("http://x","y")'


def hand_log(*, seed: int = 0) -> EventLog:
    """60 cases in three communes (30, 27, 3 cases), with hostile activity and resource names."""
    rng = np.random.default_rng(seed)
    rows = []
    t0 = pd.Timestamp("2024-03-04 08:00", tz="UTC")
    communes = ["Bern"] * 30 + ["Biel/Bienne"] * 27 + ["Kleindorf"] * 3
    people = ["Anna Muster", "Beat Beispiel", "Carla Exemple", '<img src="http://evil/x.png">']
    for i, commune in enumerate(communes):
        t = t0 + pd.Timedelta(days=int(i // 3), hours=int(rng.integers(0, 4)))
        steps = [
            "Gesuch eingereicht",
            "Dossier erfassen",
            EVIL_ACTIVITY,
            "Prüfung",
            FORMULA_ACTIVITY,
            "Entscheid",
        ]
        if i % 3 == 0:
            steps.insert(4, "Prüfung")  # rework in a third of the cases
        for a in steps:
            t = t + pd.Timedelta(hours=float(rng.uniform(1, 30)))
            rows.append(
                {
                    "case:concept:name": f"F-{i:04d}",
                    "concept:name": a,
                    "time:timestamp": t,
                    "org:resource": people[int(rng.integers(0, len(people)))],
                    "org:group": "Bauamt" if a != "Entscheid" else "Regierungsstatthalteramt",
                    "Gemeinde": commune,
                }
            )
    df = pd.DataFrame(rows)
    df["time:timestamp"] = df["time:timestamp"].astype("datetime64[us, UTC]")
    return EventLog(df, name="hand")


@pytest.fixture(scope="session")
def hostile_log() -> EventLog:
    return hand_log()


@pytest.fixture(scope="session")
def permit_small() -> EventLog:
    import procmine as pm

    return pm.samples.load("permit_de").sample(250, seed=1)
