"""Screenshots of the report sections "Time limits" and "The applicant's view" in de, fr and en.

Builds a report of each shipped sample with only those two sections (the sample's
documented time limits, ``procmine.samples.limits``), opens it in headless Chromium, checks
that the page logs nothing to the console and that both translated section titles are in
the rendered page, and writes ``docs/screenshots/limits-client-<lang>.png`` (cropped to the
content, reduced to a 64-colour palette so that it stays small)::

    python tools/screenshots_limits_client.py                 # de, fr, en into docs/screenshots/
    python tools/screenshots_limits_client.py --out /tmp/shots --lang fr

Needs ``chromium`` on the PATH. Exit code 1 when a check fails.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: language -> (sample, the two section titles as the reader sees them)
PAGES = {
    "de": ("permit_de", ("Fristen", "Sicht der Gesuchstellenden")),
    "fr": ("subsidy_fr", ("Délais", "Point de vue des requérants")),
    "en": ("permit_de", ("Time limits", "The applicant’s view")),
}
_CONSOLE = re.compile(r":CONSOLE[:(]|Uncaught|Failed to load resource|Refused to", re.I)


def chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with a throw-away profile (the flags of the report's browser test)."""
    exe = shutil.which("chromium")
    if exe is None:
        raise SystemExit("chromium is not installed")
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def build(lang: str, folder: Path) -> Path:
    """The report of the language's sample with the two sections only."""
    import procmine as pm

    sample, _ = PAGES[lang]
    log = pm.samples.load(sample)
    return pm.report(log, folder / f"limits-client-{lang}.html", language=lang, sections=["limits", "client"],
                     limits=pm.samples.limits(sample))


def check(html: Path, lang: str, tmp: Path) -> list[str]:
    """Problems seen in Chromium: console messages, a missing section title."""
    dom = chromium(["--dump-dom", html.as_uri()], tmp)
    problems = [line for line in dom.stderr.splitlines() if _CONSOLE.search(line)]
    text = dom.stdout.replace("&nbsp;", " ").replace("&#39;", "'").replace("&rsquo;", "’")
    for title in PAGES[lang][1]:
        if title not in text and title.replace("’", "'") not in text:
            problems.append(f"{lang}: section title {title!r} not in the rendered page")
    for sid in ("limits", "client"):
        if f'id="{sid}"' not in text:
            problems.append(f"{lang}: no section id={sid!r}")
    return problems


def shoot(html: Path, target: Path, tmp: Path, width: int = 1100) -> Path:
    """Screenshot, cropped below the content and quantised."""
    from PIL import Image, ImageChops

    raw = tmp / (target.stem + ".raw.png")
    res = chromium([f"--screenshot={raw}", f"--window-size={width},4000", html.as_uri()], tmp)
    if not raw.exists():
        raise SystemExit(f"no screenshot: {res.stderr[-1000:]}")
    img = Image.open(raw).convert("RGB")
    bg = Image.new("RGB", img.size, img.getpixel((img.width - 1, img.height - 1)))
    box = ImageChops.difference(img, bg).getbbox()
    if box is not None:
        img = img.crop((0, 0, img.width, min(img.height, box[3] + 24)))
    target.parent.mkdir(parents=True, exist_ok=True)
    img.quantize(64, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    return target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--lang", choices=sorted(PAGES), action="append")
    a = ap.parse_args(argv)
    failed = False
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for lang in a.lang or list(PAGES):
            html = build(lang, tmp)
            problems = check(html, lang, tmp)
            for p in problems:
                print(p, file=sys.stderr)
            failed |= bool(problems)
            png = shoot(html, a.out / f"limits-client-{lang}.png", tmp)
            print(f"{png} ({png.stat().st_size // 1024} KB)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
