"""Reports: :func:`report` (one procedure, one HTML file) and :func:`portfolio` (a ranking of many).

Both write self-contained HTML (inline CSS and SVG, no script, no external resource) in
German, French or English with Swiss number and date formats (:mod:`procmine.i18n`).
"""

from __future__ import annotations

from ._build import SECTIONS, report

__all__ = ["SECTIONS", "portfolio", "report"]


def __getattr__(name: str):  # portfolio lands in its own module
    if name == "portfolio":
        from ._portfolio import portfolio

        return portfolio
    raise AttributeError(name)
