"""Hostile or broken XES files: each gives a LogError naming the file, quickly, leaking nothing."""

from __future__ import annotations

import gzip
import traceback
from pathlib import Path

import pytest

import procmine as pm
from procmine.errors import LogError
from procmine.io._xes_lxml import read_long_lxml

SECRET = "procmine-secret-7f3a9c"

VALID = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n'
    + "".join(
        f'<trace><string key="concept:name" value="c{i}"/>'
        f'<event><string key="concept:name" value="A"/><date key="time:timestamp" value="2024-01-01T00:00:{i % 60:02d}Z"/></event>'
        f'<event><string key="concept:name" value="B"/><date key="time:timestamp" value="2024-01-02T00:00:{i % 60:02d}Z"/></event>'
        "</trace>\n"
        for i in range(400)
    )
    + "</log>\n"
)


def secret_file(tmp_path: Path) -> Path:
    p = tmp_path / "secret.txt"
    p.write_text(SECRET)
    return p


def assert_refused(path: Path, match: str | None = None, reader=pm.read_log) -> LogError:
    with pytest.raises(LogError) as info:
        reader(path)
    err = info.value
    assert str(path) in str(err)
    if match:
        assert match in str(err).lower()
    text = "".join(traceback.format_exception(err))
    assert SECRET not in text
    for frame, _ in traceback.walk_tb(info.tb):
        assert not any(SECRET in repr(v) for v in frame.f_locals.values() if isinstance(v, (str, bytes)))
    return err


def write(tmp_path: Path, text: str, name: str = "evil.xes") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_external_entity_to_local_file(tmp_path):
    secret = secret_file(tmp_path)
    text = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE log [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<log><trace><string key="concept:name" value="&xxe;"/>'
        '<event><string key="concept:name" value="&xxe;"/>'
        '<date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event></trace></log>\n'
    )
    err = assert_refused(write(tmp_path, text), "doctype")
    assert err.line == 2


def test_external_entity_in_lxml_path_too(tmp_path):
    secret = secret_file(tmp_path)
    text = (
        '<?xml version="1.0"?>\n<log><trace><![CDATA[x]]></trace>\n'
        f'<!DOCTYPE log [<!ENTITY xxe SYSTEM "file://{secret}">]>\n</log>\n'
    )
    path = write(tmp_path, text)
    assert_refused(path, "doctype")  # CDATA sends it to lxml, which refuses as well
    assert_refused(path, "doctype", reader=read_long_lxml)


def test_billion_laughs(tmp_path):
    ents = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)
    )
    text = (
        f'<?xml version="1.0"?>\n<!DOCTYPE log [{ents}]>\n'
        '<log><trace><string key="concept:name" value="&lol9;"/></trace></log>\n'
    )
    assert_refused(write(tmp_path, text), "doctype")


def test_doctype_alone(tmp_path):
    text = VALID.replace("<log ", '<!DOCTYPE log SYSTEM "http://example.invalid/x.dtd">\n<log ', 1)
    assert_refused(write(tmp_path, text), "doctype")


def test_truncated_gzip(tmp_path):
    data = gzip.compress(VALID.encode("utf-8"))
    path = tmp_path / "cut.xes.gz"
    path.write_bytes(data[: len(data) // 2])
    assert_refused(path, "truncated")


def test_corrupt_gzip_crc(tmp_path):
    data = bytearray(gzip.compress(VALID.encode("utf-8")))
    data[-6] ^= 0xFF  # CRC of the member
    path = tmp_path / "crc.xes.gz"
    path.write_bytes(bytes(data))
    assert_refused(path, "corrupt")


def test_truncated_xml_is_not_a_partial_log(tmp_path):
    text = VALID[: len(VALID) * 2 // 3]
    assert_refused(write(tmp_path, text))


def test_not_xml(tmp_path):
    assert_refused(write(tmp_path, "case;activity;time\n1;A;2024-01-01\n", "table.xes"), "not an xml")


def test_binary_garbage(tmp_path):
    path = tmp_path / "noise.xes.gz"
    path.write_bytes(gzip.compress(bytes(range(256)) * 50))
    assert_refused(path)


def test_unbalanced_tags(tmp_path):
    text = VALID.replace("</event></trace>", "</trace></event>", 1)
    err = assert_refused(write(tmp_path, text))
    assert err.line is not None


def test_missing_log_end(tmp_path):
    assert_refused(write(tmp_path, VALID.replace("</log>", "")))


def test_unknown_entity(tmp_path):
    text = VALID.replace('value="A"', 'value="&foo;"', 1)
    err = assert_refused(write(tmp_path, text), "entity")
    assert err.line == 3


def test_attribute_value_with_lt(tmp_path):
    text = VALID.replace('value="A"', 'value="a<b"', 1)
    assert_refused(write(tmp_path, text))


def test_empty_file(tmp_path):
    assert_refused(write(tmp_path, ""))


def test_invalid_utf8(tmp_path):
    path = tmp_path / "latin.xes"
    path.write_bytes(VALID.replace('value="A"', 'value="Pr\xfcfung"', 1).encode("latin-1"))
    assert_refused(path, "encoding")
