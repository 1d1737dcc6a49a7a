"""Lifecycle rows (start/complete) paired into one event per step, in every format.

The reference: the shipped sample permit_de has a start-time column. The same events are
written once with that column and once as start/complete rows (Swiss CSV, Parquet, Excel,
DataFrame, XES); read back, both must give the same events, start times and findings.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.errors import DataQualityWarning, LogError
from procmine.io._lifecycle import MERGED, OTHER, UNMATCHED_START, find_lifecycle_column, transition_kinds
from procmine.io.xes import write_xes
from procmine.samples import sample_path
from tests.conftest import shared_log

SWISS = "%d.%m.%Y %H:%M:%S"
COLS = ["case:concept:name", "concept:name", "start_timestamp", "time:timestamp", "org:resource"]


def read(source, **kw) -> pm.EventLog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = pm.read_log(source, **kw)
    log.report.check()
    return log


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """permit_de as exported: Swiss dates, German headers, a start column ("Beginn")."""
    return pd.read_csv(sample_path("permit_de"), sep=";", dtype=str)


def lifecycle_rows(
    raw: pd.DataFrame, header: str = "Status", values=("Start", "Ende"), n_cases=None
) -> pd.DataFrame:
    """One start and one complete row per event, sorted as a workflow export is (case, time)."""
    if n_cases is not None:
        raw = raw[raw["Dossier-Nr"].isin(raw["Dossier-Nr"].unique()[:n_cases])]
    base = raw.drop(columns=["Beginn"])
    rows = pd.concat(
        [
            base.assign(**{header: values[0], "Zeitstempel": raw["Beginn"]}),
            base.assign(**{header: values[1]}),
        ],
        keys=[0, 1],
        names=["kind", "i"],
    ).reset_index()
    first = {c: i for i, c in enumerate(raw["Dossier-Nr"].unique())}
    rows["_t"] = pd.to_datetime(rows["Zeitstempel"], format=SWISS)
    rows["_c"] = rows["Dossier-Nr"].map(first)
    rows = rows.sort_values(["_c", "_t", "kind"], kind="stable")
    return rows.drop(columns=["_t", "_c", "kind", "i"]).reset_index(drop=True)


def assert_same_log(paired: pm.EventLog, reference: pm.EventLog) -> None:
    assert paired.n_events == reference.n_events
    assert paired.has_start_timestamps
    assert paired.activities.to_dict() == reference.activities.to_dict()
    a, b = paired.df[COLS].fillna("-"), reference.df[COLS].fillna("-")
    pd.testing.assert_frame_equal(a, b)


def kinds_and_activities(log: pm.EventLog) -> list[tuple[str, tuple]]:
    return sorted((f.kind, tuple(f.activities)) for f in pm.find_redundancies(log))


# -- the same log with a start column and as start/complete rows ----------------------------------


def test_swiss_csv_with_status_column_equals_start_column(raw, tmp_path):
    with_start = tmp_path / "gesuche_beginn.csv"
    raw.to_csv(with_start, sep=";", index=False)
    rows = lifecycle_rows(raw)
    assert len(rows) == 2 * len(raw)
    status = tmp_path / "gesuche_status.csv"
    rows.to_csv(status, sep=";", index=False)

    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # merging loses nothing: no warning
        paired = pm.read_log(status)
    reference = read(with_start)
    assert_same_log(paired, reference)
    r = paired.report
    assert r.rows_read == len(rows) and r.dropped == {MERGED: len(raw)}
    assert r.roles["lifecycle"] == "Status" and r.role_detection["lifecycle"] == "header"
    assert r.formats["lifecycle"]["paired"] == len(raw)
    assert r.formats["lifecycle"]["unmatched_starts"] == r.formats["lifecycle"]["unmatched_completes"] == 0
    found = kinds_and_activities(paired)
    assert found and found == kinds_and_activities(reference)


def test_pair_lifecycle_false_keeps_every_row(raw, tmp_path):
    rows = lifecycle_rows(raw, n_cases=50)
    path = tmp_path / "status.csv"
    rows.to_csv(path, sep=";", index=False)
    log = read(path, pair_lifecycle=False)
    assert log.n_events == len(rows) and not log.has_start_timestamps
    assert "lifecycle" not in log.report.formats and not log.report.dropped


def test_parquet_with_english_lifecycle_values(raw, tmp_path):
    rows = lifecycle_rows(raw, header="lifecycle:transition", values=("start", "complete"), n_cases=200)
    rows["Zeitstempel"] = pd.to_datetime(rows["Zeitstempel"], format=SWISS)  # typed, naive local time
    path = tmp_path / "log.parquet"
    rows.to_parquet(path, index=False)
    ref = raw[raw["Dossier-Nr"].isin(rows["Dossier-Nr"].unique())]
    ref = ref.assign(
        Beginn=pd.to_datetime(ref["Beginn"], format=SWISS),
        Zeitstempel=pd.to_datetime(ref["Zeitstempel"], format=SWISS),
    )
    ref_path = tmp_path / "ref.parquet"
    ref.to_parquet(ref_path, index=False)
    paired = read(path)
    assert_same_log(paired, read(ref_path))
    assert paired.report.role_detection["lifecycle"] == "standard"


def test_excel_with_french_type_column(raw, tmp_path):
    rows = lifecycle_rows(raw, header="Type d'événement", values=("Début", "Fin"), n_cases=40)
    path = tmp_path / "journal.xlsx"
    rows.to_excel(path, index=False)
    ref = raw[raw["Dossier-Nr"].isin(rows["Dossier-Nr"].unique())]
    paired = read(path)
    assert_same_log(paired, read(ref.reset_index(drop=True)))
    assert paired.report.roles["lifecycle"] == "Type d'événement"


def test_dataframe_with_italian_values_found_from_content(raw):
    # the header names nothing: the column is found from its values (inizio/fine)
    rows = lifecycle_rows(raw, header="Kennung", values=("INIZIO", "fine"), n_cases=150)
    ref = raw[raw["Dossier-Nr"].isin(rows["Dossier-Nr"].unique())].reset_index(drop=True)
    paired = read(rows)
    assert_same_log(paired, read(ref))
    assert paired.report.roles["lifecycle"] == "Kennung"
    assert paired.report.role_detection["lifecycle"] == "content"
    # found, not named: the report says how (it said "named by the caller")
    assert paired.report.role_evidence["lifecycle"].startswith("the values of 'Kennung' are lifecycle transitions")


def test_lifecycle_column_is_not_taken_for_the_activity():
    # no header names the activity: content detection would take the column that changes
    # at every row of a case, which is the start/complete column
    t = pd.date_range("2024-03-04 08:00", periods=12, freq="37min").strftime(SWISS)
    df = pd.DataFrame(
        {
            "Fall": ["A"] * 6 + ["B"] * 6,
            "Bezeichnung": ["Prüfen", "Prüfen", "Verfügen", "Verfügen", "Versand", "Versand"] * 2,
            "Art": ["Start", "Ende"] * 6,
            "Zeit": t,
        }
    )
    log = read(df)
    assert log.report.roles["activity"] == "Bezeichnung" and log.report.roles["lifecycle"] == "Art"
    assert log.report.role_detection["lifecycle"] == "content"
    assert log.report.role_evidence["lifecycle"].startswith("the values of 'Art' are lifecycle transitions")
    by_header = read(df.rename(columns={"Art": "Status"}))
    assert by_header.report.role_detection["lifecycle"] == "header"
    assert by_header.report.role_evidence["lifecycle"].startswith("'Status' is a known name for the lifecycle")
    named = read(df, lifecycle="Art")
    assert named.report.role_detection["lifecycle"] == "explicit"
    assert named.report.role_evidence["lifecycle"] == "named by the caller"
    assert log.n_events == 6 and log.df["concept:name"].tolist()[:3] == ["Prüfen", "Verfügen", "Versand"]


def test_folder_of_parts_pairs_across_parts(raw, tmp_path):
    rows = lifecycle_rows(raw, n_cases=30)
    (tmp_path / "parts").mkdir()
    # cut right after a start whose complete is the next row: that step spans both parts
    st = rows["Status"].to_numpy()
    half = next(i for i in range(len(rows) // 2, len(rows)) if st[i - 1] == "Start" and st[i] == "Ende")
    rows.iloc[:half].to_csv(tmp_path / "parts" / "a.csv", sep=";", index=False)
    rows.iloc[half:].to_csv(tmp_path / "parts" / "b.csv", sep=";", index=False)
    ref = raw[raw["Dossier-Nr"].isin(rows["Dossier-Nr"].unique())].reset_index(drop=True)
    log = read(tmp_path / "parts")
    assert_same_log(log, read(ref))
    assert log.report.dropped == {MERGED: len(ref)}


# -- unmatched rows, other transitions, the report ------------------------------------------------


def small(lc: list[str], acts: list[str], hours: list[float], res=None) -> pd.DataFrame:
    base = pd.Timestamp("2024-03-04 08:00")
    df = pd.DataFrame(
        {
            "Fall": "c",
            "Schritt": acts,
            "Zeitstempel": [(base + pd.Timedelta(hours=h)).strftime(SWISS) for h in hours],
            "Status": lc,
        }
    )
    if res is not None:
        df["Sachbearbeiter"] = res
    return df


def test_unmatched_starts_dropped_and_completes_kept_and_counted():
    df = small(
        ["complete", "start", "START", "complete", "schedule", "complete", "start", "suspend", "Notiz"],
        ["Prüfen", "Prüfen", "Prüfen", "Prüfen", "Verfügen", "Prüfen", "Verfügen", "Prüfen", "Prüfen"],
        [1, 2, 2.5, 3, 3, 4, 5, 5.5, 6],
    )
    log = read(df)
    r = log.report
    assert r.rows_read == 9
    assert r.dropped == {MERGED: 2, UNMATCHED_START: 1, OTHER: 2}
    info = r.formats["lifecycle"]
    assert info["paired"] == 2 and info["unmatched_starts"] == 1 and info["unmatched_completes"] == 1
    assert info["other_dropped"] == {"schedule": 1, "suspend": 1}
    assert info["unrecognised_kept"] == {"Notiz": 1}
    d = log.df
    # complete at 1h: no open start, instantaneous; 3h and 4h close the starts of 2h and 2.5h (FIFO)
    hours = lambda s: ((s - pd.Timestamp("2024-03-04 07:00", tz="UTC")) / pd.Timedelta(hours=1)).tolist()  # noqa: E731
    assert hours(d["time:timestamp"]) == [1, 3, 4, 6]
    assert hours(d["start_timestamp"]) == [1, 2, 2.5, 6]
    assert sum("lifecycle" in w for w in r.warnings) == 4
    with pytest.warns(DataQualityWarning, match="start without a complete"):
        pm.read_log(df)


def test_resource_decides_which_start_a_complete_closes():
    # two people work on the same step at once; Bea finishes first
    df = small(
        ["start", "start", "complete", "complete"],
        ["Prüfen"] * 4,
        [1, 2, 3, 4],
        res=["Ann", "Bea", "Bea", "Ann"],
    )
    d = read(df).df
    assert d["org:resource"].tolist() == ["Bea", "Ann"]
    assert [t.hour for t in d["start_timestamp"]] == [9, 8]  # Bea from 2h (09:00 UTC), Ann from 1h
    # handed over: started by Ann, completed by Bea -> paired in the second pass
    d = read(small(["start", "complete"], ["Prüfen"] * 2, [1, 2], res=["Ann", "Bea"])).df
    assert len(d) == 1 and d["start_timestamp"][0].hour == 8


def test_case_status_column_is_no_lifecycle():
    df = small(
        ["offen", "erledigt", "offen", "erledigt"], ["Prüfen", "Verfügen", "Prüfen", "Versand"], [1, 2, 3, 4]
    )
    log = read(df)
    assert log.n_events == 4 and "lifecycle" not in log.report.formats and not log.report.dropped
    assert find_lifecycle_column(df) is None


def test_transition_words_in_four_languages():
    values = pd.Series(
        [
            "Start",
            "Ende",
            "début",
            "FIN",
            "inizio",
            "fine",
            "begin",
            "end",
            "Zugewiesen",
            "ate_abort",
            "",
            None,
            "Notiz",
        ]
    )
    assert transition_kinds(values).tolist() == [1, 2, 1, 2, 1, 2, 1, 2, 3, 3, 0, 0, 4]


def test_explicit_pair_lifecycle_warns_when_nothing_to_pair():
    df = small(["x", "y"], ["Prüfen", "Verfügen"], [1, 2])
    log = read(df.drop(columns=["Status"]), pair_lifecycle=True)
    assert any("no lifecycle column" in w for w in log.report.warnings)


# -- XES: paired by default -----------------------------------------------------------------------


def test_xes_round_trip_pairs_by_default(raw, tmp_path):
    rows = lifecycle_rows(raw, header="lifecycle:transition", values=("start", "complete"), n_cases=60)
    unpaired = read(rows, pair_lifecycle=False)
    path = tmp_path / "log.xes.gz"
    write_xes(unpaired, path)
    ref = raw[raw["Dossier-Nr"].isin(rows["Dossier-Nr"].unique())].reset_index(drop=True)
    paired = read(path)
    assert paired.report.format == "xes"
    assert_same_log(paired, read(ref))
    assert read(path, pair_lifecycle=False).n_events == len(rows)


def test_receipt_has_only_completes_and_is_unchanged():
    log = read(shared_log("receipt_wabo.xes.gz"))
    assert log.n_events == 8_577 and "lifecycle" not in log.report.formats and not log.report.dropped


@pytest.mark.slow
def test_bpic12_paired_by_default():
    path = shared_log("BPIC12.xes.gz")
    raw_log = read(path, pair_lifecycle=False)
    lc = raw_log.df["lifecycle:transition"].str.upper()
    log = read(path)
    info = log.report.formats["lifecycle"]
    # one event per COMPLETE row, as pm4py's interval conversion gives (164,506 on BPIC12)
    assert log.n_events == int((lc == "COMPLETE").sum())
    assert info["paired"] + info["unmatched_starts"] == int((lc == "START").sum())
    assert info["other_dropped"] == {"SCHEDULE": int((lc == "SCHEDULE").sum())}
    assert log.report.dropped == {
        MERGED: info["paired"],
        UNMATCHED_START: info["unmatched_starts"],
        OTHER: int((lc == "SCHEDULE").sum()),
    }
    assert log.has_start_timestamps
    assert (log.df["start_timestamp"] <= log.df["time:timestamp"]).all()
    longer = log.df[log.df["start_timestamp"] < log.df["time:timestamp"]]
    assert longer["concept:name"].str.startswith("W_").all()  # only work items are started
    complete_counts = raw_log.df.loc[lc == "COMPLETE", "concept:name"].value_counts().to_dict()
    assert log.activities.to_dict() == complete_counts


# -- DuckDB does not pair: it says so -------------------------------------------------------------


def test_duckdb_refuses_lifecycle_rows(raw, tmp_path):
    rows = lifecycle_rows(raw, n_cases=40)
    path = tmp_path / "status.csv"
    rows.to_csv(path, sep=";", index=False)
    with pytest.raises(LogError, match="engine='pandas'"):
        pm.read_log(path, engine="duckdb")
    with pm.read_log(path, engine="duckdb", pair_lifecycle=False) as duck:
        assert duck.n_events == len(rows)
    # paired in memory, then saved: DuckDB reads the result and agrees
    log = read(path)
    pq = log.to_parquet(tmp_path / "paired.parquet")
    with pm.read_log(pq, engine="duckdb") as duck:
        assert duck.n_events == log.n_events
        pd.testing.assert_frame_equal(pm.discover(duck).dfg, pm.discover(log).dfg)


def test_rows_accounting_holds_with_bad_rows():
    df = small(
        ["start", "complete", "start", "complete"], ["Prüfen", "Prüfen", "Verfügen", "Verfügen"], [1, 2, 3, 4]
    )
    df.loc[3, "Zeitstempel"] = "kein Datum"
    log = read(df)
    r = log.report
    assert r.dropped == {MERGED: 1, "unparseable timestamp": 1, UNMATCHED_START: 1}
    assert r.rows_kept == 1 and log.df["concept:name"].tolist() == ["Prüfen"]


def test_random_logs_pair_as_pm4py_interval_conversion():
    """Without resources, pairing equals pm4py's ``interval_lifecycle.to_interval``."""
    import contextlib
    import io
    import os

    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "false")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import pm4py
        from pm4py.objects.log.util.interval_lifecycle import to_interval

    rng = np.random.default_rng(7)
    n = 600
    df = pd.DataFrame(
        {
            "case:concept:name": np.sort(rng.integers(0, 40, n)).astype(str),
            "concept:name": rng.choice(["Prüfen", "Verfügen", "Versand"], n),
            # distinct times, in order within each case: no tie for the two methods to break differently
            "time:timestamp": pd.Timestamp("2024-03-04", tz="UTC")
            + pd.to_timedelta(np.arange(n) * 7, unit="min"),
            "lifecycle:transition": rng.choice(["start", "complete", "schedule"], n, p=[0.45, 0.45, 0.1]),
        }
    )
    ours = read(df).df
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pm4py.convert_to_dataframe(to_interval(pm4py.convert_to_event_log(df)))
    key = ["case:concept:name", "time:timestamp"]
    ours = ours.sort_values(key).reset_index(drop=True)
    ref = ref.sort_values(key).reset_index(drop=True)
    assert len(ours) == len(ref) == int((df["lifecycle:transition"] == "complete").sum())
    assert ours["concept:name"].tolist() == ref["concept:name"].tolist()
    assert (ours["start_timestamp"] == pd.to_datetime(ref["start_timestamp"], utc=True)).all()
    assert (ours["start_timestamp"] < ours["time:timestamp"]).sum() > 100  # many real pairs


def test_schedule_and_complete_without_starts_add_no_start_times():
    df = small(
        ["schedule", "complete", "schedule", "complete"],
        ["Prüfen", "Prüfen", "Verfügen", "Verfügen"],
        [1, 2, 3, 4],
    )
    log = read(df)
    assert log.n_events == 2 and not log.has_start_timestamps
    assert log.report.dropped == {OTHER: 2} and log.report.formats["lifecycle"]["paired"] == 0


def test_paired_starts_are_not_reported_as_lost_rows():
    """repr(log) and the CLI's note speak of rows dropped only when information was lost."""
    df = pd.DataFrame({
        "case": ["1", "1", "1", "1"],
        "activity": ["A", "A", "B", "B"],
        "lifecycle": ["start", "complete", "start", "complete"],
        "time": pd.to_datetime(["2024-01-01 08:00", "2024-01-01 09:00", "2024-01-01 10:00", "2024-01-01 11:00"]),
    })
    log = pm.read_log(df, case="case", activity="activity", timestamp="time", lifecycle="lifecycle")
    assert log.n_events == 2 and log.report.rows_merged == 2 and log.report.rows_lost == 0
    assert "rows dropped" not in repr(log) and "2 start rows paired" in repr(log)


# -- a lifecycle column in words procmine does not know: found from its structure ----------------


@pytest.mark.parametrize(("header", "values"), [("Etat", ("en cours", "terminé")), ("Zustand", ("offen", "zu")),
                                                ("Fase", ("aperto", "chiuso")), ("X7", ("A", "B"))])
def test_unknown_transition_words_are_found_from_the_structure(raw, tmp_path, header, values):
    """Every step is two rows of one case and activity, the first with one value, the second
    with the other: read as they were, every step counted twice (the issue's double count)."""
    rows = lifecycle_rows(raw, header=header, values=values, n_cases=150)
    path = tmp_path / "status.csv"
    rows.to_csv(path, sep=";", index=False)
    ref = raw[raw["Dossier-Nr"].isin(rows["Dossier-Nr"].unique())]
    ref_path = tmp_path / "ref.csv"
    ref.to_csv(ref_path, sep=";", index=False)
    paired = read(path)
    assert_same_log(paired, read(ref_path))
    r = paired.report
    assert r.roles["lifecycle"] == header and r.role_detection["lifecycle"] == "structure"
    assert r.formats["lifecycle_words"] == {values[0]: "start", values[1]: "complete"}
    assert r.dropped == {MERGED: len(ref)}
    assert (f"column {header!r} read as start and end of each step from its structure ({values[0]!r} opens a "
            f"step, {values[1]!r} closes it); pass pair_lifecycle=False to count every row as an event") in r.warnings
    from procmine.i18n import localise

    said = next(w for w in r.warnings if "from its structure" in w)
    assert localise(said, "fr").startswith(f"colonne {header!r} lue comme début et fin de chaque étape")
    assert read(path, pair_lifecycle=False).n_events == len(rows)


def _one_row_per_step(raw: pd.DataFrame, n_cases: int = 150) -> pd.DataFrame:
    ids = raw["Dossier-Nr"].unique()[:n_cases]
    return raw[raw["Dossier-Nr"].isin(ids)].drop(columns=["Beginn"]).reset_index(drop=True)


def test_two_valued_columns_that_are_no_lifecycle_are_left_alone(raw, tmp_path):
    rows = _one_row_per_step(raw)
    rng = np.random.default_rng(7)
    rows["Ergebnis"] = rng.choice(["ja", "nein"], len(rows))  # an outcome per step
    first = rows.groupby("Dossier-Nr").cumcount() == 0
    rows["Kanal"] = rows["Dossier-Nr"].map(lambda c: "online" if hash(c) % 2 else "Papier")  # per case
    last = rows.groupby("Dossier-Nr").cumcount(ascending=False) == 0
    rows["Fallstatus"] = np.where(last, "erledigt", "offen")  # the case's state
    rows.loc[first, "Ergebnis"] = "ja"
    path = tmp_path / "steps.csv"
    rows.to_csv(path, sep=";", index=False)
    log = read(path)
    assert log.n_events == len(rows) and "lifecycle_words" not in log.report.formats
    assert "lifecycle" not in log.report.roles


def test_a_check_failing_once_then_passing_is_rework_not_a_lifecycle(tmp_path):
    """The result of the completeness check, filled on that step only, is 'incomplete' then
    'complete' in every case: the pairs lie in one activity, on a third of the rows."""
    rows = []
    for c in range(60):
        t = pd.Timestamp("2025-03-03 08:00") + pd.Timedelta(days=c)
        for i, (act, res) in enumerate([("Eingang", ""), ("Vollständigkeit prüfen", "unvollständig"),
                                        ("Nachforderung", ""), ("Vollständigkeit prüfen", "vollständig"),
                                        ("Entscheid", "")]):
            rows.append({"Fall": f"F{c}", "Tätigkeit": act, "Zeit": t + pd.Timedelta(hours=5 * i), "Resultat": res})
    log = read(pd.DataFrame(rows))
    assert log.n_events == 300 and "lifecycle" not in log.report.roles
    assert log.activities["Vollständigkeit prüfen"] == 120
