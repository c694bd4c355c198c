"""How often one member may use a rule: the count behind `limit N per member` and `limit N per DURATION`.

Rewards (velocity limits on redemptions) and earn rules (the usual cap on referral
bonuses) share this arithmetic, so the engine only asks one question of it: may this
member use the rule at t, and if not, from when again?

A use counts against a limit per period from its own moment until one period after
it, the same arithmetic as a lot's expiry: under `limit 1 per 1 month` a redemption
on 31 January counts until 28 February at the same time of day. Uses are kept per
member as a sorted list of times; a use that arrives late (live data out of time
order) is placed where it belongs. As for caps, a limit per period looks back from
t and does not see uses recorded later than t; a limit ever counts every use.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence
from zoneinfo import ZoneInfo

from rules_engine.dsl.checker import Settings
from rules_engine.program import Duration, PeriodLimit


@dataclass(frozen=True, slots=True)
class Reached:
    """A limit that refuses a use: `count` uses per member, ever (`window` None) or per `window`, and when it frees."""

    count: int
    window: Duration | None
    again: datetime | None  # None for a limit ever: it never frees

    def describe(self, tz: ZoneInfo) -> str:
        """`2 time(s) per member per 30 days; again from 2026-02-02T10:00:00+00:00`, in the rulebook's zone."""
        terms = f"{self.count} time(s) per member" + (f" per {self.window}" if self.window else "")
        return terms + (f"; again from {self.again.astimezone(tz).isoformat()}" if self.again else "")


def reached(uses: Sequence[datetime], ever: int | None, per_period: tuple[PeriodLimit, ...], t: datetime,
            settings: Settings) -> Reached | None:
    """The limit a use at t would break, or None when the use is allowed.

    A limit ever is reported first, since no wait lifts it; of several limits per
    period, the one that frees last, since that is when the member may use the rule.
    """
    if ever is not None and len(uses) >= ever:
        return Reached(ever, None, None)
    upto = bisect_right(uses, t)
    found: Reached | None = None
    for limit in per_period:
        window = limit.window
        counting = bisect_right(uses, t, hi=upto, key=lambda at: window.after(at, settings))  # first still counting
        if upto - counting >= limit.count:
            # Once the use `count` places from the last has stopped counting, count - 1 are left.
            again = window.after(uses[upto - limit.count], settings)
            if found is None or (found.again is not None and again > found.again):
                found = Reached(limit.count, window, again)
    return found


def record(uses: list[datetime], t: datetime) -> None:
    """One more use at t, kept in time order."""
    insort(uses, t)
