"""The cantonal portfolio: ranking, linked pages, TOML configuration, failing procedures."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

import procmine as pm
from procmine.report import portfolio
from procmine.report._portfolio import load_config
from tests.conftest import shared_log

from .test_report import external_references


@pytest.fixture(scope="module")
def samples_portfolio(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pf")
    logs = {
        "Baubewilligung": pm.samples.load("permit_de").sample(120, seed=3),
        "Subventions": pm.samples.load("subsidy_fr").sample(120, seed=3),
        "Kaputt": out / "missing.csv",
    }
    return portfolio(logs, out / "portfolio", language="fr")


def test_index_links_every_page_relatively(samples_portfolio):
    html = samples_portfolio.read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"#]+)"', html)
    assert sorted(links) == ["baubewilligung/report.html", "subventions/report.html"]
    for link in links:
        page = samples_portfolio.parent / link
        assert page.exists()
        assert "Synthèse" in page.read_text(encoding="utf-8")
    assert (samples_portfolio.parent / "portfolio.xlsx").exists()
    assert external_references(html) == []
    assert "<script" not in html.lower()


def test_ranking_is_sorted_by_saving(samples_portfolio):
    html = samples_portfolio.read_text(encoding="utf-8")
    assert "Classement par économie estimée" in html
    rows = re.findall(
        r'<td class="name"><a href="[^"]+">([^<]+)</a>.*?</td>.*?<td class="r">([\d\u202f’,.]+)</td>\s*<td class="r">[^<]*</td>\s*<td class="wide">',
        html,
        re.S,
    )
    assert len(rows) == 2
    import pandas as pd

    table = pd.read_excel(samples_portfolio.parent / "portfolio.xlsx")
    ok = table[table["error"].isna() | (table["error"] == "")]
    assert ok["lead_days"].is_monotonic_decreasing
    assert list(ok["name"]) == [name for name, _ in rows]


def test_a_failing_procedure_is_listed_not_fatal(samples_portfolio):
    html = samples_portfolio.read_text(encoding="utf-8")
    assert "Kaputt" in html
    assert "Procédures qui n'ont pas pu être analysées" in html.replace("&#39;", "'")
    # one procedure: the summary agrees in number ("1 n'ont pas pu être analysées" before)
    assert "1 procédure n'a pas pu être analysée" in html.replace("&#39;", "'")



def test_the_portfolio_s_working_days_name_their_calendar(samples_portfolio):
    """A figure states its unit: whose working days, of how many hours (as each report does)."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", samples_portfolio.read_text(encoding="utf-8")))
    text = text.replace("\u202f", " ").replace("&#39;", "'")
    assert "borne supérieure, les constats peuvent se recouper (calendrier CH, jour ouvrable de 8 h)" in text
    assert "Jours ouvrables : calendrier CH, jour ouvrable de 8 h." in text


def test_toml_configuration(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    log = pm.samples.load("permit_de").sample(150, seed=4)
    frame = log.df.rename(
        columns={"case:concept:name": "Dossier", "concept:name": "Tätigkeit", "time:timestamp": "Zeitpunkt"}
    )[["Dossier", "Tätigkeit", "Zeitpunkt", "Gemeinde"]]
    frame.to_csv(logs / "bau.csv", index=False, sep=";")
    cfg = tmp_path / "portfolio.toml"
    cfg.write_text(
        'language = "de"\nmin_cases = 5\ntitle = "Kantonales Portfolio"\n\n'
        '[[procedure]]\nname = "Baubewilligung"\ndirectorate = "BVD"\nlog = "logs/bau.csv"\n'
        'columns = { case = "Dossier", activity = "Tätigkeit", timestamp = "Zeitpunkt" }\n'
        'required = ["Publikation im Amtsblatt"]\nsep = ";"\n',
        encoding="utf-8",
    )
    procs, options = load_config(cfg)
    assert options == {"language": "de", "min_cases": 5, "title": "Kantonales Portfolio"}
    assert procs[0].read_options["case"] == "Dossier" and procs[0].required == ("Publikation im Amtsblatt",)
    index = portfolio(None, tmp_path / "out", config=cfg)
    html = index.read_text(encoding="utf-8")
    assert "Kantonales Portfolio" in html and "BVD" in html and "Nach Direktion" in html
    assert (tmp_path / "out" / "baubewilligung" / "report.html").exists()


def test_bad_configuration(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[[procedure]]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(pm.ParameterError, match="log"):
        load_config(cfg)
    cfg.write_text("not = [toml", encoding="utf-8")
    with pytest.raises(pm.ParameterError, match="TOML"):
        load_config(cfg)
    with pytest.raises(pm.ParameterError):
        portfolio([], tmp_path / "out")


@pytest.mark.shared_logs
def test_real_logs(tmp_path):
    paths = [shared_log("receipt_wabo.xes.gz"), shared_log("helpdesk.xes.gz")]
    index = portfolio(paths, tmp_path / "real", language="en")
    html = index.read_text(encoding="utf-8")
    assert "receipt_wabo/report.html" in html and "helpdesk/report.html" in html
    for p in ("receipt_wabo", "helpdesk"):
        page = (tmp_path / "real" / p / "report.html").read_text(encoding="utf-8")
        assert "Process map" in page


# -- hostile configurations and logs ----------------------------------------------------------

SECRET = "root:x:0:0:Hans Muster SECRET-LINE:/root:/bin/bash"


def _good_log(folder: Path, name: str = "bau.csv", control: bool = False) -> Path:
    """A small permit log; with ``control``: control characters in activity, resource and note."""
    log = pm.samples.load("permit_de").sample(60, seed=5)
    frame = log.df[["case:concept:name", "concept:name", "time:timestamp", "org:resource"]].copy()
    if control:
        frame["concept:name"] = frame["concept:name"].astype(str) + "\x01"
        frame["org:resource"] = "R\x0b" + frame["org:resource"].astype(str)
        frame["Bemerkung"] = "=HYPERLINK(\"http://x\")\x02"
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / name, index=False, sep=";")
    return folder / name


def _all_output_text(root: Path) -> str:
    parts = []
    for f in root.rglob("*"):
        if f.is_file():
            parts.append(f.read_bytes().decode("utf-8", "replace"))
            if f.suffix == ".xlsx":
                import openpyxl

                wb = openpyxl.load_workbook(f)
                parts += [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    return "\n".join(parts)


def _config(folder: Path, *entries: str, head: str = "") -> Path:
    cfg = folder / "portfolio.toml"
    body = "".join(f'\n[[procedure]]\nname = "{n}"\nlog = "{p}"\n' for n, p in (e.split("=", 1) for e in entries))
    cfg.write_text(head + body, encoding="utf-8")
    return cfg


@pytest.mark.parametrize("where", ["relative", "absolute", "symlink"])
def test_logs_outside_the_configuration_folder_are_refused(tmp_path, where):
    from click.testing import CliRunner

    from procmine.cli import main

    cfg_dir = tmp_path / "cfg"
    _good_log(cfg_dir)
    outside = tmp_path / "outside.csv"
    outside.write_text(SECRET + "\n", encoding="utf-8")
    ref = {"relative": "../outside.csv", "absolute": outside.as_posix(), "symlink": "link.csv"}[where]
    if where == "symlink":
        (cfg_dir / "link.csv").symlink_to(outside)
    cfg = _config(cfg_dir, "Bau=bau.csv", f"Draussen={ref}")
    with pytest.raises(pm.ParameterError, match=r"Draussen.*outside.*allow_outside"):
        load_config(cfg)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["portfolio", str(cfg), "-o", str(out), "--quiet"])
    assert res.exit_code == 2 and "Draussen" in res.stderr and "Traceback" not in res.output
    assert len([x for x in res.stderr.splitlines() if x.strip()]) == 1
    assert "SECRET" not in res.output
    assert not out.exists() or "SECRET" not in _all_output_text(out)


def test_allow_outside_accepts_them_but_never_quotes_the_file(tmp_path):
    from click.testing import CliRunner

    from procmine.cli import main

    cfg_dir = tmp_path / "cfg"
    _good_log(cfg_dir)
    _good_log(tmp_path, "nachbar.csv")
    outside = tmp_path / "outside.csv"
    outside.write_text(SECRET + "\n" + SECRET + "\n", encoding="utf-8")
    cfg = _config(cfg_dir, "Bau=bau.csv", "Nachbar=../nachbar.csv", "Draussen=../outside.csv",
                  head="allow_outside = true\nmin_cases = 5\n")
    procs, _ = load_config(cfg)
    assert [p.name for p in procs] == ["Bau", "Nachbar", "Draussen"]
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["portfolio", str(cfg), "-o", str(out), "--quiet", "--lang", "en"])
    # the unreadable one fails, the others are ranked; exit code 2 says something failed
    assert res.exit_code == 2, res.output
    assert "1 of 3 procedures" in res.stderr and "Draussen" in res.stderr
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "bau/report.html" in html and "nachbar/report.html" in html
    assert "Draussen" in html and "could not be read as an event log" in html
    assert "SECRET" not in _all_output_text(out)


def test_all_procedures_failing_exits_2(tmp_path):
    from click.testing import CliRunner

    from procmine.cli import main

    (tmp_path / "leer.csv").write_text("", encoding="utf-8")
    (tmp_path / "kaputt.csv").write_bytes(b"\x00\x01\x02 not a log \xff")
    cfg = _config(tmp_path, "Leer=leer.csv", "Fehlt=fehlt.csv", "Kaputt=kaputt.csv")
    res = CliRunner().invoke(main, ["portfolio", str(cfg), "-o", str(tmp_path / "out"), "--quiet"])
    assert res.exit_code == 2 and "3 of 3 procedures" in res.stderr, res.output
    assert "Traceback" not in res.output
    table = (tmp_path / "out" / "portfolio.csv").read_text(encoding="utf-8-sig")
    assert "Fehlt" in table and "nicht gefunden" in table and "not a log" not in table


def test_configuration_keys_are_checked(tmp_path):
    _good_log(tmp_path)
    cfg = tmp_path / "p.toml"
    cfg.write_text('[[procedure]]\nname = "Bau"\nlog = "bau.csv"\nseperator = ";"\n', encoding="utf-8")
    with pytest.raises(pm.ParameterError, match=r"'seperator' parameter of \[\[procedure\]\] number 1 \('Bau'\)"):
        load_config(cfg)
    cfg.write_text('min_cases = "zehn"\n[[procedure]]\nlog = "bau.csv"\n', encoding="utf-8")
    with pytest.raises(pm.ParameterError, match="min_cases"):
        load_config(cfg)
    cfg.write_text('allow_outside = "yes"\n[[procedure]]\nlog = "bau.csv"\n', encoding="utf-8")
    with pytest.raises(pm.ParameterError, match="allow_outside"):
        load_config(cfg)


def test_control_characters_through_report_and_portfolio(tmp_path):
    import openpyxl

    path = _good_log(tmp_path / "logs", control=True)
    log = pm.read_log(path)
    assert log.df["concept:name"].str.contains("\x01").all()  # the reader kept them
    with warnings.catch_warnings():
        warnings.simplefilter("error", pm.ProcmineWarning)  # every section, the map included
        page = pm.report(log, tmp_path / "r" / "report.html", xlsx=True, csv=True, min_cases=5)
    assert "could not be computed" not in page.read_text(encoding="utf-8")
    wb = openpyxl.load_workbook(page.with_suffix(".xlsx"))
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert any(isinstance(v, str) and "\ufffd" in v for v in cells)
    assert not any(isinstance(v, str) and v[:1] in "=+-@" and len(v) > 1 for v in cells)
    index = portfolio({"Bau": log, "Datei": path}, tmp_path / "pf", language="en", min_cases=5)
    assert "could not be" not in index.read_text(encoding="utf-8")
    openpyxl.load_workbook(tmp_path / "pf" / "portfolio.xlsx")
    for sub in ("bau", "datei"):
        openpyxl.load_workbook(tmp_path / "pf" / sub / "report.xlsx")


def test_docs_describe_every_key_and_their_example_loads(tmp_path):
    from procmine.report import _config

    doc = (Path(__file__).resolve().parents[2] / "docs" / "portfolio.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)?", doc, re.M))
    keys = {k for pair in documented for k in pair if k}
    assert set(_config._PROC_KEYS) - {"procedure"} <= keys
    assert set(_config._TOP_KEYS) - {"procedure"} <= keys
    for role in _config._ROLE_KEYS:
        assert f"`{role}`" in doc
    example = re.search(r"```toml\n(.*?)```", doc, re.S).group(1)
    cfg = tmp_path / "portfolio.toml"
    cfg.write_text(example, encoding="utf-8")
    procs, options = load_config(cfg)
    assert [p.name for p in procs] == ["Baubewilligung", "Subventions agricoles"]
    assert options == {"language": "de", "min_cases": 10, "title": "Kantonales Portfolio"}
    assert procs[0].read_options["sep"] == ";" and procs[0].read_options["org"] == "Gemeinde"


def test_portfolio_ranks_by_the_report_s_own_office_headline(tmp_path):
    """The ranking's figure is the report card's: office time only, each wait counted once."""
    import procmine as pm
    from procmine.report._portfolio import run_portfolio
    from procmine.report._savings import headline, lead_days_per_year

    log = pm.samples.load("permit_de")
    _, rows = run_portfolio([log], tmp_path / "p", language="de")
    found = [f for f in pm.find_redundancies(log) if f.cases >= 10]
    office = headline(found, pm.performance(log), pm.Calendar().day_hours).office_days_per_year
    assert rows[0]["lead_days"] == pytest.approx(office, rel=1e-6)
    # overlapping findings are not summed twice
    assert rows[0]["lead_days"] < lead_days_per_year(found, log, pm.Calendar().day_hours)


def test_savings_are_shown_as_the_reports_show_them(samples_portfolio):
    """Two significant digits and no false decimals ("1 800", not "1 800,0"), as each
    procedure's report shows its headline; the portfolio's table keeps the exact figures."""
    import pandas as pd

    from procmine.i18n import format_integer, format_number
    from procmine.report._savings import shown_figure

    html = samples_portfolio.read_text(encoding="utf-8")
    table = pd.read_excel(samples_portfolio.parent / "portfolio.xlsx")
    ok = table[table["error"].isna() | (table["error"] == "")]
    for lead in ok["lead_days"]:
        f = shown_figure(lead)
        shown = format_integer(f, "fr") if isinstance(f, int) else format_number(f, "fr", digits=1)
        assert f'<td class="r">{shown}</td>' in html, shown
    total = shown_figure(ok["lead_days"].sum())
    assert (format_integer(total, "fr") if isinstance(total, int) else format_number(total, "fr", digits=1)) in html
