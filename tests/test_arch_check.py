"""tools/arch_check.py finds import loops (lazy imports included) and engine names outside engines/."""

from __future__ import annotations

import importlib.util

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("arch_check", ROOT / "tools" / "arch_check.py")
arch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(arch)


def _package(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        path = tmp_path / "procmine" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_a_lazy_import_closes_a_loop_of_three(tmp_path):
    src = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from .b import f\n",
        "b.py": "from . import c\ndef f():\n    return 1\n",
        "c.py": "def g():\n    from .a import f  # lazy, still an arrow\n    return f\n",
        "d.py": "from .a import f\n",
        "sub/__init__.py": "",
        "sub/e.py": "from ..d import f\nfrom .. import errors_missing\n",
    })
    graph = arch.import_graph(src)
    assert graph["procmine.sub.e"] == {"procmine.d", "procmine"}
    assert arch.loops(graph) == [["procmine.a", "procmine.b", "procmine.c"]]


def test_imports_for_annotations_only_are_no_arrows(tmp_path):
    """An import under ``if TYPE_CHECKING:`` never runs: it closes no loop; a lazy one does."""
    src = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from .b import f\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import C\ndef f():\n    return 1\n",
        "c.py": "from .a import f\nclass C: ...\n",
    })
    graph = arch.import_graph(src)
    assert graph["procmine.b"] == set()
    assert arch.loops(graph) == []


def test_engine_names_outside_engines_are_listed(tmp_path):
    src = _package(tmp_path, {
        "__init__.py": "",
        "engines/__init__.py": "class DuckLog: ...\n",
        "x.py": "from .engines import DuckLog\ndef f(log):\n    return isinstance(log, DuckLog)\n",
    })
    places = arch.engine_mentions(src)
    assert places == ["procmine/x.py:1 DuckLog", "procmine/x.py:3 DuckLog"]
    assert arch.main(["--src", str(src), "--check", "--max-engine-places", "1"]) == 1
    assert arch.main(["--src", str(src), "--check", "--max-engine-places", "2"]) == 0


def test_an_import_from_the_bottom_layer_upward_fails_the_check(tmp_path):
    """``_core`` may import itself and ``errors``; any upward import (lazy too) fails --check."""
    files = {
        "__init__.py": "",
        "errors.py": "class E(Exception): ...\n",
        "log.py": "from ._core.codes import f\n",
        "_core/__init__.py": "",
        "_core/codes.py": "from ..errors import E\ndef f():\n    return E\n",
    }
    src = _package(tmp_path, files)
    assert arch.upward_from_bottom(arch.import_graph(src)) == []
    assert arch.main(["--src", str(src), "--check"]) == 0
    src = _package(tmp_path, {"_core/dfg.py": "def g():\n    from ..log import f  # lazy, still upward\n    return f\n"})
    assert arch.upward_from_bottom(arch.import_graph(src)) == [("procmine._core.dfg", "procmine.log")]
    assert arch.main(["--src", str(src), "--check"]) == 1


def test_the_package_keeps_its_limits():
    """The real source tree: what CI runs (``python tools/arch_check.py --check``)."""
    assert arch.main(["--check"]) == 0


def test_a_loop_of_two_modules_fails_the_check(tmp_path):
    """No import loop is allowed any more, not even one of two modules (lazy or not)."""
    src = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from . import b\n",
        "b.py": "def f():\n    from . import a\n    return a\n",
    })
    assert arch.loops(arch.import_graph(src)) == [["procmine.a", "procmine.b"]]
    assert arch.main(["--src", str(src), "--check"]) == 1
    assert arch.main(["--src", str(src), "--check", "--max-loop", "2"]) == 0
