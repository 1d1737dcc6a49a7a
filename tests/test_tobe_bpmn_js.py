"""procmine's BPMN files in real BPMN tools: bpmn-js (the bpmn.io viewer) and bpmnlint.

Every BPMN file procmine writes (as-is for the two samples and three real logs, to-be for
the samples) is imported into bpmn-js's viewer in headless Chromium from a local page
(no network: the viewer bundle is copied next to the page) and must import without
warnings, with a shape for every task; bpmnlint with its recommended rules must report
no error.

Needs ``npm ci --prefix tests/bpmn_js`` (CI runs it) and ``chromium``; skipped otherwise.
With ``PROCMINE_SAVE_SCREENSHOTS=1`` the bpmn-js renderings of one as-is and one to-be
diagram are written to ``docs/screenshots/bpmn-as-is.png`` and ``bpmn-to-be.png``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

import procmine as pm
from procmine import samples
from procmine.whatif import simplify
from procmine.whatif._bpmn import layout_of
from tests.conftest import SHARED_LOGS

HARNESS = Path(__file__).resolve().parent / "bpmn_js"
BUNDLE = HARNESS / "node_modules" / "bpmn-js" / "dist" / "bpmn-viewer.production.min.js"
ROOT = Path(__file__).resolve().parents[1]
MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed"),
    pytest.mark.skipif(
        not BUNDLE.exists()
        or not (HARNESS / "node_modules" / "bpmnlint").is_dir()
        or shutil.which("node") is None,
        reason="bpmn-js/bpmnlint not installed: run `npm ci --prefix tests/bpmn_js` (needs node and npm)",
    ),
]

REAL_LOGS = ("receipt_wabo.xes.gz", "BPIC15_1.xes.gz", "helpdesk.xes.gz")


def truth_activities(name: str, kind: str) -> tuple[str, ...]:
    return next(t.activities for t in samples.ground_truth(name) if t.kind == kind and not t.decoy)


def write_all(out: Path) -> dict[str, Path]:
    """The BPMN files procmine writes: as-is and to-be of each sample, as-is of the real logs."""
    files: dict[str, Path] = {}
    for name in samples.names():
        log = samples.load(name)
        files[f"as-is {name}"] = pm.discover(log).to_bpmn(out / f"{name}-as-is.bpmn")
        w = simplify(
            log,
            remove=truth_activities(name, "rubber_stamp"),
            parallelize=[truth_activities(name, "parallelizable")],
            merge=[truth_activities(name, "mergeable")],
            required=[t.activities[0] for t in samples.ground_truth(name) if t.required],
        )
        files[f"to-be {name}"] = w.to_bpmn(out / f"{name}-to-be.bpmn")
    for real in REAL_LOGS:
        path = SHARED_LOGS / real
        if path.exists():
            stem = real.split(".")[0]
            files[f"as-is {stem}"] = pm.discover(pm.read_log(path)).to_bpmn(out / f"{stem}-as-is.bpmn")
    return files


def page(diagrams: dict[str, str], *, fit: bool = False) -> str:
    """A page importing each diagram into its own bpmn-js viewer; results land in #result."""
    return f"""<!doctype html><html><head><meta charset="utf-8">
<style>body{{margin:0}} .c{{width:1400px;height:420px}}</style>
<script src="bpmn-viewer.production.min.js"></script></head><body>
<pre id="result">pending</pre><div id="canvases"></div>
<script>
const diagrams = {json.dumps(diagrams)};
async function run() {{
  const out = {{}};
  for (const [key, xml] of Object.entries(diagrams)) {{
    const div = document.createElement('div');
    div.className = 'c';
    document.getElementById('canvases').appendChild(div);
    const viewer = new BpmnJS({{container: div}});
    try {{
      const r = await viewer.importXML(xml);
      const reg = viewer.get('elementRegistry');
      const shapes = reg.filter((e) => e.type === 'bpmn:Task' && e.width > 0 && e.height > 0);
      out[key] = {{ok: true, warnings: r.warnings.map((w) => String(w.message)),
                   tasks: shapes.map((e) => e.businessObject.name)}};
      {"viewer.get('canvas').zoom('fit-viewport');" if fit else ""}
    }} catch (err) {{
      out[key] = {{ok: false, error: String(err), warnings: (err.warnings || []).map((w) => String(w.message))}};
    }}
  }}
  {"document.getElementById('result').remove();" if fit else ""}
  if (document.getElementById('result')) document.getElementById('result').textContent = JSON.stringify(out);
}}
run();
</script></body></html>"""


def chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    profile.mkdir()
    cmd = [
        shutil.which("chromium") or "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=30000",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def tasks_in(path: Path) -> list[str]:
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    return [t.get("name") for t in tree.iter(f"{{{MODEL}}}task")]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    out = tmp_path_factory.mktemp("bpmn")
    shutil.copy(BUNDLE, out / BUNDLE.name)
    return out, write_all(out)


@pytest.fixture(scope="module")
def viewed(written: tuple[Path, dict[str, Path]]) -> dict[str, dict]:
    out, files = written
    html = out / "index.html"
    html.write_text(page({k: p.read_text(encoding="utf-8") for k, p in files.items()}), encoding="utf-8")
    res = chromium(["--dump-dom", html.as_uri()], out)
    m = re.search(r'<pre id="result">(.*?)</pre>', res.stdout, re.S)
    assert m and m.group(1) != "pending", (res.stdout[-2000:], res.stderr[-2000:])
    import html as _html

    return json.loads(_html.unescape(m.group(1)))


@pytest.fixture(scope="module")
def linted(written: tuple[Path, dict[str, Path]]) -> dict[str, list[dict]]:
    _, files = written
    res = subprocess.run(
        ["node", str(HARNESS / "lint.js"), *map(str, files.values())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=HARNESS,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    by_path = json.loads(res.stdout)
    return {k: by_path[str(p)] for k, p in files.items()}


KEYS = [f"{kind} {name}" for name in samples.names() for kind in ("as-is", "to-be")] + [
    f"as-is {r.split('.')[0]}" for r in REAL_LOGS
]


@pytest.mark.parametrize("key", KEYS)
def test_bpmn_js_imports_without_warnings_and_draws_every_task(key, written, viewed):
    _, files = written
    if key not in files:
        pytest.skip(f"{key}: the real log is not available (../shared/logs absent)")
    got = viewed[key]
    assert got["ok"], got
    assert got["warnings"] == []
    assert sorted(got["tasks"]) == sorted(tasks_in(files[key])) and got["tasks"]


@pytest.mark.parametrize("key", KEYS)
def test_bpmnlint_recommended_reports_no_error(key, written, linted):
    _, files = written
    if key not in files:
        pytest.skip(f"{key}: the real log is not available (../shared/logs absent)")
    errors = [r for r in linted[key] if r["category"] == "error"]
    assert errors == []


def test_the_lint_harness_can_fail(tmp_path):
    """A gateway that joins and forks, and a task nobody reaches: bpmnlint must say so."""
    bad = tmp_path / "bad.bpmn"
    bad.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<definitions xmlns="{MODEL}" id="d" targetNamespace="x"><process id="p">'
        '<startEvent id="s" name="start"/><task id="a" name="A"/><task id="lost" name="lost"/>'
        '<endEvent id="e" name="end"/><sequenceFlow id="f1" sourceRef="s" targetRef="a"/>'
        '<sequenceFlow id="f2" sourceRef="a" targetRef="e"/></process></definitions>',
        encoding="utf-8",
    )
    res = subprocess.run(
        ["node", str(HARNESS / "lint.js"), str(bad)], capture_output=True, text=True, timeout=60, cwd=HARNESS
    )
    rules = {r["rule"] for r in json.loads(res.stdout)[str(bad)]}
    assert "no-disconnected" in rules


@pytest.mark.skipif(not os.environ.get("PROCMINE_SAVE_SCREENSHOTS"), reason="set PROCMINE_SAVE_SCREENSHOTS=1")
def test_save_screenshots(written):
    out, files = written
    for key, target in (("as-is permit_de", "bpmn-as-is.png"), ("to-be permit_de", "bpmn-to-be.png")):
        html = out / f"shot-{target}.html"
        html.write_text(page({key: files[key].read_text(encoding="utf-8")}, fit=True), encoding="utf-8")
        png = out / target
        lay = layout_of(files[key])
        # near the diagram's own scale, so that the task names stay readable (a wide
        # process fitted into 1400 px shrinks them to a few pixels)
        width = int(min(max(1400, lay["width"] + 60), 3200))
        height = max(160, int(width * (lay["height"] + 60) / (lay["width"] + 60)))
        html.write_text(
            html.read_text(encoding="utf-8").replace("width:1400px;height:420px", f"width:{width}px;height:{height}px"),
            encoding="utf-8",
        )
        chromium([f"--window-size={width},{height}", f"--screenshot={png}", html.as_uri()], out)
        assert png.exists() and png.stat().st_size > 5000
        shutil.copy(png, ROOT / "docs" / "screenshots" / target)
