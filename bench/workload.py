"""The shared benchmark workload: synthetic purchases and the rulebook every engine runs.

Points by amount and by coffee items, and a tier by 90-day spend: the rule shape
the research notes measured peers on (shared/notes/rule-engines.md). Every engine
under test gets the same purchases in the same (time) order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from rules_engine.events import Event, Item

RULEBOOK = """
currency toman
tier bronze
tier silver when spend_90d >= 2m
tier gold when spend_90d >= 5m
earn 1 point per 10000 toman
coffee: earn 2 points per 10000 toman of items where category == "coffee"
"""

START = datetime(2025, 3, 21, tzinfo=timezone.utc)
CATEGORIES = ("coffee", "cake", "tea", "beans")


@dataclass(frozen=True, slots=True)
class Purchase:
    """The plain form peers and the hand-written reference read."""

    id: str
    member: str
    at: datetime
    amount: int
    items: tuple[tuple[str, int], ...]  # (category, line total)


def purchases(count: int, members: int, seed: int = 7) -> list[Purchase]:
    rng = random.Random(seed)
    step = timedelta(days=365) / count
    out = []
    for n in range(count):
        lines = tuple((rng.choice(CATEGORIES), rng.randrange(20, 400) * 1000) for _ in range(rng.randrange(1, 4)))
        out.append(Purchase(f"p{n}", f"m{rng.randrange(members)}", START + step * n, sum(t for _, t in lines), lines))
    return out


def as_events(batch: list[Purchase]) -> list[Event]:
    return [Event(id=p.id, type="purchase", member=p.member, at=p.at, amount=p.amount,
                  items=tuple(Item(category=c, qty=1, price=t) for c, t in p.items)) for p in batch]
