"""The lines of a purchase.

Its own module, outside those the install compiles (docs/performance.md, "The
compiled engine"), because its readers are the other way round from an event's:
the engine's compiled code never looks inside an item, while the rulebook's own
code, which stays Python, reads the fields of every line of every purchase. The
interpreter reads a slot of a plain Python class in a few instructions; a field
of a compiled class goes through the generic attribute lookup each time.
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType
from typing import Any, Mapping

Amount = int | Decimal

EMPTY: Mapping[str, Any] = MappingProxyType({})  # no fields: shared by every item and event without any


class Item:
    """One line of a purchase; `price` is the unit price, so the line is worth price × qty.

    Never changed once made. A plain slotted class rather than a frozen dataclass, whose
    `__init__` pays a call per field: a reader builds one for every line it reads.
    """

    __slots__ = ("sku", "category", "qty", "price", "fields")

    def __init__(self, sku: str | None = None, category: str | None = None, qty: Amount = 1, price: Amount = 0,
                 fields: Mapping[str, Any] = EMPTY) -> None:
        self.sku = sku
        self.category = category
        self.qty = qty
        self.price = price
        self.fields = fields

    def _values(self) -> tuple[object, ...]:
        return self.sku, self.category, self.qty, self.price, self.fields

    def __eq__(self, other: object) -> bool:
        return self._values() == other._values() if isinstance(other, Item) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(self.__slots__, self._values()))
        return f"Item({shown})"
