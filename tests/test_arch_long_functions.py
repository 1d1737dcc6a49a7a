"""No function in src/procmine over 80 lines of code unless tools/arch_check.py lists it with why."""

from __future__ import annotations

import importlib.util

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("arch_check", ROOT / "tools" / "arch_check.py")
arch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(arch)

SRC = ROOT / "src"


def test_no_unlisted_long_function():
    """A new long function is split into named steps, or listed in LONG_FUNCTIONS with the reason."""
    unlisted = {k: v for k, v in arch.long_functions(SRC).items() if k not in arch.LONG_FUNCTIONS}
    assert unlisted == {}, f"split these or list them in tools/arch_check.py LONG_FUNCTIONS: {unlisted}"


def test_the_list_has_no_stale_entry():
    """An entry whose function got shorter (or is gone) leaves the list, so it stays the true list."""
    stale = sorted(set(arch.LONG_FUNCTIONS) - set(arch.long_functions(SRC)))
    assert stale == [], f"remove from LONG_FUNCTIONS (now at most {arch.LONG_FUNCTION_LINES} lines): {stale}"


def test_every_entry_says_why():
    assert all(isinstance(why, str) and why.strip() for why in arch.LONG_FUNCTIONS.values())


def _lines(n: int, indent: str = "    ") -> str:
    return "\n".join(f"{indent}x{i} = {i}" for i in range(n))


def test_the_measure_leaves_out_the_docstring_and_finds_methods(tmp_path):
    """Lines from ``def`` to the end minus the docstring; methods and nested functions count."""
    doc = '    """' + "\n".join("doc" for _ in range(50)) + '"""\n'
    pkg = tmp_path / "procmine"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "m.py").write_text(
        f"def short():\n{doc}{_lines(79)}\n\n\n"  # def + 79 lines: 80, the docstring aside
        f"def long():\n{_lines(81)}\n\n\n"  # 82
        f"class K:\n    def method(self):\n{_lines(81, ' ' * 8)}\n",  # 82
        encoding="utf-8",
    )
    assert arch.long_functions(tmp_path) == {"procmine.m.long": 82, "procmine.m.K.method": 82}
    assert arch.main(["--src", str(tmp_path), "--check"]) == 1
