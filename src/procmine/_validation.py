"""One message shape for every invalid argument (as scikit-learn does)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import ParameterError


def fail(func: str, name: str, expected: str, got: Any) -> ParameterError:
    """Build the error: ``The 'noise' parameter of discover must be ... Got 1.5 instead.``"""
    return ParameterError(
        f"The {name!r} parameter of {func} must be {expected}. Got {got!r} instead."
    )


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
