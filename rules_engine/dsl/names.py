"""The names a rule condition can use, their types and where they are allowed.

One table shared by the checker (which resolves and types names) and the compiler
(which turns a resolved name into a read of the evaluation context).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Type = str  # "number", "string", "bool", "date", "weekday", "tier", "any", or "list[<type>]"

# Where an expression is evaluated. Tier conditions also run between events (the
# catch-up and the end of a simulation), so they see only the member, never an event.
Where = Literal["tier", "event", "item"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

ITEM_NAMES: dict[str, Type] = {"category": "string", "sku": "string", "qty": "number", "price": "number"}
EVENT_NAMES: dict[str, Type] = {"amount": "number", "channel": "string", "store": "string",
                                "first_purchase": "bool"}
MEMBER_NAMES: dict[str, Type] = {"tier": "tier", "points": "number", "spend_total": "number",
                                 "count_total": "number"}
TIME_NAMES: dict[str, Type] = {"weekday": "weekday", "hour": "number", "date": "date"}
SCOPES = ("member", "purchase", "item")

WINDOW = re.compile(r"(spend|count)_(\d{1,9})d")
NEAR_WINDOW = re.compile(r"(spend|count)_?(\d{1,4})\w*", re.IGNORECASE)
MAX_WINDOW_DAYS = 3660

ResolutionKind = Literal[
    "item", "item_field", "event", "event_field", "member", "member_attr", "time",
    "spend_window", "count_window", "tier_const", "weekday_const",
]


@dataclass(frozen=True, slots=True)
class Resolution:
    """What one name in a condition refers to: a kind and its key (a field name, a window, a constant)."""

    kind: ResolutionKind
    key: str | int


def window_candidates(name: str) -> list[str]:
    """Well-formed window names a near-miss like `spend_90` or `count30d` was probably meant to be."""
    match = NEAR_WINDOW.fullmatch(name)
    return [f"{match.group(1).lower()}_{int(match.group(2))}d"] if match and 1 <= int(match.group(2)) <= MAX_WINDOW_DAYS else []
