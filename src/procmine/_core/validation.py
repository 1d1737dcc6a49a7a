"""One message shape for every invalid argument, and declared thresholds (as scikit-learn's
``validate_params``).

A detector declares its thresholds once, near the top of its module::

    THRESHOLDS = (
        Threshold("min_repeat_share", "fraction", 0.05, "share of a step's cases that repeat it"),
    )

and :func:`check_declared` validates them: ``find_redundancies`` before it runs any
detector, the detector itself when called directly. ``docs/detectors.md`` and the
catalogue (:mod:`procmine.redundancy.catalogue`) are generated from the same declarations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import ParameterError

__all__ = [
    "DETECTOR_COMMON",
    "Threshold",
    "check_choice",
    "check_declared",
    "check_detector",
    "check_fraction",
    "check_positive_int",
    "fail",
]


def fail(func: str, name: str, expected: str, got: Any) -> ParameterError:
    """Build the error: ``The 'noise' parameter of discover must be ... Got 1.5 instead.``"""
    return ParameterError(func, name, got, expected)


def check_fraction(func: str, name: str, value: Any, *, allow_none: bool = False) -> float | None:
    """Check that ``value`` is a float in [0, 1] (or None when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise fail(func, name, "a float in [0, 1]" + (" or None" if allow_none else ""), value)
    return float(value)


def check_choice(func: str, name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise fail(func, name, f"one of {shown}", value)
    return value


def check_positive_int(func: str, name: str, value: Any, *, minimum: int = 1) -> int:
    """Check that ``value`` is an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise fail(func, name, f"an int >= {minimum}", value)
    return value


#: what each kind of threshold accepts, as the error message says it
_EXPECTED = {
    "fraction": "a float in [0, 1]",
    "duration": "a duration such as '1h' (>= 0)",
    "bool": "True or False",
    "names": "None or a list of activity names",
    "mapping": "None or a dict",
    "names_or_mapping": "None, a list of step names or a dict",
}


@dataclass(frozen=True)
class Threshold:
    """One declared threshold of a detector.

    Parameters
    ----------
    name
        The keyword of ``detect`` (and of ``find_redundancies(log, kind={name: value})``).
    kind
        ``"fraction"`` (a float in [0, 1]), ``"number"`` (a float in ``[low, high]``),
        ``"int"`` (a whole number in ``[low, high]``), ``"duration"`` (a ``Timedelta`` or
        text such as ``"1h"``, >= 0), ``"bool"``, ``"names"`` (None or activity names),
        ``"mapping"`` (None or a dict) or ``"names_or_mapping"``.
    default
        The default of ``detect``'s keyword (a test keeps both equal).
    meaning
        One sentence for the documentation: what the threshold bounds.
    low, high
        The range of a ``"number"`` or ``"int"`` (None: unbounded).

    Examples
    --------
    >>> t = Threshold("dominance", "number", 2.0, "how much larger", low=1.0)
    >>> t.expected, t.check("bottleneck.detect", 3)
    ('a number >= 1', 3.0)
    """

    name: str
    kind: str
    default: Any
    meaning: str
    low: float | None = None
    high: float | None = None

    @property
    def expected(self) -> str:
        """What a valid value is, in the words of the error message."""
        if self.kind in ("number", "int"):
            what = "a number" if self.kind == "number" else "a whole number"
            lo, hi = self.low, self.high
            if lo is not None and hi is not None:
                return f"{what} in [{lo:g}, {hi:g}]"
            if lo is not None:
                return f"{what} >= {lo:g}"
            if hi is not None:
                return f"{what} <= {hi:g}"
            return what
        return _EXPECTED[self.kind]

    @property
    def range(self) -> str:
        """The valid values, short, for the catalogue's table."""
        if self.kind == "fraction":
            return "[0, 1]"
        if self.kind in ("number", "int"):
            lo = "-∞" if self.low is None else f"{self.low:g}"
            hi = "∞" if self.high is None else f"{self.high:g}"
            return f"[{lo}, {hi}]" + (", whole" if self.kind == "int" else "")
        return {"duration": "duration >= 0", "bool": "True / False", "names": "activity names",
                "mapping": "dict", "names_or_mapping": "step names or dict"}[self.kind]

    def check(self, func: str, value: Any) -> Any:
        """``value`` if valid (numbers as float/int, durations as given), else ParameterError."""
        bad = fail(func, self.name, self.expected, value)
        if self.kind == "fraction":
            return check_fraction(func, self.name, value)
        if self.kind in ("number", "int"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
                raise bad
            if self.kind == "int" and not float(value).is_integer():
                raise bad
            if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
                raise bad
            return int(value) if self.kind == "int" else float(value)
        if self.kind == "duration":
            try:
                td = pd.Timedelta(value)
            except (ValueError, TypeError) as exc:
                raise bad from exc
            if pd.isna(td) or td < pd.Timedelta(0):
                raise bad
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise bad
            return value
        if value is None:
            return None
        is_map = isinstance(value, Mapping)
        is_names = isinstance(value, str) or (
            isinstance(value, Iterable) and not is_map and all(isinstance(v, str) for v in value)
        )
        ok = {"names": is_names, "mapping": is_map, "names_or_mapping": is_names or is_map}[self.kind]
        if not ok:
            raise bad
        return value


def check_declared(func: str, declared: Sequence[Threshold], values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``values`` against ``declared``: unknown names, then each value.

    Returns the checked values (numbers normalised). The error names the function, the
    threshold and what it must be; for an unknown name, the declared names.

    >>> from procmine.redundancy.rework import THRESHOLDS
    >>> check_declared("rework.detect", THRESHOLDS, {"min_repeat_share": 0.1})
    {'min_repeat_share': 0.1}
    >>> check_declared("rework.detect", THRESHOLDS, {"min_repeat": 0.1})
    Traceback (most recent call last):
    ...
    procmine.errors.ParameterError: The 'min_repeat' parameter of rework.detect must be one of the thresholds ...
    """
    by_name = {t.name: t for t in declared}
    unknown = [k for k in values if k not in by_name]
    if unknown:
        names = ", ".join(repr(t.name) for t in declared) or "(none: this detector takes no thresholds)"
        raise fail(func, unknown[0], f"one of the thresholds {names}", values[unknown[0]])
    return {k: by_name[k].check(func, v) for k, v in values.items()}


#: what every detector takes besides its own thresholds (``find_redundancies`` passes it on)
DETECTOR_COMMON: tuple[Threshold, ...] = (
    Threshold("min_case_share", "fraction", 0.05, "Patterns seen in a smaller share of all cases are not reported."),
)


def check_detector(func: str, declared: Sequence[Threshold], scope: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a detector's declared thresholds (and ``min_case_share``) as bound in
    ``scope`` (its ``locals()`` on entry); returns the checked values."""
    every = (*DETECTOR_COMMON, *declared)
    return check_declared(func, every, {t.name: scope[t.name] for t in every if t.name in scope})
