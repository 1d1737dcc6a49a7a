"""Shared fixtures: the real logs in ../shared/logs (skipped cleanly when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_LOGS = Path(os.environ.get("PROCMINE_SHARED_LOGS", ROOT.parent / "shared" / "logs"))

os.environ.setdefault("MPLBACKEND", "Agg")

# Property tests draw the same examples on every run, so CI cannot turn red by chance;
# PROCMINE_HYPOTHESIS=explore searches afresh (run it locally when changing a reader).
try:
    from hypothesis import settings as _hsettings

    _hsettings.register_profile("ci", derandomize=True, database=None)
    _hsettings.register_profile("explore", derandomize=False)
    _hsettings.load_profile(os.environ.get("PROCMINE_HYPOTHESIS", "ci"))
except ImportError:  # the dev extras bring hypothesis; without it those tests are not collected
    pass


def shared_log(name: str) -> Path:
    """Path of a real log in ../shared/logs, or skip the test when it is not there."""
    path = SHARED_LOGS / name
    if not path.exists():
        pytest.skip(f"real log {name} not available (../shared/logs absent)")
    return path


@pytest.fixture
def shared_logs_dir() -> Path:
    if not SHARED_LOGS.is_dir():
        pytest.skip("../shared/logs absent")
    return SHARED_LOGS


XES_LOGS = [
    "running-example.xes",
    "receipt_wabo.xes.gz",
    "helpdesk.xes.gz",
    "interval_event_log.xes",
    "BPIC15_1.xes.gz",
    "BPIC15_2.xes.gz",
    "BPIC12.xes.gz",
    "road_traffic_fines.xes.gz",
]
