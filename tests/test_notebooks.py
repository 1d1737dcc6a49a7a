"""Execute the notebooks top to bottom with the venv's own kernel; a failing cell fails the test.

The kernel is the ipykernel of the Python running the tests (a kernelspec written under
``tmp_path``, nothing installed in the user's Jupyter folders). Notebooks write only into
``PROCMINE_NOTEBOOK_OUT`` (a temporary folder).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
ALL = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))

pytestmark = pytest.mark.slow


def test_notebooks_exist_and_have_no_outputs():
    assert ALL == [
        "01_quickstart.ipynb",
        "02_discover_permit_procedure.ipynb",
        "03_redundancies_and_whatif.ipynb",
        "04_compare_communes_report_portfolio.ipynb",
        "05_explore.ipynb",
    ]
    for name in ALL:
        nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell.get("outputs") == [] and cell.get("execution_count") is None, name


@pytest.mark.parametrize("name", ALL)
def test_notebook_runs(name, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    kernels = tmp_path / "kernels"
    spec = kernels / "procmine-venv"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "procmine (test venv)",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    monkeypatch.setenv("PROCMINE_NOTEBOOK_OUT", str(out))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("TQDM_DISABLE", "1")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    ksm = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
    km = KernelManager(kernel_name="procmine-venv", kernel_spec_manager=ksm)
    client = nbclient.NotebookClient(
        nb, km=km, timeout=600, allow_errors=False, resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    assert out.is_dir() and any(out.iterdir())
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("output_type") == "error"
    ]
    assert errors == []
    # the notebooks show the current API: no deprecation warning reaches a cell's output
    deprecated = [
        o["text"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
        if o.get("output_type") == "stream" and "DeprecationWarning" in o.get("text", "")
    ]
    assert deprecated == []
