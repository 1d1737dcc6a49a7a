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
