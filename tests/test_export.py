"""Formula-safe CSV/XLSX exports (procmine.export)."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from procmine.export import export_frame, read_table, to_csv, to_xlsx

EVIL = '=HYPERLINK("http://x","y")'


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "activity": [EVIL, "+41 31 000", "-minus", "@SUM(A1)", "\tTab", "Prüfung Gesuch", "'quoted"],
            "delta": [-3, 4, -1, 0, 2, 5, 7],
            "share": [-0.5, 0.25, 1.0, 0.0, 0.125, 2.5, -7.75],
        }
    )


def test_hyperlink_is_inert_text_in_the_workbook(table, tmp_path):
    path = to_xlsx({"findings": table}, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path)["findings"]
    cell = ws["A2"]
    assert cell.data_type == "s"
    assert cell.value == "'" + EVIL
    for row in ws.iter_rows(min_row=2):
        assert row[0].data_type == "s"
        assert str(row[0].value)[0] not in "=+-@\t\r"
        assert row[1].data_type == "n" and isinstance(row[1].value, int)
        assert row[2].data_type == "n" and isinstance(row[2].value, (int, float))
    assert ws["B2"].value == -3 and ws["C2"].value == -0.5


def test_pandas_alone_would_write_a_live_formula(tmp_path):
    # the reason this module exists: check the premise so the test above means something
    path = tmp_path / "raw.xlsx"
    pd.DataFrame({"a": [EVIL]}).to_excel(path, index=False)
    assert openpyxl.load_workbook(path).active["A2"].data_type == "f"


def test_csv_is_neutralised(table, tmp_path):
    [path] = to_csv({"findings": table}, tmp_path / "t.csv")
    text = path.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ";-3;-0.5" in text  # numbers stay numbers
    for line in text.splitlines()[1:]:
        assert line[0] not in "=+-@\t\r"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_round_trip_gives_the_same_rows_and_values(table, tmp_path, fmt):
    if fmt == "xlsx":
        back = read_table(to_xlsx({"t": table}, tmp_path / "t.xlsx"))["t"]
    else:
        back = read_table(to_csv({"t": table}, tmp_path / "t.csv")[0])["t"]
    assert back.shape == table.shape
    assert back["activity"].tolist() == table["activity"].tolist()
    assert back["delta"].tolist() == table["delta"].tolist()
    assert back["share"].tolist() == table["share"].tolist()
    assert pd.api.types.is_integer_dtype(back["delta"].dtype)


def test_durations_and_time_zones(tmp_path):
    f = pd.DataFrame(
        {
            "wait": pd.to_timedelta(["90min", "2D"]),
            "at": pd.to_datetime(["2024-07-01 08:00", "2024-01-01 08:00"], utc=True),
            "path": [("a", "b"), ("c",)],
        }
    )
    ex = export_frame(f)
    assert list(ex.columns) == ["wait [h]", "at [Europe/Zurich]", "path"]
    assert ex["wait [h]"].tolist() == [1.5, 48.0]
    assert ex["at [Europe/Zurich]"].dt.hour.tolist() == [10, 9]  # summer / winter time
    assert ex["path"].tolist() == ["a → b", "c"]
    back = read_table(to_xlsx({"t": f}, tmp_path / "t.xlsx"))["t"]
    assert back["wait [h]"].tolist() == [1.5, 48.0]
    assert back["at [Europe/Zurich]"].tolist() == ex["at [Europe/Zurich]"].tolist()
    assert f["wait"].dtype.kind == "m"  # input unchanged


def test_sheet_names_are_valid_and_unique(tmp_path):
    t = pd.DataFrame({"a": [1]})
    path = to_xlsx({"x" * 40: t, "x" * 41: t, "a/b": t}, tmp_path / "t.xlsx")
    names = openpyxl.load_workbook(path).sheetnames
    assert len(set(names)) == 3 and all(len(n) <= 31 and "/" not in n for n in names)


def test_several_tables_to_csv(tmp_path):
    t = pd.DataFrame({"a": [1, 2]})
    paths = to_csv({"kpis": t, "variants": t}, tmp_path / "report")
    assert [p.name for p in paths] == ["report-kpis.csv", "report-variants.csv"]


def test_bad_tables_argument(tmp_path):
    from procmine.errors import ParameterError

    with pytest.raises(ParameterError, match="tables"):
        to_xlsx([1, 2], tmp_path / "x.xlsx")


HOSTILE = ["Prüfung\x01Gesuch", "R\x0b1", "\x00null", " =1+1", "\t@SUM(A1)", "\r\n-2+3", "ok\ud800", "x" * 40_000]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_control_characters_and_blank_led_formulas(tmp_path, fmt):
    t = pd.DataFrame({"activity\x01": pd.Series(HOSTILE, dtype=object), "n": range(len(HOSTILE))})
    if fmt == "xlsx":
        path = to_xlsx({"t\x02": t}, tmp_path / "t.xlsx")
        wb = openpyxl.load_workbook(path)  # the workbook opens
        ws = wb.worksheets[0]
        values = [c.value for c in ws["A"]]
        assert all(c.data_type == "s" for c in ws["A"])
        back = read_table(path)[wb.sheetnames[0]]
    else:
        [path] = to_csv({"t": t}, tmp_path / "t.csv")
        values = None
        back = read_table(path)["t"]
    got = back.iloc[:, 0].tolist()
    assert back.columns[0] == "activity\ufffd"
    assert got[:3] == ["Prüfung\ufffdGesuch", "R\ufffd1", "\ufffdnull"]
    # formulas behind leading blanks are written inert and read back exactly
    assert got[3:6] == [" =1+1", "\t@SUM(A1)", "\r\n-2+3"]
    assert got[6] == "ok\ufffd"
    assert len(got[7]) == 32_767 and got[7].endswith("…")
    if values is not None:
        assert [v[0] for v in values[4:7]] == ["'", "'", "'"]
