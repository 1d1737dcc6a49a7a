"""Print procmine's import loops, the places outside ``engines/`` that name an engine type, and long functions.

The architecture (``docs/architecture.md``) asks for layers that import only downward: no
import loop at all, lazy imports inside functions included; at most three
places outside ``engines/`` that mention an engine type; and a bottom layer (``_core/``)
that imports nothing above it but :mod:`procmine.errors` and :mod:`procmine._version`
(not one upward import, lazy ones included); and no function longer than
:data:`LONG_FUNCTION_LINES` lines of code (its docstring not counted) unless
:data:`LONG_FUNCTIONS` lists it with the reason. This script measures all four
from the source text (``ast``), so it runs without importing procmine or its dependencies::

    python tools/arch_check.py                 # report
    python tools/arch_check.py --check         # exit 1 when a limit is exceeded

It only reads files; it never runs the package.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable
from pathlib import Path

#: names that tie code to one engine (a test on the type, or the engine's own log class)
ENGINE_NAMES = (
    "DuckLog", "DuckProcessModel", "SparkLog", "as_eventlog", "as_eventlogs",
    "DuckEngine", "SparkEngine", "MemoryEngine",
)

#: the bottom layer, and what it may import besides its own modules
BOTTOM = "procmine._core"
BOTTOM_MAY_IMPORT = ("procmine.errors", "procmine._version")


#: the longest function allowed (lines from ``def`` to its end, the docstring not counted:
#: a public function documents every argument, which makes it long but not hard to read)
LONG_FUNCTION_LINES = 80

#: the functions allowed to be longer, ``module.qualified_name`` -> why (docs/architecture.md,
#: "Long functions"); an entry whose function got shorter must go (tests/test_arch_long_functions.py)
LONG_FUNCTIONS: dict[str, str] = {
    # hot loops of the XES reader: one pass over the bytes or elements, locals kept in
    # registers; a call per step would cost on every event
    "procmine.io._xes_scan.scan_chunk": "the XES byte scanner's inner loop (hot: one pass per chunk)",
    "procmine.io._xes_lxml.read_long_lxml": "the lxml XES reader's event loop (hot: one pass per element)",
    # data tables: a procedure definition reads top to bottom like the procedure itself
    "procmine.samples._procedures.permit_de": "data: the building-permit procedure, step by step",
    "procmine.samples._procedures.subsidy_fr": "data: the subsidy procedure, step by step",
    "procmine.samples._procedure_it.residence_it": "data: the residence-permit procedure, step by step",
}


def module_name(path: Path, root: Path) -> str:
    """``src/procmine/io/csv.py`` -> ``procmine.io.csv``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(current: str, is_package: bool, level: int, target: str | None) -> str:
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([target] if target else [])])


def _is_type_checking(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:``."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path, root: Path, modules: set[str]) -> set[str]:
    """Modules of the package that ``path`` imports, anywhere in the file (lazy imports too)."""
    name = module_name(path, root)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    # imports under ``if TYPE_CHECKING:`` never run (annotations only): not an arrow
    typing_only = {id(n) for block in ast.walk(tree) if _is_type_checking(block)
                   for stmt in block.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            candidates: Iterable[str] = (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node.level, node.module) if node.level else (node.module or "")
            # ``from . import x`` names a submodule x, or else a name defined in the package
            candidates = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for cand in candidates:
            # the longest prefix that is a module of the package
            parts = cand.split(".")
            while parts and ".".join(parts) not in modules:
                parts.pop()
            if parts and ".".join(parts) != name:
                found.add(".".join(parts))
    return found


def import_graph(src: Path, package: str = "procmine") -> dict[str, set[str]]:
    files = sorted((src / package).rglob("*.py"))
    modules = {module_name(p, src) for p in files}
    return {module_name(p, src): imports_of(p, src, modules) for p in files}


def loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (each an import loop), largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out, key=lambda g: (-len(g), g))


def upward_from_bottom(graph: dict[str, set[str]], bottom: str = BOTTOM) -> list[tuple[str, str]]:
    """``(module, imported)`` for each import of a bottom-layer module that leaves the layer
    (other than :data:`BOTTOM_MAY_IMPORT`), sorted."""
    def inside(module: str) -> bool:
        return module == bottom or module.startswith(bottom + ".")

    return sorted(
        (m, d) for m, deps in graph.items() if inside(m) for d in deps if not inside(d) and d not in BOTTOM_MAY_IMPORT
    )


def engine_mentions(src: Path, package: str = "procmine") -> list[str]:
    """``file:line name`` for each use of an engine name outside ``engines/``."""
    places = []
    for path in sorted((src / package).rglob("*.py")):
        rel = path.relative_to(src)
        if rel.parts[1] == "engines":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if isinstance(node, ast.alias):
                name = node.name.rsplit(".", 1)[-1]
            if name in ENGINE_NAMES:
                places.append(f"{rel}:{getattr(node, 'lineno', 0)} {name}")
    return sorted(set(places))


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from ``def`` to the function's end, its docstring not counted."""
    n = node.end_lineno - node.lineno + 1  # type: ignore[operator]
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        n -= first.end_lineno - first.lineno + 1  # type: ignore[operator]
    return n


def long_functions(src: Path, package: str = "procmine", limit: int = LONG_FUNCTION_LINES) -> dict[str, int]:
    """``module.qualified_name`` -> lines of code, for each function (methods and nested
    functions included) longer than ``limit`` lines (:func:`_code_lines`)."""
    found: dict[str, int] = {}
    for path in sorted((src / package).rglob("*.py")):
        module = module_name(path, src)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

        def visit(node: ast.AST, prefix: str, module: str = module) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines = _code_lines(child)
                    if lines > limit:
                        found[f"{module}.{prefix}{child.name}"] = lines
                    visit(child, f"{prefix}{child.name}.")
                elif isinstance(child, ast.ClassDef):
                    visit(child, f"{prefix}{child.name}.")

        visit(tree, "")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    parser.add_argument("--check", action="store_true", help="exit 1 when a limit is exceeded")
    # 0: no loop at all (the last loops of two modules were broken; a re-export goes one way)
    parser.add_argument("--max-loop", type=int, default=0, help="largest import loop allowed (modules; 0: none)")
    parser.add_argument("--max-engine-places", type=int, default=3)
    args = parser.parse_args(argv)
    graph = import_graph(args.src)
    found = loops(graph)
    places = engine_mentions(args.src)
    print(f"{len(graph)} modules, {sum(len(v) for v in graph.values())} import arrows (lazy imports included)")
    print(f"import loops: {len(found)} (largest {max((len(g) for g in found), default=0)} modules)")
    for group in found:
        print(f"  loop of {len(group)}: {', '.join(group)}")
    print(f"engine types named outside engines/: {len(places)} places")
    for place in places:
        print(f"  {place}")
    upward = upward_from_bottom(graph)
    print(f"imports from the bottom layer ({BOTTOM}) upward: {len(upward)}")
    for module, imported in upward:
        print(f"  {module} -> {imported}")
    long = long_functions(args.src)
    unlisted = sorted(set(long) - set(LONG_FUNCTIONS))
    print(f"functions over {LONG_FUNCTION_LINES} lines of code: {len(long)} ({len(unlisted)} not in LONG_FUNCTIONS)")
    for name in sorted(long):
        print(f"  {long[name]:4d}  {name}{'' if name in LONG_FUNCTIONS else '  (not listed)'}")
    too_big = [g for g in found if len(g) > args.max_loop]
    if args.check and (too_big or len(places) > args.max_engine_places or upward or unlisted):
        print(
            f"limits exceeded: {len(too_big)} loops of more than {args.max_loop} modules, "
            f"{len(places)} engine places (at most {args.max_engine_places}), "
            f"{len(upward)} imports from {BOTTOM} upward (none allowed), "
            f"{len(unlisted)} functions over {LONG_FUNCTION_LINES} lines not in LONG_FUNCTIONS",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
