"""The retail sample rulebook (rulebooks/online-retailer.rules), written by hand in plain Python.

The yardstick for the engine's speed: what a competent developer would write for
this one program with no rule language at all. It does the same work per
purchase as the engine does for this book (catch-up expiry and tier, windows,
category earning, bonuses, the rolling cap, lots with expiry, the tier step with
its grace period, and the perks of the member's tier), keeps the same state, and
must end with the same balances and tiers, which the benchmark checks before it
reports any time. Only purchases are handled: that is what the benchmark feeds.
"""

from __future__ import annotations

from collections import deque
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import jdatetime

from rules_engine.events import Event

TZ = ZoneInfo("Asia/Tehran")
M = 1_000_000
DAYS_90, DAYS_365, DAYS_30 = timedelta(days=90), timedelta(days=365), timedelta(days=30)
BRONZE, SILVER, GOLD, PLATINUM = range(4)
TIERS = ("bronze", "silver", "gold", "platinum")
NOWRUZ = (jdatetime.date(1404, 12, 25).togregorian(), jdatetime.date(1405, 1, 13).togregorian())
BLACK_FRIDAY = (jdatetime.date(1404, 9, 7).togregorian(), jdatetime.date(1404, 9, 9).togregorian())
CAP = 10_000
RATES = {"electronics": 3, "fashion": 20, "grocery": 10}  # points per 100,000 toman of items; others: 5


class Member:
    __slots__ = ("tier", "qualified_at", "balance", "lots", "recent", "year", "spend_90", "spend_365", "count_90",
                 "count_365", "earnings", "earned_30", "seen")

    def __init__(self, at: datetime) -> None:
        self.tier = BRONZE
        self.qualified_at = at
        self.balance = 0
        self.lots: deque[list] = deque()  # [expires_at, remaining], earliest first
        self.recent: deque[tuple[datetime, int]] = deque()  # purchases inside the 90-day window
        self.year: deque[tuple[datetime, int]] = deque()  # purchases inside the 365-day window
        self.spend_90 = self.spend_365 = self.count_90 = self.count_365 = 0
        self.earnings: deque[tuple[datetime, int]] = deque()  # earnings inside the 30-day cap window
        self.earned_30 = 0
        self.seen = 0


class Reference:
    def __init__(self) -> None:
        self.members: dict[str, Member] = {}
        self._expiry: dict[date, timedelta] = {}

    def process(self, event: Event) -> tuple[int, str, tuple[str, ...]]:
        """One purchase: the points it earned, the tier after it, and the perks shown with it."""
        t = event.at
        m = self.members.get(event.member)
        if m is None:
            m = self.members[event.member] = Member(t)
        else:
            self._catch_up(m, t)
        amount = event.amount or 0
        first = m.seen == 0
        m.seen += 1
        m.recent.append((t, amount))
        m.year.append((t, amount))
        m.spend_90 += amount
        m.spend_365 += amount
        m.count_90 += 1
        m.count_365 += 1
        self._advance(m, t)
        local = t.astimezone(TZ)
        day = local.date()
        channel = event.fields.get("channel")

        by_rate = {3: 0, 20: 0, 10: 0, 5: 0}
        for item in event.items:
            by_rate[RATES.get(item.category or "", 5)] += item.price * item.qty
        points = sum(rate * base // 100_000 for rate, base in by_rate.items())
        if channel == "app":
            points += 2 * amount // 100_000
            if first:
                points += 200
        numerator = denominator = 1
        if m.tier == GOLD:
            numerator, denominator = 3, 2
        if m.tier >= PLATINUM:
            numerator *= 2
        if NOWRUZ[0] <= day <= NOWRUZ[1]:
            numerator *= 2
        if channel == "app" and BLACK_FRIDAY[0] <= day <= BLACK_FRIDAY[1]:
            numerator *= 2
        points = points * numerator // denominator
        points = min(points, max(0, CAP - m.earned_30))
        if points > 0:
            m.lots.append([t + self._twelve_months(local), points])
            m.balance += points
            m.earnings.append((t, points))
            m.earned_30 += points
        self._tier_step(m, t)
        perks = ("free_shipping", "discount") if m.tier == PLATINUM else ("free_shipping",) if m.tier == GOLD else ()
        return points, TIERS[m.tier], perks

    def finish(self, as_of: datetime) -> None:
        """The end of the run: expiry and tier catch-up for every member, as the engine does."""
        for m in self.members.values():
            self._catch_up(m, as_of)

    def _catch_up(self, m: Member, t: datetime) -> None:
        lots = m.lots
        while lots and lots[0][0] <= t:
            m.balance -= lots.popleft()[1]
        self._advance(m, t)
        self._tier_step(m, t)

    def _advance(self, m: Member, t: datetime) -> None:
        year, limit = m.year, t - DAYS_365
        while year and year[0][0] <= limit:
            m.spend_365 -= year.popleft()[1]
            m.count_365 -= 1
        recent, limit = m.recent, t - DAYS_90
        while recent and recent[0][0] <= limit:
            m.spend_90 -= recent.popleft()[1]
            m.count_90 -= 1
        earnings, limit_30 = m.earnings, t - DAYS_30
        while earnings and earnings[0][0] <= limit_30:
            m.earned_30 -= earnings.popleft()[1]

    def _tier_step(self, m: Member, t: datetime) -> None:
        if m.spend_365 >= 150 * M and m.count_365 >= 24:
            qualified = PLATINUM
        elif m.spend_90 >= 50 * M or m.spend_365 >= 120 * M:
            qualified = GOLD
        elif m.spend_90 >= 20 * M or m.count_90 >= 6:
            qualified = SILVER
        else:
            qualified = BRONZE
        if qualified >= m.tier:
            m.qualified_at = t
            m.tier = qualified
        elif t >= m.qualified_at + DAYS_90:
            m.tier = qualified
            m.qualified_at = t

    def _twelve_months(self, local: datetime) -> timedelta:
        """How far 12 Jalali months reach from this local day (the same for every time of the day)."""
        day = local.date()
        span = self._expiry.get(day)
        if span is None:
            j = jdatetime.date.fromgregorian(date=day)
            target = _jalali_clamped(j.year + 1, j.month, j.day).togregorian()
            span = self._expiry[day] = target - day
        return span


def _jalali_clamped(year: int, month: int, day: int) -> jdatetime.date:
    while True:
        try:
            return jdatetime.date(year, month, day)
        except ValueError:
            day -= 1
