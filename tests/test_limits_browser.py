"""The report sections "Time limits" and "The applicant's view" in headless Chromium (de, fr, en).

Uses ``tools/screenshots_limits_client.py``, which also writes the screenshots in
``docs/screenshots/limits-client-<lang>.png``. Skipped when ``chromium`` is not installed.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

import pytest

import procmine as pm

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed"),
]

_TOOL = Path(__file__).resolve().parents[1] / "tools" / "screenshots_limits_client.py"


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("screenshots_limits_client", _TOOL)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("lang", ["de", "fr", "en"])
def test_sections_render_translated_without_console_messages(tmp_path: Path, lang: str) -> None:
    tool = _tool()
    html = tool.build(lang, tmp_path)
    assert tool.check(html, lang, tmp_path) == []
    png = tool.shoot(html, tmp_path / f"limits-client-{lang}.png", tmp_path)
    assert 20_000 < png.stat().st_size < 400_000


def test_the_check_sees_a_missing_section(tmp_path: Path) -> None:
    tool = _tool()
    log = pm.samples.load("subsidy_fr").sample(100, seed=1)
    html = pm.report(log, tmp_path / "r.html", language="fr", sections=["client"])  # no rules: no "Délais"
    problems = tool.check(html, "fr", tmp_path)
    assert any("Délais" in p for p in problems) and any("'limits'" in p for p in problems)
