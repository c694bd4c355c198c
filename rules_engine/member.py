"""A member's running state inside the engine.

Only the engine mutates it. Compiled conditions read it directly (`m.tier`,
`m.balance`, `m.spend_windows[k]`, `m.attrs`), which is why the field names here
are part of the contract with the compiler.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Mapping

from rules_engine.ledger import Lot
from rules_engine.windows import Windows


class Member:
    __slots__ = (
        "id", "attrs", "enrolled_at", "signed_up", "referred_by", "tier", "qualified_at",
        "balance", "lots", "earned", "redeemed", "expired", "reversed",
        "spend_total", "count_total", "purchases_seen", "redemptions",
        "purchases", "spend_windows", "count_windows", "earnings", "cap_sums", "uses",
    )

    def __init__(self, member_id: str, at: datetime, purchases: Windows, earnings: Windows, base_tier: int | None) -> None:
        self.id = member_id
        self.attrs: Mapping[str, Any] = {}
        self.enrolled_at = at
        self.signed_up = False
        self.referred_by: str | None = None
        self.tier = base_tier
        self.qualified_at = at
        self.balance = 0
        self.lots: list[Lot] = []  # open lots (remaining > 0), earliest expiry first
        self.earned = 0
        self.redeemed = 0
        self.expired = 0
        self.reversed = 0
        self.spend_total: int | Decimal = 0
        self.count_total = 0
        self.purchases_seen = 0
        self.redemptions: dict[str, int] = {}
        self.purchases = purchases
        self.spend_windows = purchases.sums  # the same lists: advancing the windows updates what conditions read
        self.count_windows = purchases.counts
        self.earnings = earnings
        self.cap_sums = earnings.sums
        # When the member used each limited earn rule and each reward limited per period (rules_engine/limits.py),
        # in time order; keyed by id() of the compiled rule, since labels may repeat.
        self.uses: dict[int, list[datetime]] = {}

    def advance(self, t: datetime) -> None:
        """Bring the purchase windows, which conditions read, to instant t.

        The earnings windows serve only the caps, so the engine brings them forward when it
        checks one rather than at every event.
        """
        self.purchases.advance(t)
