"""Reports: :func:`report` (one procedure, one HTML file) and :func:`portfolio` (a ranking of many).

Both write self-contained HTML (inline CSS and SVG, no script, no external resource) in
German, French or English with Swiss number and date formats (:mod:`procmine.i18n`).

The package shares its name with the function :func:`report`. Once any
``procmine.report.*`` module is imported, Python binds ``procmine.report`` to this
package, so the package itself is made callable: ``pm.report(log, path)`` works either way.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from ._build import SECTIONS, report

__all__ = ["SECTIONS", "portfolio", "report"]


def __getattr__(name: str) -> Any:
    # portfolio on first use: a report alone does not load it (nor the engines it names)
    if name == "portfolio":
        from ._portfolio import portfolio

        globals()["portfolio"] = portfolio
        return portfolio
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _CallableReportModule(types.ModuleType):
    """``procmine.report(...)`` calls :func:`procmine.report.report`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return report(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableReportModule
