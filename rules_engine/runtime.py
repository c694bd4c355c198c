"""The small functions compiled conditions call at run time.

Values whose type the checker could not know (event fields, member attributes,
plugin results) may be missing or of a surprising type. A missing value is never
equal to anything and never ordered, so a rule about a field an event lacks does
not apply; arithmetic on it gives a missing value. Division by zero and a failing
plugin function are real errors (`EvaluationError`): the engine refuses the event
and reports the rule, rather than guessing.
"""

from __future__ import annotations

import operator
from decimal import Decimal
from typing import Any, Callable

from rules_engine.plugins.registry import DslFunction


class EvaluationError(Exception):
    """A condition could not be evaluated for this event."""


class TierConditionError(EvaluationError):
    """The condition of tier `tier` could not be evaluated; the message says which rule, and why."""

    def __init__(self, tier: str, error: EvaluationError) -> None:
        super().__init__(str(error))
        self.tier = tier


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        if a is None or b is None:
            return False
        try:
            return op(a, b)
        except TypeError:
            return False

    return compare


def _arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if a is None or b is None or isinstance(a, (str, bool)) or isinstance(b, (str, bool)):
            return None
        try:
            return op(a, b)
        except TypeError:
            return None

    return apply


def _div(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if b == 0:
        raise EvaluationError("division by zero")
    try:
        return Decimal(a) / Decimal(b)
    except (TypeError, ValueError, ArithmeticError):
        return None


def _neg(a: Any) -> Any:
    return -a if isinstance(a, (int, Decimal)) and not isinstance(a, bool) else None


def _digits(value: Any) -> str | None:
    """A number as the text a CSV cell held, for comparing it with text; None for anything else."""
    return str(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else None


def _eq(a: Any, b: Any) -> bool:
    """Equality for values of unknown type. A CSV cell that looks like a number is read as one, yet a
    designer who writes `store == "12"` means the store whose code is 12: a number equals the text of its digits."""
    if a == b:
        return True
    if isinstance(b, str):
        return _digits(a) == b
    return isinstance(a, str) and _digits(b) == a


def _in(a: Any, collection: Any) -> bool:
    if a is None or collection is None:
        return False
    try:
        if a in collection:
            return True
    except TypeError:
        return False
    digits = _digits(a)  # as in _eq: `store in ["12", "14"]` holds for the store read from CSV as 12
    return digits is not None and not isinstance(collection, str) and digits in collection


HELPERS: dict[str, Any] = {
    "_lt": _ordered(operator.lt), "_le": _ordered(operator.le),
    "_gt": _ordered(operator.gt), "_ge": _ordered(operator.ge),
    "_add": _arith(operator.add), "_sub": _arith(operator.sub), "_mul": _arith(operator.mul),
    "_div": _div, "_neg": _neg, "_eq": _eq, "_in": _in,
    "__builtins__": {},
}


def guarded(fn: DslFunction) -> Callable[..., Any]:
    """A plugin function whose failures name the plugin instead of escaping as a bare exception."""
    impl = fn.impl

    def call(*args: Any) -> Any:
        try:
            return impl(*args)
        except Exception as err:  # a plugin's bug must not look like ours
            raise EvaluationError(f"function `{fn.name}` of plugin {fn.plugin or '?'} failed: {err!r}") from err

    return call
