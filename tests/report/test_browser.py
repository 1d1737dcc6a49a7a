"""Open the report in headless Chromium: no console messages, a screenshot is saved.

Skipped when ``chromium`` is not installed. With ``PROCMINE_SAVE_SCREENSHOTS=1`` the
screenshots are also copied to ``docs/screenshots/report-<lang>.png``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from procmine.report import report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed"),
]

ROOT = Path(__file__).resolve().parents[2]
_CONSOLE = re.compile(r":CONSOLE[:(]|Uncaught|Failed to load resource|Refused to", re.I)


def chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [
        shutil.which("chromium") or "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if _CONSOLE.search(line)]


def test_console_check_can_fail(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>console.error('boom')</script></body></html>", encoding="utf-8")
    res = chromium(
        ["--screenshot=" + str(tmp_path / "bad.png"), "--window-size=400,300", page.as_uri()], tmp_path
    )
    assert any("boom" in m for m in console_messages(res.stderr)), res.stderr[-2000:]


@pytest.mark.parametrize(("sample", "lang"), [("permit_de", "de"), ("subsidy_fr", "fr")])
def test_report_renders_without_console_errors(tmp_path, sample, lang):
    import procmine as pm

    log = pm.samples.load(sample).sample(200, seed=2)
    html = report(log, tmp_path / f"report-{lang}.html", language=lang)
    shot = tmp_path / f"report-{lang}.png"
    res = chromium([f"--screenshot={shot}", "--window-size=1280,5000", html.as_uri()], tmp_path)
    assert shot.exists() and shot.stat().st_size > 20_000, res.stderr[-2000:]
    assert console_messages(res.stderr) == []
    dom = chromium(["--dump-dom", html.as_uri()], tmp_path)
    assert "<svg" in dom.stdout and 'id="summary"' in dom.stdout
    if os.environ.get("PROCMINE_SAVE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "screenshots" / f"report-{lang}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)
