"""procmine: process mining and process simplification for public administrations.

Read the event logs that administrative systems record, discover how each procedure
really runs, find redundant steps, estimate what removing them saves, and write reports
per directorate and a portfolio ranking.

>>> import procmine as pm
>>> log = pm.samples.load("permit_de")
>>> log.n_events > 0
True

The names below are imported lazily, so ``import procmine`` stays fast and pm4py
(heavy, with import-time side effects) is only loaded when a model is discovered.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import DataQualityWarning, LogError, ParameterError, ProcmineError, ProcmineWarning
from .log import EventLog, IngestReport

logging.getLogger("procmine").addHandler(logging.NullHandler())

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "read_log": "procmine.io",
    "discover": "procmine.discovery",
    "ProcessModel": "procmine.discovery",
    "performance": "procmine.performance",
    "Performance": "procmine.performance",
    "Calendar": "procmine.calendar",
    "handovers": "procmine.organisation",
    "Handovers": "procmine.organisation",
    "find_redundancies": "procmine.redundancy",
    "Finding": "procmine.redundancy",
    "Findings": "procmine.redundancy",
    "KINDS": "procmine.redundancy",
    "simplify": "procmine.whatif",
    "WhatIf": "procmine.whatif",
    "compare": "procmine.compare",
    "client_view": "procmine.client",
    "ClientView": "procmine.client",
    "Comparison": "procmine.compare",
    "report": "procmine.report",
    "portfolio": "procmine.report",
    "time_limits": "procmine.limits",
    "TimeLimits": "procmine.limits",
    "TimeLimit": "procmine.limits",

    "explore": "procmine.explore",
    "Explorer": "procmine.explore",
}
_SUBMODULES = ("samples",)

__all__ = [
    "__version__",
    "DataQualityWarning",
    "EventLog",
    "IngestReport",
    "LogError",
    "ParameterError",
    "ProcmineError",
    "ProcmineWarning",
    *sorted(_LAZY),
    *_SUBMODULES,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"procmine.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'procmine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from . import samples
    from .calendar import Calendar
    from .client import ClientView, client_view
    from .compare import Comparison, compare
    from .discovery import ProcessModel, discover
    from .explore import Explorer, explore
    from .io import read_log
    from .limits import TimeLimit, TimeLimits, time_limits
    from .organisation import Handovers, handovers
    from .performance import Performance, performance
    from .redundancy import KINDS, Finding, Findings, find_redundancies
    from .report import portfolio, report
    from .whatif import WhatIf, simplify

# ``performance``, ``compare`` and ``explore`` name both a submodule and its function. Importing the
# submodule (``from procmine.performance import ...``) binds the *module* to the package
# attribute, which hides the lazy lookup above; bind the functions now (these modules are
# light: numpy/pandas only).
from .compare import compare  # noqa: E402
from .explore import explore  # noqa: E402
from .performance import performance  # noqa: E402
