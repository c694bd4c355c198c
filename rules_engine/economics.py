"""What a program costs and where its points go, measured by running the engine.

`run` feeds one history of events through one engine per rulebook (two for a
what-if comparison), member by member as a simulation does (rules_engine/grouping.py),
and watches every outcome go by. It keeps running sums, never the outcomes
themselves, so a year of a large club fits in memory. Months are the rulebook's own (Jalali months for a Jalali book).

Definitions used throughout:
- issued: points earned, less the points refunds took back;
- breakage: points that expired unspent;
- outstanding: the positive balances still open (a liability, at `point value` each);
- debt: what members with a negative balance owe (a refund took back points they had
  already spent), so issued = redeemed + expired + outstanding − debt;
- cost: what the points given away are worth, redeemed plus outstanding, at
  `point value` each (points spent and later owed were given away all the same);
  its share of revenue is the club's give-back rate;
- revenue: purchase amounts less refunded amounts.

Points per rule come from the reasons of each earn entry, which name the rule
each part speaks for (`templates.Template`): every earn rule keeps the points it
gave before bonuses, the bonuses share the extra points their factors added (in
proportion to the logarithm of each factor, since they multiply), and a cap the
points it cut (a negative figure), so the figures of one entry always add up to
its points.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterable, Sequence

from rules_engine.calendars import format_date, resolve_date
from rules_engine.collector import collector_paused
from rules_engine.engine import Context, Engine
from rules_engine.events import Amount, Event
from rules_engine.grouping import Arrivals, histories, in_time_order, independent
from rules_engine.ledger import Entry, Outcome
from rules_engine.member import Member
from rules_engine.program import Program
from rules_engine.simulation import due, in_order, timeline
from rules_engine.templates import Template


_PROBLEMS = ("invalid", "conflict", "failed")


@dataclass(frozen=True)
class Month:
    """One calendar month. Flows are dated by their ledger entries; `tiers` and `members` are at its end."""

    label: str
    revenue: Amount = 0
    purchases: int = 0
    issued: int = 0
    redeemed: int = 0
    expired: int = 0
    reversed: int = 0
    outstanding: int = 0
    members: int = 0
    tiers: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RulePoints:
    label: str
    kind: str  # earn, bonus or cap
    text: str
    points: int
    entries: int


@dataclass(frozen=True)
class NearMember:
    """A member one purchase of `gap` away from `next_tier` (0: any order would do)."""

    id: str
    tier: str
    next_tier: str
    gap: Amount
    typical_order: Amount


@dataclass(frozen=True)
class MemberDetail:
    """What a comparison needs to say why a member came out differently."""

    balance: int
    tier: str | None
    earned: int
    redeemed: int
    expired: int
    reversed: int
    rules: dict[str, int]
    tier_why: str | None  # the reason of the member's last tier change


@dataclass(frozen=True)
class Economics:
    program: str
    currency: str
    point_value: Amount
    as_of: datetime | None  # in the book's time zone
    calendar: str
    events: int
    members: int
    status: dict[str, int]
    revenue: Amount
    purchases: int
    earned: int
    reversed: int
    redeemed: int
    expired: int
    outstanding: int
    debt: int  # owed by members with a negative balance
    months: tuple[Month, ...]
    rules: tuple[RulePoints, ...]  # most points first
    rewards: dict[str, int]  # redemptions by reward id
    rejections: dict[str, int]  # refused redemptions and claims by reason code
    tiers: dict[str, int]
    near: tuple[NearMember, ...]  # closest first
    near_counts: dict[str, int]  # per next tier: members within one typical order of it
    problems: tuple[Outcome, ...] = ()
    details: dict[str, MemberDetail] = field(default_factory=dict)

    @property
    def when(self) -> str:
        """The end of the run as a designer of this book reads dates: in its calendar (with the Gregorian date
        beside a Jalali one, as exports and logs use it)."""
        if self.as_of is None:
            return "the end"
        shown = f"{format_date(self.calendar, self.as_of.date())} {self.as_of:%H:%M}"
        return shown if self.calendar == "gregorian" else f"{shown} ({self.as_of:%Y-%m-%d})"

    @property
    def issued(self) -> int:
        return self.earned - self.reversed

    @property
    def liability(self) -> Amount:
        return self.outstanding * self.point_value

    @property
    def cost(self) -> Amount:
        return (self.redeemed + self.outstanding) * self.point_value

    @property
    def cost_share(self) -> float:
        return float(self.cost / self.revenue) if self.revenue else 0.0

    @property
    def breakage_share(self) -> float:
        return self.expired / self.issued if self.issued > 0 else 0.0


def run(programs: Sequence[Program], events: Iterable[Event], as_of: datetime | None = None,
        details: bool = False, near: int = 20) -> list[Economics]:
    """Each program's economics over the same events; `details` keeps per-member figures."""
    with collector_paused():  # as `simulate` runs (rules_engine/collector.py)
        return _run(programs, *timeline(events, as_of), details, near)


def _run(programs: Sequence[Program], ordered: list[Event], end: datetime | None, details: bool,
         near: int) -> list[Economics]:
    runnable = due(ordered, end)
    after = len(ordered) - len(runnable)
    if independent(programs):  # the books do not see each other either: each runs alone, and lets its engine go
        order = histories(runnable, apart=True)
        results = []
        for program in programs:
            watcher = _Watcher(program, details, runnable)
            for history in order:
                watcher.history(history)
            results.append(watcher.close(end, len(ordered), after, near))
        return results
    # in time order, every book's engine taking each event in turn, as live data would come to each
    watchers = [_Watcher(program, details, runnable) for program in programs]
    for watcher in watchers:
        watcher.begin()
    for event in runnable:
        for watcher in watchers:
            watcher.step(event)
    for watcher in watchers:
        watcher.end()
    return [watcher.close(end, len(ordered), after, near) for watcher in watchers]


class _Watcher:
    """One engine and the running sums of what it did, over `events` in time order, run history by history
    (rules_engine/grouping.py).

    A month's tiers are counted as the first event of the next month finds them (the catch-up it starts
    with), for every member enrolled by then: in each history, before the first of its events from that
    instant on, and at its end for the months after its last event.
    """

    def __init__(self, program: Program, details: bool, events: list[Event]) -> None:
        self.program = program
        self.engine = Engine(program)
        self.tz = program.settings.tz
        self.calendar = program.settings.calendar
        self.events = events
        self.status: Counter[str] = Counter()
        self.flows: dict[str, Counter[str]] = {}
        self.revenue: dict[str, Amount] = {}
        self.members_by_month: Counter[str] = Counter()
        self.tiers_by_month: dict[str, Counter[int | None]] = {}  # members by tier rank at each month's end
        self.labels: dict[date, str] = {}
        self.rules: Counter[str] = Counter()
        self.rule_entries: Counter[str] = Counter()
        self.rewards: Counter[str] = Counter()
        self.rejections: Counter[str] = Counter()
        self.problems: list[tuple[Event | None, Outcome]] = []  # with the event run that led to each
        self.details = details
        self.member_rules: dict[str, Counter[str]] = {}
        self.tier_why: dict[str, str] = {}
        self.ends = self._month_ends(events)
        self.tiers_by_month.update((month, Counter()) for _, month, _ in self.ends)  # ranks, named at the close
        self.arrivals = Arrivals(self.engine)
        self.enrolled: list[Member] = []  # the members of the history being run
        self.next_end = 0  # the first month end that history has not counted yet
        self.last_month = self._label(events[-1].at) if events else None

    def history(self, events: list[Event]) -> None:
        self.begin()
        for event in events:
            self.step(event)
        self.end()

    def begin(self) -> None:
        self.enrolled, self.next_end = [], 0

    def step(self, event: Event) -> None:
        ends = self.ends
        while self.next_end < len(ends) and ends[self.next_end][0] <= event.at:
            self._count_tiers(ends[self.next_end], self.enrolled)
            self.next_end += 1
        engine = self.engine
        self.observe(engine.process(event), event)
        if len(engine.members) != self.arrivals.known:
            self.enrolled += (engine.members[member] for member in self.arrivals.note(event))

    def end(self) -> None:
        for month_end in self.ends[self.next_end:]:
            self._count_tiers(month_end, self.enrolled)

    def _month_ends(self, events: list[Event]) -> list[tuple[datetime, str, datetime]]:
        """Where each month with events ends: the time of the next month's first event, the month, and the
        instant the next month starts. Events at that time or later belong to the next month."""
        ends, month = [], None
        for event in events:
            label = self._label(event.at)
            if label != month:
                if month is not None:
                    ends.append((event.at, month, self._start(label)))
                month = label
        return ends

    def _count_tiers(self, month_end: tuple[datetime, str, datetime], members: list[Member]) -> None:
        _, month, at = month_end
        self.members_by_month[month] += len(members)
        tiers, tier_at = self.tiers_by_month[month], self.engine.tier_at
        for member in members:
            tiers[tier_at(member, at)] += 1

    def observe(self, outcome: Outcome, cause: Event | None) -> None:
        """One outcome, and the event run that led to it: the outcome's own event, the purchase that derived a
        referral, or None for the closing catch-up. Only outcomes of events run are counted by status."""
        event = outcome.event
        if cause is event:
            self.status[outcome.status] += 1
        if outcome.status in _PROBLEMS:
            self.problems.append((cause, outcome))
        elif outcome.status == "rejected":
            self.rejections[(outcome.reason or "").split(":", 1)[0]] += 1
        month = self._label(event.at)
        for entry in outcome.entries:  # the event's own entries are of its month; expiries it caught up, of theirs
            self._entry(entry, month if entry.at == event.at else self._label(entry.at))
        if outcome.applied:
            if event.type == "purchase":
                self.revenue[month] = self.revenue.get(month, 0) + (outcome.amount or 0)
                self._flows(month)["purchases"] += 1
            elif event.type == "refund":
                self.revenue[month] = self.revenue.get(month, 0) - (outcome.amount or 0)
            elif event.type in ("redeem", "claim"):
                self.rewards[event.reward or event.offer or "?"] += 1
        if self.details:
            for change in outcome.tier_changes:
                self.tier_why[change.member] = change.why
        for derived in outcome.derived:
            self.observe(derived, cause)

    def _entry(self, entry: Entry, month: str) -> None:
        self._flows(month)[entry.kind] += abs(entry.points)
        if entry.kind != "earn":
            return
        parts = rule_parts(entry)
        for label, points in parts:
            self.rules[label] += points
            self.rule_entries[label] += 1
        if self.details:
            mine = self.member_rules.get(entry.member)
            if mine is None:
                mine = self.member_rules[entry.member] = Counter()
            for label, points in parts:
                mine[label] += points

    def _flows(self, month: str) -> Counter[str]:
        flows = self.flows.get(month)
        if flows is None:
            flows = self.flows[month] = Counter()
        return flows

    def _label(self, at: datetime) -> str:
        day = at.astimezone(self.tz).date()
        label = self.labels.get(day)
        if label is None:
            label = self.labels[day] = format_date(self.calendar, day)[:7]
        return label

    def _start(self, month: str) -> datetime:
        """The first instant of a month (a label such as 1404-07), in the rulebook's calendar and zone."""
        year, number = map(int, month.split("-"))
        first = resolve_date(self.calendar, year, number, 1)
        return datetime(first.year, first.month, first.day, tzinfo=self.tz).astimezone(timezone.utc)

    def close(self, end: datetime | None, events: int, after: int, near: int) -> Economics:
        """The economics of the run, after its closing catch-up at `end`."""
        self.arrivals.restore(self.events)
        if end is not None:
            for outcome in self.engine.finish(end):
                self.observe(outcome, None)
        if self.last_month is not None:  # the last month's tiers: as the run leaves them, after its closing catch-up
            members = self.engine.members.values()
            self.members_by_month[self.last_month] = len(self.engine.members)
            self.tiers_by_month[self.last_month] = Counter(m.tier for m in members)
        status = in_order(self.status)
        if after:
            status["after_as_of"] = after
        months = self._months()
        members = self.engine.members.values()
        totals = Counter[str]()
        for flow in self.flows.values():
            totals.update(flow)
        sources = {rule.source.label: (kind, rule.source.text) for kind, rules in
                   (("earn", self.program.earn), ("bonus", self.program.bonuses), ("cap", self.program.caps))
                   for rule in rules}
        rules = tuple(sorted((RulePoints(label, *sources.get(label, ("earn", "")), points, self.rule_entries[label])
                              for label, points in self.rules.items()), key=lambda r: (-r.points, r.label)))
        close_ones, counts = near_next_tier(self.program, members, end, near) if end is not None else ([], {})
        settings = self.program.settings
        return Economics(
            program=settings.program or "Program", currency=settings.currency, point_value=settings.point_value,
            as_of=end.astimezone(self.tz) if end else None, calendar=settings.calendar, events=events,
            members=len(self.engine.members),
            status=status, revenue=sum(self.revenue.values(), 0), purchases=totals["purchases"],
            earned=totals["earn"], reversed=totals["reverse"], redeemed=totals["redeem"], expired=totals["expire"],
            outstanding=sum(m.balance for m in members if m.balance > 0),
            debt=-sum(m.balance for m in members if m.balance < 0), months=months, rules=rules,
            rewards=_most_first(self.rewards), rejections=_most_first(self.rejections),
            tiers={t.name: sum(1 for m in members if m.tier == t.rank) for t in self.program.tiers},
            near=tuple(close_ones), near_counts=counts, problems=tuple(in_time_order(self.problems, self.events)),
            details=self._details() if self.details else {},
        )

    def _months(self) -> tuple[Month, ...]:
        outstanding = 0
        months: list[Month] = []
        counted = self.members_by_month.keys() | self.tiers_by_month.keys()
        for label in sorted(self.flows.keys() | counted):
            flow = self.flows.get(label, Counter())
            outstanding += flow["earn"] - flow["reverse"] - flow["redeem"] - flow["expire"]
            if label in counted:
                by_rank = self.tiers_by_month.get(label, Counter())
                members, tiers = self.members_by_month[label], {t.name: by_rank[t.rank] for t in self.program.tiers}
            else:  # a month with entries but no events of its own (expiry caught up later)
                members, tiers = (months[-1].members, months[-1].tiers) if months else (0, {})
            months.append(Month(label, self.revenue.get(label, 0), flow["purchases"], flow["earn"] - flow["reverse"],
                                flow["redeem"], flow["expire"], flow["reverse"], outstanding, members, tiers))
        return tuple(months)

    def _details(self) -> dict[str, MemberDetail]:
        return {m.id: MemberDetail(m.balance, self.program.tier_name(m.tier), m.earned, m.redeemed, m.expired,
                                   m.reversed, dict(self.member_rules.get(m.id, {})), self.tier_why.get(m.id))
                for m in self.engine.members.values()}


def _most_first(counts: Counter[str]) -> dict[str, int]:
    """Counts from the largest down, equal ones by name: the same whatever order the events ran in."""
    return dict(sorted(counts.items(), key=lambda count: (-count[1], count[0])))


def rule_parts(entry: Entry) -> list[tuple[str, int]]:
    """An earn entry's points split by the rules that made them; the parts add up to the entry's points."""
    parts: list[tuple[str, int]] = []
    bonuses: list[Template] = []
    cap: str | None = None
    for reason in entry.reasons:
        template = reason[0]
        part = getattr(template, "part", None)
        if part == "earn":
            parts.append((template.rule, reason[1]))
        elif part == "bonus":
            bonuses.append(template)
        elif part == "cap":
            cap = template.rule
    if not parts:
        return [(entry.rule, entry.points)]
    before = sum(points for _, points in parts)
    uplift = 0
    if bonuses:
        num, den, weights = _factors(tuple(bonuses))
        uplift = before * num // den - before  # floor(before × the product of the factors)
        given, last, whole = 0, len(bonuses) - 1, sum(weights)
        for k, bonus in enumerate(bonuses):
            share = uplift - given if k == last else round(uplift * weights[k] / whole) if whole else 0
            given += share
            parts.append((bonus.rule, share))
    rest = entry.points - before - uplift
    if rest:
        parts.append((cap or entry.rule, rest))
    return [(label, points) for label, points in parts if points]


@lru_cache(maxsize=256)
def _factors(bonuses: tuple[Template, ...]) -> tuple[int, int, tuple[float, ...]]:
    """The product of some bonuses' factors as a fraction, and each factor's share of it (its logarithm):
    a run meets the same few combinations of bonuses again and again."""
    product = math.prod(bonus.factor for bonus in bonuses)
    return product.numerator, product.denominator, tuple(math.log(bonus.factor) for bonus in bonuses)


def near_next_tier(program: Program, members: Iterable[Member], as_of: datetime,
                   top: int) -> tuple[list[NearMember], dict[str, int]]:
    """The `top` members closest to a tier above their own, closest first (by the purchase it takes, in typical
    orders of theirs), and how many are within one typical order of each tier.

    Tier conditions are compiled functions, so the distance is measured by
    asking them: how large would one more purchase at `as_of` have to be for
    the member to qualify for a tier above their own (the next, or one higher
    that the same purchase reaches first)? Members no single purchase can lift
    (say, who lack orders rather than spend) are left out. Both answers need the
    exact distance only of members within one typical order; the others are
    measured only when fewer than `top` members are that close.
    """
    tiers = program.tiers
    ctx = Context(as_of, program.settings.tz)
    close: list[NearMember] = []
    far: list[tuple[Member, int, int]] = []

    def measure(m: Member, tier: int, typical: int) -> None:
        gap = _smallest_purchase(lambda extra: program.ladder(ctx, _WhatIf(m, extra)) > tier, typical)
        if gap is not None:  # named for the tier that purchase reaches, which may be above the next
            reached = program.ladder(ctx, _WhatIf(m, gap))
            close.append(NearMember(m.id, tiers[tier].name, tiers[reached].name, gap, typical))

    for m in members:
        if m.tier is None or m.tier + 1 >= len(tiers) or not m.count_total:
            continue
        typical = max(1, math.ceil(m.spend_total / m.count_total))
        if program.ladder(ctx, _WhatIf(m, typical)) > m.tier:
            measure(m, m.tier, typical)
        else:
            far.append((m, m.tier, typical))
    close.sort(key=_closeness)
    counts = Counter(n.next_tier for n in close)
    if len(close) < top:
        for m, tier, typical in far:
            measure(m, tier, typical)
        close.sort(key=_closeness)
    return close[:top], dict(counts)


def _closeness(near: NearMember) -> tuple[float | Decimal, str]:
    return (near.gap / near.typical_order, near.id)


def _smallest_purchase(qualifies: Any, start: int) -> int | None:
    """The smallest whole amount that qualifies, searching upward from `start`; None past 1000 × start."""
    if qualifies(0):
        return 0
    low, high = 0, start
    while not qualifies(high):
        low, high = high, high * 4
        if high > start * 1000:
            return None
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if qualifies(middle) else (middle, high)
    return high


class _WhatIf:
    """A member as the tier conditions would see them after one more purchase of `extra`."""

    __slots__ = ("_member", "spend_windows", "count_windows", "spend_total", "count_total")

    def __init__(self, member: Member, extra: Amount) -> None:
        self._member = member
        self.spend_windows = [s + extra for s in member.spend_windows]
        self.count_windows = [c + 1 for c in member.count_windows]
        self.spend_total = member.spend_total + extra
        self.count_total = member.count_total + 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._member, name)
