"""A compiled rulebook: what the engine runs.

Everything here is decided before the first event: amounts are in the rulebook
currency, dates are Gregorian, conditions are Python functions of the evaluation
context, and plugin arguments are validated. The engine never looks at rulebook
text or the syntax tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable

from rules_engine.calendars import add_duration, subtract_duration
from rules_engine.dsl.checker import Settings
from rules_engine.plugins.registry import PartnerOffer, RewardType

Amount = int | Decimal

# A condition reads the event context `e`, the member `m` and, for item conditions, the item `i`.
Condition = Callable[[Any, Any, Any], bool]
# What an earn rule counts on the items of `e` for member `m`: the line totals or the units of the matching ones.
Measure = Callable[[Any, Any], Amount]


@dataclass(frozen=True, slots=True)
class Source:
    """Where a rule came from, for explanations and ledger entries."""

    label: str
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Duration:
    """A duration as the rulebook wrote it; months and years follow the rulebook calendar."""

    count: int
    unit: str  # days, weeks, months, years

    def after(self, at: datetime, settings: Settings) -> datetime:
        return add_duration(at, self.count, self.unit, settings.calendar, settings.tz)

    def before(self, at: datetime, settings: Settings) -> datetime:
        return subtract_duration(at, self.count, self.unit, settings.calendar, settings.tz)

    def __str__(self) -> str:
        unit = self.unit if self.count != 1 else self.unit[:-1]
        return f"{self.count} {unit}"


@dataclass(frozen=True, slots=True)
class Trigger:
    kind: str  # purchase, signup, referral, event
    name: str | None = None

    def matches(self, event_type: str, event_name: str | None) -> bool:
        return self.kind == event_type and (self.kind != "event" or self.name == event_name)


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class PeriodLimit:
    """At most `count` uses of a rule by one member in any span of `window` (see rules_engine/limits.py)."""

    count: int
    window: Duration


@dataclass(frozen=True, slots=True)
class EarnRule:
    """`per` set: points × amount / per (or × `items`, the total of the matching items); `per_item`: points × the
    matching units it counts; else flat. Both measures are compiled with their item condition inside.

    `limit` (ever) and `per_period` bound how often the rule may add points for one member.
    """

    source: Source
    points: Fraction
    trigger: Trigger
    per: Amount | None = None
    items: Measure | None = None
    per_item: Measure | None = None
    when: Condition | None = None
    during: Period | None = None
    limit: int | None = None
    per_period: tuple[PeriodLimit, ...] = ()

    @property
    def limited(self) -> bool:
        return self.limit is not None or bool(self.per_period)


@dataclass(frozen=True, slots=True)
class BonusRule:
    source: Source
    factor: Fraction
    trigger: Trigger
    when: Condition | None = None
    during: Period | None = None


@dataclass(frozen=True, slots=True)
class CapRule:
    source: Source
    points: int
    window: Duration


@dataclass(frozen=True, slots=True)
class ExpiryRule:
    source: Source
    after: Duration


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    rank: int
    condition: Condition | None
    source: Source


@dataclass(frozen=True, slots=True)
class RewardRule:
    source: Source
    id: str
    title: str
    cost: int
    kind: RewardType
    params: Any
    when: Condition | None = None
    limit: int | None = None  # successful redemptions per member, ever
    per_period: tuple[PeriodLimit, ...] = ()


@dataclass(frozen=True, slots=True)
class PerkRule:
    source: Source
    tier_rank: int
    kind: RewardType
    params: Any


@dataclass(frozen=True, slots=True)
class OfferRule:
    source: Source
    offer: PartnerOffer
    cost: int
    when: Condition | None = None


@dataclass(frozen=True)
class Program:
    settings: Settings
    version: str  # sha256 of the rulebook text: ledger entries name the rulebook they came from
    tiers: tuple[Tier, ...]
    grace: Duration | None
    earn: tuple[EarnRule, ...]
    bonuses: tuple[BonusRule, ...]
    caps: tuple[CapRule, ...]
    expiry: ExpiryRule | None
    rewards: dict[str, RewardRule]
    perks: tuple[PerkRule, ...]
    offers: dict[str, OfferRule]
    windows: tuple[int, ...]  # the spend_Nd / count_Nd windows conditions read, in days

    def tier_name(self, rank: int | None) -> str | None:
        return None if rank is None or not self.tiers else self.tiers[rank].name
