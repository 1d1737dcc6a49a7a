"""XES exports found by a probe: UTF-16 (and UTF-32) files, transcoded to UTF-8 as they stream."""

from __future__ import annotations

import codecs
import gzip
import warnings

import pandas as pd
import pytest

import procmine as pm
from procmine.errors import DataQualityWarning, LogError
from procmine.io._xes_lxml import read_long_lxml


def xes(encoding: str, extra: str = "", traces: int = 300) -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<log xes.version="1.0">\n'
        + "".join(
            f'<trace><string key="concept:name" value="c{i}"/>{extra if i == 3 else ""}'
            f'<event><string key="concept:name" value="Prüfung €"/>'
            f'<string key="org:resource" value="Zürcher"/>'
            f'<date key="time:timestamp" value="2024-01-01T08:{i % 60:02d}:00+01:00"/></event>'
            f'<event><string key="concept:name" value="Entscheid"/>'
            f'<date key="time:timestamp" value="2024-01-02T09:{i % 60:02d}:00+01:00"/></event>'
            "</trace>\n"
            for i in range(traces)
        )
        + "</log>\n"
    )


def read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = pm.read_log(path)
    log.report.check()
    return log


def write(tmp_path, data: bytes, name="log.xes"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    ("declared", "codec", "mark", "found"),
    [
        ("UTF-16", "utf-16", b"", "utf-16-le"),  # Python writes the mark and little-endian, as Windows does
        ("UTF-16", "utf-16-be", codecs.BOM_UTF16_BE, "utf-16-be"),
        ("UTF-16", "utf-16-le", b"", "utf-16-le"),  # no mark: told by "<?" (XML 1.0 appendix F)
        ("UTF-32", "utf-32", b"", "utf-32-le"),
    ],
)
@pytest.mark.parametrize("gz", [False, True])
def test_utf16_xes_reads_as_its_utf8_twin(tmp_path, declared, codec, mark, found, gz):
    twin = read(write(tmp_path, xes("UTF-8").encode("utf-8"), "twin.xes"))
    data = mark + xes(declared).encode(codec)
    log = read(write(tmp_path, gzip.compress(data) if gz else data, "log.xes.gz" if gz else "log.xes"))
    assert log.report.formats["encoding"] == found
    assert log.report.formats["xes_reader"] == "numpy"
    pd.testing.assert_frame_equal(log.df, twin.df)
    assert log.df["concept:name"].iloc[0] == "Prüfung €"


def test_utf16_xes_through_lxml(tmp_path):
    """A nested <list> sends the file to lxml, which reads the same UTF-8 stream."""
    nested = '<list key="tags"><values><string key="t" value="x"/></values></list>'
    twin = read(write(tmp_path, xes("UTF-8", nested).encode("utf-8"), "twin.xes"))
    log = read(write(tmp_path, xes("UTF-16", nested).encode("utf-16")))
    assert log.report.formats["xes_reader"] == "lxml (element <list>)"
    pd.testing.assert_frame_equal(log.df, twin.df)
    assert read_long_lxml(tmp_path / "log.xes").n_events == 600


def test_utf16_xes_doctype_is_refused(tmp_path):
    """The DOCTYPE check sees the transcoded text: UTF-16 hides no declaration."""
    text = xes("UTF-16").replace(
        "<log ", '<!DOCTYPE log [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<log ', 1
    )
    path = write(tmp_path, text.replace('value="c3"', 'value="&x;"').encode("utf-16"))
    with pytest.raises(LogError, match=r"DOCTYPE") as err:
        read(path)
    assert err.value.line == 2
    with pytest.raises(LogError, match=r"DOCTYPE"):
        read_long_lxml(path)


def test_invalid_utf16_names_the_encoding_and_line(tmp_path):
    data = xes("UTF-16").encode("utf-16-le")
    bad = data.replace('value="c9"'.encode("utf-16-le"), 'value="'.encode("utf-16-le") + b"\x00\xd8A\x00", 1)
    path = write(tmp_path, codecs.BOM_UTF16_LE + bad)
    with pytest.raises(LogError, match=r"not UTF-16 .*save or export it again, preferably as UTF-8") as err:
        read(path)
    assert err.value.line == 12 and str(path) in str(err.value)


def test_utf16_without_any_mark_names_the_encoding(tmp_path):
    """No byte-order mark and no "<?" first: the bytes cannot tell, the error says what to do."""
    path = write(tmp_path, ("\n" + xes("UTF-16")).encode("utf-16-le"))
    with pytest.raises(LogError, match=r"UTF-16 text without a byte-order mark does: save it as UTF-8"):
        read(path)


def test_utf16_xes_error_lines_count_in_the_text(tmp_path):
    cut = '</event></trace>\n<trace><string key="concept:name" value="c7"/>'
    text = xes("UTF-16").replace(cut, cut.replace("</event>", "", 1))  # trace c6, line 9
    with pytest.raises(LogError, match=r"not a well-formed") as err:
        read(write(tmp_path, text.encode("utf-16")))
    assert err.value.line == 9


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(codecs.BOM_UTF8 + xes("UTF-8").encode("utf-8"), id="utf-8-bom"),
        pytest.param(xes("ISO-8859-1").replace("€", "EUR").encode("latin-1"), id="iso-8859-1"),
    ],
)
def test_utf8_bom_and_latin1_still_read(tmp_path, data):
    log = read(write(tmp_path, data))
    assert log.n_events == 600 and "encoding" not in log.report.formats
    assert log.df["org:resource"].iloc[0] == "Zürcher"
