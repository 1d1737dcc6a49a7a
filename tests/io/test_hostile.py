"""Hostile and broken input: refused with the limit or line named, or read and counted.

Every file is made here in ``tmp_path``; bombs are built from one compressed block
repeated (gzip members concatenate), so a 1 GB bomb costs a few megabytes to write.
"""

from __future__ import annotations

import gzip
import io
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import procmine as pm
from procmine.errors import LogError
from procmine.io import LIMITS
from procmine.io._xes_lxml import read_long_lxml
from procmine.log import ACTIVITY, CASE

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n'


def trace(i: int, extra: str = "") -> str:
    return (
        f'<trace><string key="concept:name" value="c{i}"/>'
        f'<event><string key="concept:name" value="A"/><date key="time:timestamp" value="2024-01-01T00:00:{i % 60:02d}Z"/>{extra}</event>'
        f'<event><string key="concept:name" value="B"/><date key="time:timestamp" value="2024-01-02T00:00:{i % 60:02d}Z"/></event>'
        "</trace>\n"
    )


def read(path: Path, **kw) -> pm.EventLog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pm.read_log(path, **kw)


def refused(path: Path, *needles: str, reader=pm.read_log) -> LogError:
    with pytest.raises(LogError) as info:
        reader(path)
    msg = str(info.value)
    assert str(path) in msg
    for n in needles:
        assert n in msg, msg
    return info.value


# -- CSV: a stray quote ----------------------------------------------------------------------------


def stray_quote_csv(path: Path, *, stray_row: int = 4, later_quote: bool = True, encoding="utf-8") -> int:
    """2,000 lines, 1,000 cases; one value opens a quote that never closes on its line.
    Returns the physical line of the stray quote."""
    lines = ["Fall;Aktivität;Zeit"]
    for i in range(1000):
        lines.append(f"c{i};Eingang;2024-01-01 10:00")
        lines.append(f"c{i};Prüfung;2024-01-02 10:00")
    lines[stray_row] = lines[stray_row].replace(";Prüfung", ';"Prüfung').replace(";Eingang", ';"Eingang')
    if later_quote:  # a legitimately quoted value further down closes the stray quote
        lines[1501] = 'c750;"Eingang; Post";2024-01-01 10:00'
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return stray_row + 1


@pytest.mark.parametrize("later_quote", [True, False], ids=["closed-later", "open-to-eof"])
def test_stray_quote_does_not_swallow_the_file(tmp_path, later_quote):
    p = tmp_path / "stray.csv"
    line = stray_quote_csv(p, later_quote=later_quote)
    log = read(p)
    r = log.report
    assert r.rows_read == 2000 and r.rows_read == r.rows_kept + r.rows_dropped
    assert log.n_cases == 1000
    assert r.formats["unbalanced_quote_lines"] == [line]
    assert any(w.startswith(f"line {line}:") and "quote" in w for w in r.warnings)
    # the stray line itself is kept, its quote read as text
    assert log.df.loc[log.df[CASE] == "c1", ACTIVITY].tolist() == ["Eingang", '"Prüfung']
    assert "Eingang; Post" in set(log.df[ACTIVITY]) or not later_quote


def test_stray_quote_strict_names_the_line(tmp_path):
    p = tmp_path / "stray.csv"
    line = stray_quote_csv(p, stray_row=701)
    err = refused(p, "double quote", "strict=False", reader=lambda q: pm.read_log(q, strict=True))
    assert err.line == line == 702


def test_stray_quote_in_cp1252_gzip(tmp_path):
    plain = tmp_path / "stray.csv"
    line = stray_quote_csv(plain, encoding="cp1252")
    p = tmp_path / "stray.csv.gz"
    p.write_bytes(gzip.compress(plain.read_bytes()))
    log = read(p)
    assert log.report.formats["encoding"] == "cp1252"
    assert log.report.formats["unbalanced_quote_lines"] == [line]
    assert log.n_cases == 1000 and log.report.rows_read == 2000
    assert "Prüfung" in set(log.df[ACTIVITY])


def test_two_stray_quotes(tmp_path):
    p = tmp_path / "stray.csv"
    stray_quote_csv(p)
    lines = p.read_text(encoding="utf-8").splitlines()
    lines[1200] = lines[1200].replace(";Eingang", ';"Eingang').replace(";Prüfung", ';"Prüfung')
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log = read(p)
    assert log.report.formats["unbalanced_quote_lines"] == [5, 1201]
    assert log.n_cases == 1000 and log.report.rows_kept == 2000


def test_multiline_remarks_are_not_stray_quotes(tmp_path):
    p = tmp_path / "remarks.csv"
    p.write_text(
        "case,activity,time,remark\n"
        '1,A,2024-01-01,"first, line\nsecond, line"\n'
        "1,B,2024-01-02,plain\n"
        '2,A,2024-01-01,"a\nb,c,d,e\nf"\n'  # an inner line with as many commas as a row
        '2,B,2024-01-02,"Rückfrage\r\nbeantwortet"\n',
        encoding="utf-8",
    )
    log = read(p)
    assert log.report.rows_read == log.report.rows_kept == 4
    assert "unbalanced_quote_lines" not in log.report.formats
    assert sorted(log.df["remark"]) == sorted(
        ["first, line\nsecond, line", "plain", "a\nb,c,d,e\nf", "Rückfrage\r\nbeantwortet"]
    )


# -- CSV: mixed encodings -----------------------------------------------------------------------


def test_bom_file_with_one_cp1252_row(tmp_path):
    p = tmp_path / "mixed.csv"
    rows = ["Fall;Aktivität;Zeit"] + [f"{i};Prüfung Größe;2024-01-{i % 28 + 1:02d} 10:00" for i in range(50)]
    odd = "51;Entscheid gefällt – Gebühr;2024-02-01 10:00\n".encode("cp1252")
    p.write_bytes(b"\xef\xbb\xbf" + "\n".join(rows[:30]).encode() + b"\n" + odd + "\n".join(rows[30:]).encode() + b"\n")
    log = read(p)
    r = log.report
    assert set(log.df[ACTIVITY]) == {"Prüfung Größe", "Entscheid gefällt – Gebühr"}
    assert r.formats["encoding"] == "utf-8-sig"
    assert r.formats["lines_decoded_as_cp1252"] == 1
    assert any("first at line 31" in w and "cp1252" in w for w in r.warnings)
    assert r.rows_read == r.rows_kept == 51
    assert r.roles["activity"] == "Aktivität"


def test_pure_cp1252_is_still_cp1252(tmp_path):
    p = tmp_path / "win.csv"
    p.write_bytes("Fall;Aktivität;Zeit\n1;Prüfung;2024-01-01 10:00\n".encode("cp1252"))
    log = read(p)
    assert log.report.formats["encoding"] == "cp1252"
    assert "lines_decoded_as_cp1252" not in log.report.formats
    assert log.df[ACTIVITY].tolist() == ["Prüfung"]


# -- XES: elements at the wrong depth -------------------------------------------------------------

ORPHAN = '<event><string key="concept:name" value="X"/><date key="time:timestamp" value="2024-01-05T00:00:00Z"/></event>\n'


def xes(tmp_path: Path, body: str, *, lxml: bool = False, name: str = "bad.xes") -> Path:
    # a CDATA section sends the file to the lxml reader
    extra = '<string key="note" value="x"/>' if not lxml else ""
    text = HEAD + (trace(0, extra) if not lxml else trace(0).replace("</trace>", "<![CDATA[x]]></trace>", 1))
    p = tmp_path / name
    p.write_text(text + body + "</log>\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("lxml", [False, True], ids=["numpy", "lxml"])
@pytest.mark.parametrize(
    "body, what, line",
    [
        (trace(1) + ORPHAN + trace(2), "outside any <trace>", 5),
        (trace(1).replace("</trace>", trace(9) + "</trace>"), "<trace> inside", 4),
        (trace(1).replace("</event>", ORPHAN + "</event>", 1), "outside any <trace>", 4),
        (trace(1) + '<string key="concept:name" value="Z"/>\n' + trace(2), "directly in <log>", 5),
    ],
    ids=["event-in-log", "trace-in-trace", "event-in-event", "log-attribute-after-traces"],
)
def test_misplaced_elements_refused_by_both_readers(tmp_path, body, what, line, lxml):
    p = xes(tmp_path, body, lxml=lxml)
    assert refused(p, what).line == line
    assert refused(p, what, reader=read_long_lxml).line == line


def test_orphan_event_error_names_its_line(tmp_path):
    p = xes(tmp_path, trace(1) + trace(2) + ORPHAN + trace(3))
    assert refused(p, "outside any <trace>").line == 6
    assert refused(p, "outside any <trace>", reader=read_long_lxml).line == 6


def test_log_attributes_before_the_traces_are_fine(tmp_path):
    p = tmp_path / "ok.xes"
    p.write_text(HEAD + '<string key="concept:name" value="my log"/>\n' + trace(0) + trace(1) + "</log>\n")
    assert read(p).n_events == 4
    assert read_long_lxml(p).n_events == 4


# -- decompression bombs --------------------------------------------------------------------------


def bomb(path: Path, head: bytes, block: bytes, copies: int) -> Path:
    """head + block * copies, each a gzip member: writes a few MB for copies * len(block)."""
    member = gzip.compress(block, compresslevel=9)
    with open(path, "wb") as f:
        f.write(gzip.compress(head))
        for _ in range(copies):
            f.write(member)
    return path


def test_xes_gzip_bomb_refused_while_streaming(tmp_path):
    # ~1 MB inflating to 1 GB: refused once 100 MB came out (the ratio limit)
    p = bomb(tmp_path / "bomb.xes.gz", (HEAD + trace(0) + "<trace>").encode(), b" " * (16 << 20), 64)
    assert p.stat().st_size < 2 << 20
    refused(p, "inflates more than 200 times", "procmine.io.LIMITS.max_inflation_ratio")
    refused(p, "max_inflation_ratio", reader=read_long_lxml)


def test_xes_gzip_bomb_of_real_traces(tmp_path):
    block = "".join(trace(i) for i in range(2000)).encode()
    p = bomb(tmp_path / "traces.xes.gz", HEAD.encode(), block, 400)
    with LIMITS.override(ratio_floor_bytes=4 << 20, max_inflation_ratio=20):
        refused(p, "max_inflation_ratio")


def test_csv_gzip_bomb_refused_while_streaming(tmp_path):
    row = b"c1;Eingang;2024-01-01 10:00\n"
    p = bomb(tmp_path / "bomb.csv.gz", b"Fall;Aktivitaet;Zeit\n", row * ((16 << 20) // len(row)), 64)
    refused(p, "max_inflation_ratio")


def test_absolute_inflation_cap(tmp_path):
    p = tmp_path / "log.csv.gz"
    p.write_bytes(gzip.compress(("case;activity;time\n" + "1;A;2024-01-01 10:00\n" * 100_000).encode(), 1))
    assert read(p).n_events == 100_000
    with LIMITS.override(max_inflated_bytes=1 << 20):
        refused(p, "more than 1.0 MB", "procmine.io.LIMITS.max_inflated_bytes")


def test_shared_gzip_logs_are_far_below_the_ratio():
    from tests.conftest import shared_log

    p = shared_log("road_traffic_fines.xes.gz")  # the most compressible shared log (~62x)
    with LIMITS.override(ratio_floor_bytes=0, max_inflation_ratio=100):
        from procmine.io._limits import inflated_blocks

        assert sum(len(b) for b in inflated_blocks(p)) > 150 << 20


def workbook(path: Path) -> Path:
    pd.DataFrame({"Fall": ["1", "1"], "Aktivität": ["A", "B"], "Zeit": ["2024-01-01", "2024-01-02"]}).to_excel(
        path, index=False
    )
    return path


def test_xlsx_zip_bomb_refused_from_the_directory(tmp_path, monkeypatch):
    good = workbook(tmp_path / "good.xlsx")
    p = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        with dst.open("xl/media/padding.xml", "w", force_zip64=True) as f:
            for _ in range(120):
                f.write(b" " * (1 << 20))
    assert p.stat().st_size < 1 << 20

    def never(*a, **k):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(pd, "read_excel", never)
    refused(p, "padding.xml", "max_inflation_ratio")
    with LIMITS.override(max_inflated_bytes=10 << 20):
        refused(p, "max_inflated_bytes")


def test_normal_workbook_passes_the_checks(tmp_path):
    assert read(workbook(tmp_path / "ok.xlsx")).n_events == 2


# -- wide input -------------------------------------------------------------------------------------


def test_xes_with_100000_keys_refused_quickly(tmp_path):
    attrs = "".join(f'<string key="k{i}" value="v"/>' for i in range(100_000))
    p = tmp_path / "keys.xes"
    p.write_text(HEAD + trace(0, attrs) + "</log>\n")
    refused(p, "distinct attribute keys", "procmine.io.LIMITS.max_attribute_keys")
    # the lxml reader too (CDATA sends the file there)
    q = tmp_path / "keys_lxml.xes"
    q.write_text(HEAD + trace(0, attrs).replace("</trace>", "<![CDATA[x]]></trace>") + "</log>\n")
    refused(q, "max_attribute_keys")


def test_key_limit_counts_across_chunks(tmp_path, monkeypatch):
    from procmine.io import _xes_source
    from procmine.io import xes as xes_mod

    monkeypatch.setattr(xes_mod, "iter_chunks", lambda p: _xes_source.iter_chunks(p, 2000))
    body = "".join(trace(i, f'<string key="k{i}" value="v"/>') for i in range(60))
    p = tmp_path / "keys.xes"
    p.write_text(HEAD + body + "</log>\n")
    assert read(p).df.shape[1] >= 60
    with LIMITS.override(max_attribute_keys=40):
        refused(p, "more than 40 distinct attribute keys")


def test_many_keys_below_the_limit_are_read(tmp_path):
    attrs = "".join(f'<int key="k{i}" value="{i}"/>' for i in range(3000))
    p = tmp_path / "wide.xes"
    p.write_text(HEAD + trace(0, attrs) + trace(1) + "</log>\n")
    log = read(p)
    assert log.n_events == 4 and log.df["k2999"].dropna().tolist() == [2999]


def test_csv_and_sheet_column_limit(tmp_path):
    p = tmp_path / "wide.csv"
    p.write_text("case;activity;time;" + ";".join(f"x{i}" for i in range(20)) + "\n1;A;2024-01-01" + ";" * 20 + "\n")
    with LIMITS.override(max_columns=10):
        err = refused(p, "23 columns", "procmine.io.LIMITS.max_columns")
        assert err.line == 1
    with LIMITS.override(max_columns=2):
        refused(workbook(tmp_path / "w.xlsx"), "3 columns", "max_columns")


def test_limits_override_restores_and_checks_names():
    before = LIMITS.max_columns
    with LIMITS.override(max_columns=5):
        assert LIMITS.max_columns == 5
    assert LIMITS.max_columns == before
    with pytest.raises(TypeError, match="max_colums"), LIMITS.override(max_colums=5):
        pass


def test_bounded_stream_reads_like_gzip(tmp_path):
    from procmine.io._limits import open_inflated

    data = b"".join(b"line %d\n" % i for i in range(200_000))
    p = tmp_path / "x.gz"
    p.write_bytes(gzip.compress(data[:500_000]) + gzip.compress(data[500_000:]))
    with open_inflated(p) as f:
        assert f.read() == data
    with open_inflated(p) as f:
        assert io.BufferedReader(f).readline() == b"line 0\n"


def test_gzip_member_ending_at_a_block_boundary(tmp_path):
    # a member inflating to a multiple of the 4 MB read block used to loop for ever
    from procmine.io._limits import inflated_blocks

    block = b" " * (4 << 20)
    p = tmp_path / "members.gz"
    p.write_bytes(gzip.compress(b"head") + gzip.compress(block) * 2 + gzip.compress(b"tail"))
    with LIMITS.override(ratio_floor_bytes=1 << 40):
        assert b"".join(inflated_blocks(p)) == b"head" + block * 2 + b"tail"


def test_truncated_after_a_whole_trace_is_refused_without_a_second_read(tmp_path, monkeypatch):
    from procmine.io import _xes_lxml

    def never(*a, **k):
        raise AssertionError("read again with lxml")

    monkeypatch.setattr(_xes_lxml, "read_long_lxml", never)
    p = tmp_path / "cut.xes.gz"
    p.write_bytes(gzip.compress((HEAD + trace(0) + trace(1)).encode()))
    assert refused(p, "truncated").line == 5


def test_stray_quote_after_many_multiline_remarks(tmp_path):
    lines = ["Fall;Bemerkung;Aktivität;Zeit"]
    for i in range(300):
        remark = f'"Zeile eins\nZeile zwei {i}\nZeile drei"' if i < 10 else "-"
        lines.append(f"c{i};{remark};Eingang;2024-01-01 10:00")
        quote = '"' if i == 200 else ""
        lines.append(f"c{i};-;{quote}Prüfung;2024-01-02 10:00")
    p = tmp_path / "remarks.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log = read(p, case="Fall", activity="Aktivität", timestamp="Zeit")
    assert log.n_cases == 300 and log.report.rows_kept == 600
    # header, 10 cases with a three-line remark, 190 plain cases, then c200's two lines
    assert log.report.formats["unbalanced_quote_lines"] == [1 + 10 * 4 + 190 * 2 + 2]
    assert log.df["Bemerkung"].str.count("\n").max() == 2


def test_gzip_content_without_gz_suffix(tmp_path):
    p = tmp_path / "export.csv"
    p.write_bytes(gzip.compress("Fall;Aktivität;Zeit\n1;Prüfung;2024-01-01 10:00\n".encode()))
    log = read(p)
    assert log.df[ACTIVITY].tolist() == ["Prüfung"]


def test_lxml_stream_is_bounded_too(tmp_path):
    from procmine.io._xes_source import open_xml

    p = bomb(tmp_path / "bomb.xes.gz", HEAD.encode(), b" " * (16 << 20), 16)
    with (
        LIMITS.override(ratio_floor_bytes=8 << 20),
        pytest.raises(LogError, match="max_inflation_ratio"),
        open_xml(p) as f,
    ):
        while f.read(1 << 20):
            pass


def test_cp1252_bytes_that_happen_to_be_utf8_stay_cp1252(tmp_path):
    # "Ä€" in cp1252 is C4 80, valid UTF-8 for "Ā"; the rest of the file is plain cp1252
    p = tmp_path / "win.csv"
    p.write_bytes("Dossier;Tätigkeit;Zeit\nÄ€;Prüfung;2024-01-01 10:00\n".encode("cp1252"))
    log = read(p)
    assert log.report.formats["encoding"] == "cp1252"
    assert log.df[CASE].tolist() == ["Ä€"]


def test_utf8_without_bom_with_one_cp1252_row(tmp_path):
    p = tmp_path / "mixed.csv"
    rows = "Fall;Aktivität;Zeit\n" + "".join(f"{i};Prüfung – Größe;2024-01-02 10:00\n" for i in range(20))
    p.write_bytes(rows.encode() + "99;Gebühr bezahlt;2024-01-03 10:00\n".encode("cp1252"))
    log = read(p)
    assert set(log.df[ACTIVITY]) == {"Prüfung – Größe", "Gebühr bezahlt"}
    assert log.report.formats["encoding"] == "utf-8"
    assert log.report.formats["lines_decoded_as_cp1252"] == 1
