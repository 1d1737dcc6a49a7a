"""The procmine command: exit codes, messages, and each command on real and shipped data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from procmine.cli import main
from tests.conftest import shared_log

SWISS_CSV = (
    "Dossier-Nr;Aktivität;Datum;Sachbearbeiter/in;Amt\n"
    "2024-001;Gesuch eingereicht;04.03.2024 08:15;MA-01;Gemeinde\n"
    "2024-001;Vollständigkeit prüfen;05.03.2024 10:00;MA-02;Bauinspektorat\n"
    "2024-002;Gesuch eingereicht;04.03.2024 09:00;MA-01;Gemeinde\n"
    ";Vollständigkeit prüfen;06.03.2024 11:00;MA-02;Bauinspektorat\n"
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_inspect_prints_report(runner: CliRunner, tmp_path: Path) -> None:
    p = tmp_path / "export.csv"
    p.write_text(SWISS_CSV, encoding="cp1252")
    res = runner.invoke(main, ["inspect", str(p)])
    assert res.exit_code == 0, res.output
    assert "rows read" in res.output and "4" in res.output
    assert "missing case id" in res.output
    assert "Dossier-Nr" in res.output  # the detected case column
    assert "is a known name for the case" in res.output  # and why it was chosen
    assert "Gesuch eingereicht" in res.output


def test_missing_file_exits_2_without_traceback(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(main, ["inspect", str(tmp_path / "nope.csv")])
    assert res.exit_code == 2
    assert "nope.csv" in res.output and "Traceback" not in res.output


def test_bad_file_exits_2_with_log_error(runner: CliRunner, tmp_path: Path) -> None:
    p = tmp_path / "empty.csv"
    p.write_text("", encoding="utf-8")
    res = runner.invoke(main, ["inspect", str(p)])
    assert res.exit_code == 2
    assert "empty.csv" in res.output and "Error" in res.output


def test_inspect_real_xes(runner: CliRunner) -> None:
    path = shared_log("receipt_wabo.xes.gz")
    res = runner.invoke(main, ["inspect", str(path)])
    assert res.exit_code == 0, res.output
    assert "8,577" in res.output and "1,434 cases" in res.output


def test_discover_writes_svg_and_bpmn(runner: CliRunner, tmp_path: Path) -> None:
    path = shared_log("receipt_wabo.xes.gz")
    svg, bpmn = tmp_path / "map.svg", tmp_path / "model.bpmn"
    res = runner.invoke(main, ["discover", str(path), "-o", str(svg), "--bpmn", str(bpmn), "--quiet"])
    assert res.exit_code == 0, res.output
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<svg") or "<svg" in svg.read_text(encoding="utf-8")
    assert "bpmn" in bpmn.read_text(encoding="utf-8").lower()
    assert "main variants" in res.output


def test_findings_lists_and_writes_csv(runner: CliRunner, tmp_path: Path) -> None:
    from procmine.samples import sample_path

    out = tmp_path / "f.csv"
    res = runner.invoke(main, ["findings", str(sample_path("permit_de", "csv")), "--csv", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    assert out.exists() and out.read_text(encoding="utf-8").count("\n") >= 2
    # the confidence as the report shows it, in the language's format (it read "0.98" in French)
    fr = runner.invoke(main, ["findings", str(sample_path("subsidy_fr", "csv")), "--lang", "fr", "--quiet"])
    import re

    assert fr.exit_code == 0 and re.search(r"Fiabilité \d+%", fr.output) and "Fiabilité 0." not in fr.output


def test_unknown_kind_is_a_user_error(runner: CliRunner) -> None:
    from procmine.samples import sample_path

    res = runner.invoke(main, ["findings", str(sample_path("permit_de", "csv")), "--kinds", "nonsense"])
    assert res.exit_code == 2 and "nonsense" in res.output


def test_demo_writes_reports(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    res = runner.invoke(main, ["demo", "-o", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    htmls = sorted(out.glob("*.html"))
    assert [h.name for h in htmls] == ["permit_de-report.html", "subsidy_fr-report.html"]
    assert all(str(h.resolve()) in res.output for h in htmls)
    assert "Baubewilligung" in htmls[0].read_text(encoding="utf-8") or "Gesuch" in htmls[0].read_text(encoding="utf-8")


def test_portfolio_of_a_folder(runner: CliRunner, tmp_path: Path) -> None:
    import shutil

    from procmine.samples import sample_path

    logs = tmp_path / "logs"
    logs.mkdir()
    for name in ("permit_de", "subsidy_fr"):
        src = sample_path(name, "csv")
        shutil.copy(src, logs / src.name)
    out = tmp_path / "portfolio"
    res = runner.invoke(main, ["portfolio", str(logs), "-o", str(out), "--lang", "fr", "--quiet"])
    assert res.exit_code == 0, res.output
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "permit_de" in index and "subsidy_fr" in index
    assert str((out / "index.html").resolve()) in res.output


def test_portfolio_of_an_empty_folder_is_a_user_error(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(main, ["portfolio", str(tmp_path), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2 and "no event log" in res.output


# -- hostile input: one line, the right exit code, never a traceback --------------------------


def _stderr_lines(res) -> list[str]:
    return [line for line in res.stderr.splitlines() if line.strip()]


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    p = tmp_path / "small.csv"
    p.write_text(SWISS_CSV, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "extra",
    [
        ["--tz", "Mars/Olympus"],
        ["--tz", "../../etc/passwd"],
        ["--sep", ""],
        ["--sep", ";;"],
        ["--encoding", "klingon"],
        ["--format", "docx"],
        ["--lang", "xx"],
        ["--min-case-share", "7"],
    ],
)
def test_bad_options_exit_2_with_one_line(runner: CliRunner, small_csv: Path, extra: list[str]) -> None:
    res = runner.invoke(main, ["findings", str(small_csv), *extra])
    assert res.exit_code == 2, res.output
    lines = _stderr_lines(res)
    assert len(lines) == 1 and lines[0].startswith("Error:"), res.stderr
    assert extra[0] in lines[0] and "Traceback" not in res.output


def test_missing_and_unreadable_files_are_one_line(runner: CliRunner, tmp_path: Path) -> None:
    for args in (["inspect", str(tmp_path / "nope.csv")], ["report", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "r.html")],
                 ["inspect", str(tmp_path)]):
        res = runner.invoke(main, args)
        assert res.exit_code == 2, res.output
        assert len(_stderr_lines(res)) == 1 and "Traceback" not in res.output, res.stderr


def test_year_one_timestamp(runner: CliRunner, tmp_path: Path) -> None:
    p = tmp_path / "y1.csv"
    p.write_text(
        "case;activity;time\n1;A;2024-03-04 08:00\n1;B;2024-03-05 09:00\n2;A;0001-01-01 08:00\n2;B;2024-03-06 08:00\n",
        encoding="utf-8",
    )
    res = runner.invoke(main, ["inspect", str(p)])
    assert "Traceback" not in res.output
    assert res.exit_code in (0, 2), res.output
    if res.exit_code == 2:
        assert len(_stderr_lines(res)) == 1
    else:
        read = int(re.search(r"rows read\s+([\d,]+)", res.stdout).group(1))
        kept = int(re.search(r"rows kept\s+([\d,]+)", res.stdout).group(1))
        dropped = sum(int(n.replace(",", "")) for n in re.findall(r"^dropped\s+([\d,]+)", res.stdout, re.M))
        assert read == 4 and read == kept + dropped


def test_internal_error_is_one_line_without_data(runner: CliRunner, small_csv: Path, monkeypatch) -> None:
    import procmine.io

    def broken(*args, **kwargs):
        raise RuntimeError("Hans Müller, AHV 756.1234.5678.97")

    monkeypatch.setattr(procmine.io, "read_log", broken)
    monkeypatch.delenv("PROCMINE_DEBUG", raising=False)
    res = runner.invoke(main, ["inspect", str(small_csv)])
    assert res.exit_code == 1
    lines = _stderr_lines(res)
    assert len(lines) == 1 and "internal error: RuntimeError" in lines[0] and "--debug" in lines[0]
    assert "Müller" not in res.output and "Traceback" not in res.output
    # the traceback on demand, with the option anywhere or from the environment
    res = runner.invoke(main, ["inspect", str(small_csv), "--debug"])
    assert res.exit_code == 1 and "Traceback" in res.stderr
    monkeypatch.setenv("PROCMINE_DEBUG", "1")
    res = runner.invoke(main, ["inspect", str(small_csv)])
    assert res.exit_code == 1 and "Traceback" in res.stderr


def test_a_readers_value_error_is_bad_input(runner: CliRunner, small_csv: Path, monkeypatch) -> None:
    import procmine.io

    def broken(*args, **kwargs):
        raise UnicodeDecodeError("utf-8", b"\xffGeheim", 0, 1, "invalid start byte")

    monkeypatch.setattr(procmine.io, "read_log", broken)
    res = runner.invoke(main, ["inspect", str(small_csv)])
    assert res.exit_code == 2
    lines = _stderr_lines(res)
    assert len(lines) == 1 and "small.csv" in lines[0] and "UnicodeDecodeError" in lines[0]
    assert "Geheim" not in res.output


def test_warnings_show_only_their_message(runner: CliRunner, small_csv: Path, monkeypatch) -> None:
    import warnings as _warnings

    import procmine.io
    from procmine.errors import ProcmineWarning

    real = procmine.io.read_log

    def warns(*args, **kwargs):
        _warnings.warn("Achtung\x1b[31m: something odd", ProcmineWarning, stacklevel=2)
        return real(*args, **kwargs)

    monkeypatch.setattr(procmine.io, "read_log", warns)
    res = runner.invoke(main, ["inspect", str(small_csv)])
    assert res.exit_code == 0, res.output
    assert "warning: Achtung\ufffd[31m: something odd" in res.stderr
    assert ".py:" not in res.stderr and "warnings.warn" not in res.stderr and "\x1b" not in res.stderr
    # the library's own warning display is untouched outside the command
    import warnings

    assert warnings.showwarning.__module__ == "warnings"


def test_format_option_is_passed_to_read_log(runner: CliRunner, tmp_path: Path) -> None:
    p = tmp_path / "export.dat"  # a suffix that says nothing
    p.write_text(SWISS_CSV, encoding="utf-8")
    res = runner.invoke(main, ["inspect", str(p), "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "Gesuch eingereicht" in res.stdout
    res = runner.invoke(main, ["inspect", str(p), "--format", "xes"])
    assert res.exit_code == 2 and len(_stderr_lines(res)) == 1 and "export.dat" in res.stderr


def _hostile_csv(tmp_path: Path) -> Path:
    rows = ["case;activity;time;resource;note"]
    acts = ["Gesuch\x01eingang", '=HYPERLINK("http://x","y")', "Prüfung", "Prüfung", " @SUM(A1)"]
    for c in range(40):
        for i, a in enumerate(acts):
            rows.append(f"K-{c:04d};{a};2024-03-{4 + i:02d} {8 + c % 5}:{c % 60:02d};R\x01{c % 3};n\x02{c % 4}")
    p = tmp_path / "hostile.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return p


def test_findings_files_hold_no_case_ids_unless_asked(runner: CliRunner, tmp_path: Path) -> None:
    import openpyxl

    log = _hostile_csv(tmp_path)
    csv_out, xlsx_out = tmp_path / "f.csv", tmp_path / "f.xlsx"
    res = runner.invoke(main, ["findings", str(log), "--csv", str(csv_out), "--xlsx", str(xlsx_out), "--quiet"])
    assert res.exit_code == 0, res.output
    text = csv_out.read_text(encoding="utf-8-sig")
    assert text.count("\n") >= 2 and "K-00" not in text and "example_cases" not in text
    wb = openpyxl.load_workbook(xlsx_out)  # control characters did not break the workbook
    cells = [c.value for row in wb.worksheets[0].iter_rows() for c in row]
    assert not any(isinstance(v, str) and "K-00" in v for v in cells)
    assert "example_cases" not in cells
    assert not any(isinstance(v, str) and v.lstrip()[:1] in ("=", "@") for v in cells)
    res = runner.invoke(main, ["findings", str(log), "--csv", str(csv_out), "--with-case-ids", "--quiet"])
    assert res.exit_code == 0, res.output
    text = csv_out.read_text(encoding="utf-8-sig")
    assert "example_cases" in text.splitlines()[0] and "K-00" in text


def test_report_command_with_control_characters(runner: CliRunner, tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "r.html"
    res = runner.invoke(main, ["report", str(_hostile_csv(tmp_path)), "-o", str(out), "--xlsx", "--quiet", "--min-cases", "5"])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out.with_suffix(".xlsx"))
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert any(isinstance(v, str) and "Gesuch\ufffdeingang" in v for v in cells)
    assert "K-00" not in out.read_text(encoding="utf-8")
