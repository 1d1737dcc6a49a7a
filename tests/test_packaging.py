"""The dependency ranges in pyproject.toml are true: CI also runs at their lower bounds."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT

_BOUND = re.compile(r"^([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)")


def _lower_bounds() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(meta["dependencies"])
    for extra in ("dev", "duckdb", "spark"):
        specs += meta["optional-dependencies"][extra]
    bounds: dict[str, str] = {}
    for spec in specs:
        m = _BOUND.match(spec.split(";")[0].strip())
        if m and m.group(1).lower() != "ruff":  # a linter: not needed to run the tests
            bounds[m.group(1).lower()] = m.group(2)
    return bounds


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / ".ci" / "lowest-constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def _normal(version: str) -> tuple[int, ...]:
    parts = [int(p) for p in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def test_ci_pins_every_lower_bound_of_pyproject():
    bounds, pins = _lower_bounds(), _pins()
    assert set(bounds) <= set(pins), f"not pinned for the lowest-version run: {set(bounds) - set(pins)}"
    wrong = {n: (bounds[n], pins[n]) for n in bounds if _normal(bounds[n]) != _normal(pins[n])}
    assert not wrong, f"pyproject lower bound != CI pin: {wrong}"

