"""A compiled rulebook: what the engine runs.

Everything here is decided before the first event: amounts are in the rulebook
currency, dates are Gregorian, conditions are Python functions of the evaluation
context, and plugin arguments are validated. The engine never looks at rulebook
text or the syntax tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any, Callable

from rules_engine.events import Amount
from rules_engine.calendars import add_duration, subtract_duration
from rules_engine.dsl.checker import Settings
from rules_engine.plugins.registry import PartnerOffer, RewardType


# A condition reads the event context `e`, the member `m` and, for item conditions, the item `i`.
Condition = Callable[[Any, Any, Any], bool]


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


@dataclass(frozen=True, slots=True)
class Period:
    """The local dates a `during` covers, both ends included (the earning function compares them inline)."""

    start: date
    end: date


@dataclass(frozen=True, slots=True)
class PeriodLimit:
    """At most `count` uses of a rule by one member in any span of `window` (see rules_engine/limits.py)."""

    count: int
    window: Duration


@dataclass(frozen=True, slots=True)
class EarnRule:
    """`per` set: points × amount / per, or × the line totals of the matching items when `of_items`;
    `per_item`: points × the matching units; else flat. The conditions are compiled into the trigger's
    `EarningPlan`, with the other rules of that trigger.

    `limit` (ever) and `per_period` bound how often the rule may add points for one member.
    """

    source: Source
    points: Fraction
    trigger: Trigger
    per: Amount | None = None
    of_items: bool = False
    per_item: bool = False
    during: Period | None = None
    limit: int | None = None
    per_period: tuple[PeriodLimit, ...] = ()

    @property
    def limited(self) -> bool:
        return self.limit is not None or bool(self.per_period)


@dataclass(frozen=True, slots=True)
class EarningPlan:
    """Step 3 for one trigger, up to the caps, as one generated function (rules_engine/dsl/earning.py).

    `run(e, m, day, notes)` gives the points, the labels of the rules that gave them, the reasons
    (templates and figures, for `Entry.why`) and the limited rules used; `day`, the event's local
    date, is needed only when the plan is `dated`.
    """

    run: Callable[[Any, Any, Any, list[str]], tuple[int, list[str], list[tuple[Any, ...]], list["EarnRule"]]]
    dated: bool


@dataclass(frozen=True, slots=True)
class BonusRule:
    """A factor on what the rules of its trigger gave; its condition is compiled into the trigger's `EarningPlan`."""

    source: Source
    factor: Fraction
    trigger: Trigger
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
    """A tier; the conditions of all of them are compiled into one function, `Program.ladder`.

    `figures` are the member figures its condition reads, each as (name, Member attribute, index into it or
    None), so that a tier change can say what they stood at (`spend_90d 2,150,000`).
    """

    name: str
    rank: int
    source: Source
    figures: tuple[tuple[str, str, int | None], ...] = ()


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
    # by trigger (kind, custom event name or None): the earn rules and bonuses that apply, as one function
    earning: dict[tuple[str, str | None], EarningPlan]
    # `ladder(e, m)`: the rank of the highest tier whose condition holds (0, the base, when none does); raises
    # runtime.TierConditionError naming the tier whose condition could not be evaluated
    ladder: Callable[[Any, Any], int]
    # the plugins whose code runs while events are processed: functions conditions call, reward types redeemed,
    # partner offers claimed (perks only name theirs; sinks deliver them later)
    plugins: frozenset[str]

    def tier_name(self, rank: int | None) -> str | None:
        return None if rank is None or not self.tiers else self.tiers[rank].name
