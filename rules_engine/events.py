"""The events the engine consumes, as plain immutable values.

Readers (`rules_engine.readers`) validate raw rows and build these; the engine
never sees unvalidated input. Money is a plain number in the rulebook currency
(`int`, or `Decimal` when the source had a fraction), so arithmetic stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Mapping

from rules_engine.items import EMPTY, Amount, Item  # noqa: F401 - the public names of an event's parts

EventType = Literal["purchase", "refund", "signup", "redeem", "claim", "event", "referral"]
EVENT_TYPES: tuple[str, ...] = ("purchase", "refund", "signup", "redeem", "claim", "event", "referral")


def exact(number: Decimal) -> Amount:
    """A number as the engine keeps it: `int` when whole, so 250000.0 and 250000 are one amount, else `Decimal`."""
    return int(number) if number == number.to_integral_value() else number.normalize()


# The referral the engine derives from purchase P is the event `P:referral`. Ids of this shape are kept for such
# events: an event sent with one would share its id, and so its ledger entries and lots, with a derived referral.
REFERRAL_SUFFIX = ":referral"
RESERVED_ID = (f"ids ending in `{REFERRAL_SUFFIX}` are kept for the referral events the engine derives from a "
               "member's first purchase; give this event another id")


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened to a member.

    `fields` holds the event's own extra fields (`channel`, `store`, …) that
    rule conditions may read. `fingerprint` identifies the payload, so the
    same id arriving with different content is told apart from a plain repeat.
    `line` is where the event came from in its file, for error reports.
    """

    id: str
    type: EventType
    member: str
    at: datetime
    amount: Amount | None = None
    items: tuple[Item, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    attrs: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    of: str | None = None
    reward: str | None = None
    offer: str | None = None
    name: str | None = None
    fingerprint: str = field(default="", compare=False)
    line: int | None = field(default=None, compare=False)
