"""Plain slotted value classes, compared, hashed and shown field by field as frozen dataclasses are.

For values made in the hot path (an event's items, the effects of its perks): a frozen
dataclass's `__init__` pays a call per field, and rules or reports read them from Python,
so they stay outside the compiled modules. Their fields are their `__slots__`, in order,
and they are never changed once made.
"""

from __future__ import annotations


class Value:
    __slots__ = ()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return self._values() == other._values() if type(other) is type(self) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(self.__slots__, self._values()))
        return f"{type(self).__name__}({shown})"
