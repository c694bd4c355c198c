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

from rules_engine.values import Value

Amount = int | Decimal

EMPTY: Mapping[str, Any] = MappingProxyType({})  # no fields: shared by every item and event without any


class Item(Value):
    """One line of a purchase; `price` is the unit price, so the line is worth price × qty.

    Never changed once made; a plain value class (rules_engine/values.py) rather than a frozen
    dataclass, whose `__init__` pays a call per field: a reader builds one for every line it reads.
    """

    __slots__ = ("sku", "category", "qty", "price", "fields")

    def __init__(self, sku: str | None = None, category: str | None = None, qty: Amount = 1, price: Amount = 0,
                 fields: Mapping[str, Any] = EMPTY) -> None:
        self.sku = sku
        self.category = category
        self.qty = qty
        self.price = price
        self.fields = fields
