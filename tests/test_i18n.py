"""Translations and Swiss formats (procmine.i18n)."""

from __future__ import annotations

import ast
import logging
import re
import string
from pathlib import Path

import pandas as pd
import pytest

from procmine import i18n
from procmine.i18n import (
    LANGUAGES,
    catalog,
    format_date,
    format_datetime,
    format_duration,
    format_integer,
    format_number,
    format_percent,
    gettext,
    tr,
)

SRC = Path(i18n.__file__).resolve().parent
_TEMPLATE_CALL = re.compile(r"""\b_\(\s*(["'])((?:(?!\1).)*)\1""", re.S)


def used_msgids(root: Path = SRC) -> dict[str, str]:
    """Every literal msgid passed to tr()/gettext()/note() in the package (a reader's note is
    translated where a report shows it), and templates' _("...")."""
    found: dict[str, str] = {}
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            arg = node.args[0]
            if (
                name in ("tr", "gettext", "_tr", "_", "note")
                and isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
            ):
                found.setdefault(arg.value, f"{path.relative_to(root)}:{node.lineno}")
    for path in root.rglob("*.j2"):
        for m in _TEMPLATE_CALL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(m.group(2), f"{path.relative_to(root)}")
    return found


def test_the_scanner_finds_messages(tmp_path):
    (tmp_path / "m.py").write_text(
        "from procmine.i18n import tr\n"
        'x = tr("Remove {a}: "\n       "it repeats", a=1)\n'
        'y = i18n.gettext("Summary", "de")\n',
        encoding="utf-8",
    )
    (tmp_path / "t.html.j2").write_text("<h2>{{ _('Process map') }}</h2>", encoding="utf-8")
    assert set(used_msgids(tmp_path)) == {"Remove {a}: it repeats", "Summary", "Process map"}


@pytest.mark.parametrize("language", ["de", "fr"])
def test_every_used_msgid_is_translated(language):
    cat = catalog(language)
    missing = {m: where for m, where in used_msgids().items() if m not in cat}
    assert not missing, f"{len(missing)} msgid(s) without a {language} translation: {missing}"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("language", ["de", "fr"])
def test_translations_keep_the_placeholders(language):
    bad = {m: t for m, t in catalog(language).items() if _fields(m) != _fields(t)}
    assert not bad


def test_swiss_german_has_no_sharp_s():
    assert not [t for t in catalog("de").values() if "ß" in t]


def test_tr_returns_every_language_and_formats_numbers_per_locale():
    out = tr("{n} cases", n=1234)
    assert set(out) == set(LANGUAGES)
    assert out["de"] == "1’234 Fälle"
    assert out["fr"] == "1\u202f234 dossiers"
    assert out["en"] == "1’234 cases"


def test_tr_format_specs():
    out = tr("{share:.0%} of cases", share=0.4251)
    assert out["en"].startswith("43%")
    out = tr("{x:.2f}", x=3.14159)
    assert out == {"de": "3.14", "fr": "3,14", "en": "3.14"}


def test_missing_translation_falls_back_to_english_and_logs_once(caplog):
    msg = "A message nobody translated 8c1f"
    with caplog.at_level(logging.INFO, logger="procmine"):
        assert gettext(msg, "de") == msg
        assert gettext(msg, "de") == msg
    assert sum(msg in r.getMessage() for r in caplog.records) == 1


def test_numbers():
    assert format_number(1234.5, "de") == "1’234.5"
    assert format_number(1234.5, "fr") == "1\u202f234,5"
    assert format_number(-1234.5, "en") == "-1’234.5"
    assert format_integer(1234567, "de") == "1’234’567"
    assert format_percent(0.5, "de", digits=0) == "50%"
    assert format_number(float("nan"), "de") == "–"


def test_durations():
    td = pd.Timedelta(days=3, hours=12)
    assert format_duration(td, "de") == "3.5 Tage"
    assert format_duration(td, "fr") == "3,5 jours"
    assert format_duration(td, "en") == "3.5 days"
    assert format_duration(pd.Timedelta(hours=30), "en") == "30.0 h"
    assert format_duration(pd.Timedelta(minutes=12), "fr") == "12 min"
    assert format_duration(pd.NaT, "de") == "–"


def test_dates_are_swiss_and_local():
    ts = pd.Timestamp("2024-07-31T22:30:00Z")  # 1 August in Zurich
    assert format_date(ts, "de") == "01.08.2024"
    assert format_date(ts, "fr") == "01.08.2024"
    assert format_datetime(pd.Timestamp("2024-01-05T08:00:00Z"), "de") == "05.01.2024 09:00"


def test_check_language():
    from procmine.errors import ParameterError

    with pytest.raises(ParameterError, match="language"):
        i18n.check_language("it")


def test_number_glyphs_are_procmine_s_own_not_the_installed_cldr():
    """Swiss grouping is chosen here (U+2019 de/en, U+202F fr), whatever babel's CLDR says."""
    from procmine.i18n import NUMBER_GLYPHS, format_integer, format_number, format_percent

    assert NUMBER_GLYPHS == {"de": ("\u2019", "."), "fr": ("\u202f", ","), "en": ("\u2019", ".")}
    assert format_number(1234567.891, "de", digits=2) == "1\u2019234\u2019567.89"
    assert format_number(1234567.891, "fr", digits=2) == "1\u202f234\u202f567,89"
    assert format_integer(-9876543, "en") == "-9\u2019876\u2019543"
    # rounded half-even as written, never "-0"
    assert format_number(2.675, "de", digits=2) == "2.68"
    assert format_number(-0.04, "de", digits=1) == "0.0"
    assert format_percent(0.5, "fr", digits=0) == "50%"
    assert format_percent(0.12345, "de") == "12.3%"


@pytest.mark.parametrize("language", ["de", "fr", "en"])
def test_every_msgid_of_the_catalogue_has_its_msgstr(language):
    """Older babel releases (2.14) crash on an entry without msgstr, which newer ones forgive."""
    from tests.conftest import ROOT

    path = ROOT / "src" / "procmine" / "locales" / language / "LC_MESSAGES" / "procmine.po"
    open_entry = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("msgid "):
            assert open_entry is None, f"{path.name}:{open_entry}: msgid without msgstr"
            open_entry = number
        elif line.startswith("msgstr"):
            open_entry = None
        elif not line.startswith('"'):
            assert open_entry is None, f"{path.name}:{open_entry}: msgid without msgstr"
    assert open_entry is None


def test_readers_write_their_warnings_as_notes():
    """A reader's warning reaches the German and French report only as a note
    (procmine._core.notes.Note): an f-string appended to a report's warnings stays English
    there. Checked on the source of every reader and detector."""
    bad = []
    for path in sorted((SRC / "io").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "append" and node.args):
                continue
            target = node.func.value
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name in ("warnings", "warn", "w") and isinstance(node.args[0], (ast.JoinedStr, ast.Constant)):
                bad.append(f"{path.name}:{node.lineno}")
    assert not bad, f"warnings appended as plain text (use note(...)): {bad}"
