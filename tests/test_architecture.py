"""The architecture's promises that a reading of the source can check (docs/architecture.md):
a bottom layer that imports nothing above it, one definition of NAT, of the case start and
of per-event waiting and processing time."""

from __future__ import annotations

import ast
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine._core.event_times import case_start_us, event_times
from procmine._core.kernels import NAT
from procmine.redundancy._base import ElapsedCalendar, EventTable
from tests.conftest import ROOT

SRC = ROOT / "src" / "procmine"


def _log_with_starts() -> pm.EventLog:
    """Two cases over a weekend and lunch: a start before the previous completion (overlap),
    a start after its own completion (a data error, ignored) and events without a start."""
    t = pd.Timestamp("2024-03-08 09:00", tz="UTC")  # a Friday
    h = pd.Timedelta(hours=1)
    rows = [
        ("a", "x", t, t - 2 * h),
        ("a", "y", t + 3 * h, t + 1 * h),
        ("a", "z", t + 70 * h, t + 69 * h),  # over the weekend
        ("a", "w", t + 72 * h, t + 75 * h),  # start after its completion
        ("b", "x", t + 1 * h, pd.NaT),
        ("b", "y", t + 4 * h, t + 0.5 * h),  # starts before the case's first completion
        ("b", "z", t + 6 * h, pd.NaT),
    ]
    df = pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "time:timestamp", "start_timestamp"])
    for col in ("time:timestamp", "start_timestamp"):
        df[col] = df[col].astype("datetime64[us, UTC]")
    return pm.EventLog(df)


def test_the_bottom_layer_imports_nothing_above_it():
    """Not a single import of ``_core`` leaves the layer (lazy imports included)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("arch_check", ROOT / "tools" / "arch_check.py")
    arch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(arch)
    assert arch.upward_from_bottom(arch.import_graph(ROOT / "src")) == []


def test_bottom_layer_results_run_without_the_layers_above():
    """The ingest report, the result shape, the DFG and the per-event times import, render
    and compute with no module above ``_core`` loaded: the package is entered without its
    facade (which imports the analyses), so any upward import would show in ``sys.modules``."""
    code = (
        "import sys, types\n"
        f"pkg = types.ModuleType('procmine'); pkg.__path__ = [{str(SRC)!r}]; sys.modules['procmine'] = pkg\n"
        "import numpy as np\n"
        "from procmine._core.ingest_report import IngestReport\n"
        "from procmine._core import dfg, event_times, results\n"
        "r = IngestReport(source='x.csv', rows_read=2, rows_kept=2)\n"
        "assert repr(r).startswith('<IngestReport x.csv'), repr(r)\n"
        "assert 'rows read' in r._repr_html_()\n"
        "above = sorted(m for m in sys.modules if m.startswith('procmine.') and not m.startswith("
        "('procmine._core', 'procmine.errors', 'procmine._version')))\n"
        "print(above)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr


def test_nat_is_defined_once():
    """``np.iinfo(np.int64).min`` is given a name in ``_core/kernels.py`` only."""
    places = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if any(n.strip("_") == "NAT" for n in names):
                    places.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert len(places) == 1 and places[0].startswith("_core/kernels.py:"), places


def test_case_start_is_first_start_else_first_completion():
    log = _log_with_starts()
    t = pd.Timestamp("2024-03-08 09:00", tz="UTC")
    want = [t - pd.Timedelta(hours=2), t + pd.Timedelta(hours=0.5)]
    got = pd.to_datetime(case_start_us(log.codes), unit="us", utc=True)
    assert list(got) == want
    # the same rule behind every case duration
    durations = log.case_durations()
    assert list(durations) == [t + pd.Timedelta(hours=72) - want[0], t + pd.Timedelta(hours=6) - want[1]]
    assert list(event_times(log, pm.Calendar.always()).case_start) == list(case_start_us(log.codes))


@pytest.mark.parametrize("calendar", [ElapsedCalendar(), pm.Calendar.always(), pm.Calendar()], ids=repr)
def test_detectors_read_waiting_and_processing_from_event_times(calendar):
    """``EventTable`` keeps its former definition (working time from the previous completion,
    or the event's own start, to its start; 0 for a first event or an unknown start) and now
    takes it from :func:`event_times`."""
    log = _log_with_starts()
    table = EventTable(log, calendar)
    c = log.codes
    # the former definition, written out
    has_start = (c.start_ts != NAT) & (c.start_ts <= c.ts)
    start = np.where(has_start, c.start_ts, c.ts)
    prev_end = start.copy()
    same = np.zeros(len(c.ts), dtype=bool)
    same[1:] = c.case[1:] == c.case[:-1]
    prev_end[same] = c.ts[np.flatnonzero(same) - 1]
    wait = np.asarray(calendar.working_time(np.minimum(prev_end, start), start), dtype=np.int64)
    proc = np.where(has_start, np.asarray(calendar.working_time(start, c.ts), dtype=np.int64), 0)
    assert table.wait.tolist() == wait.tolist()
    assert table.processing.tolist() == proc.tolist()
    assert (table.wait > 0).any() and (table.processing > 0).any()  # the log exercises both
    first = np.minimum.reduceat(start, c.case_offsets[:-1])
    expected = np.asarray(calendar.working_time(first, c.ts[c.case_offsets[1:] - 1]), dtype=np.int64)
    assert table.case_working_duration.tolist() == expected.tolist()


def test_a_calendar_with_working_time_only_is_still_accepted():
    """A caller's own calendar-like object with just ``working_time`` (no ``cumulative``)."""

    class HalfTime:
        def working_time(self, s, e):
            return (np.asarray(e, dtype=np.int64) - np.asarray(s, dtype=np.int64)) // 2

    log = _log_with_starts()
    table = EventTable(log, HalfTime())
    full = EventTable(log, ElapsedCalendar())
    assert table.wait.tolist() == (full.wait // 2).tolist()
    assert table.processing.tolist() == (full.processing // 2).tolist()


def test_arguments_are_refused_one_way():
    """Every invalid argument is refused through ``_core.validation`` (``fail``/``check_*``)
    or as ``ParameterError(function, parameter, value, expected)``: no free-text message."""
    free_text = []
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).as_posix() == "errors.py":
            continue  # the class itself (its pickling helper rebuilds from the message)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ParameterError" and len(node.args) < 4:
                free_text.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert free_text == []
