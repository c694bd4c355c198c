"""Running a program over a history of events, and the figures that come out.

A simulation sorts events by time (stably, so equal times keep file order), feeds
them to an engine one member's history after another (rules_engine/grouping.py:
the same figures as time order, sooner), closes the run at `as_of`, and sums up. It keeps the
outcomes only of the members it is asked to follow, so a million-event run stays
small in memory, and runs with the cyclic garbage collector paused
(rules_engine/collector.py).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, get_args

from rules_engine.collector import collector_paused
from rules_engine.engine import Engine
from rules_engine.events import Event
from rules_engine.grouping import Arrivals, histories, in_time_order, independent
from rules_engine.ledger import Outcome, Status
from rules_engine.program import Program


@dataclass(frozen=True)
class MemberFigures:
    id: str
    balance: int
    tier: str | None
    earned: int
    redeemed: int
    expired: int
    reversed: int
    spend_total: int | Decimal


@dataclass(frozen=True)
class Report:
    as_of: datetime | None
    events: int
    status: dict[str, int]  # outcomes by status (applied, duplicate, conflict, rejected, invalid, failed), and after_as_of: events not run
    members: tuple[MemberFigures, ...]
    tiers: dict[str, int]
    point_value: int | Decimal
    problems: tuple[Outcome, ...] = ()  # events that were refused as invalid, conflicting or failed
    followed: dict[str, tuple[Outcome, ...]] = field(default_factory=dict)

    def total(self, figure: str) -> int:
        return sum(getattr(m, figure) for m in self.members)

    @property
    def liability(self) -> int | Decimal:
        return sum(max(0, m.balance) for m in self.members) * self.point_value


def simulate(program: Program, events: Iterable[Event], as_of: datetime | None = None,
             follow: Iterable[str] = (), engine: Engine | None = None) -> Report:
    """`engine`, a fresh one of `program` when not given, is left as the run ends: analyses that need more than
    the report's figures (rules_engine/fraud.py) read its members and purchases."""
    with collector_paused():
        return _run(program, *timeline(events, as_of), set(follow), engine or Engine(program))


def timeline(events: Iterable[Event], as_of: datetime | None) -> tuple[list[Event], datetime | None]:
    """The events in time order, and when the run ends: at `as_of`, else at the last event.

    Events after the end are kept in the list (a report counts them as `after_as_of`) but not run.
    """
    ordered = sorted(events, key=lambda e: e.at)
    return ordered, as_of or (ordered[-1].at if ordered else None)


def _run(program: Program, ordered: list[Event], end: datetime | None, follow: set[str], engine: Engine) -> Report:
    followed: dict[str, list[Outcome]] = {member: [] for member in follow}
    status: Counter[str] = Counter()
    problems: list[tuple[Event, Outcome]] = []
    runnable = due(ordered, end)
    arrivals = Arrivals(engine)
    members, process = engine.members, engine.process
    for history in histories(runnable, independent((program,), (engine,))):
        for event in history:
            outcome = process(event)
            status[outcome.status] += 1
            if outcome.status in ("invalid", "conflict", "failed"):
                problems.append((event, outcome))
            if len(members) != arrivals.known:
                arrivals.note(event)
            if followed:
                _follow(outcome, followed)
    arrivals.restore(runnable)
    if len(runnable) < len(ordered):
        status["after_as_of"] = len(ordered) - len(runnable)
    if end is not None:
        for outcome in engine.finish(end):
            _follow(outcome, followed)
    figures = tuple(
        MemberFigures(m.id, m.balance, program.tier_name(m.tier), m.earned, m.redeemed, m.expired, m.reversed,
                      m.spend_total)
        for m in engine.members.values()
    )
    tiers = {tier.name: 0 for tier in program.tiers}
    for member in figures:
        if member.tier is not None:
            tiers[member.tier] += 1
    return Report(end.astimezone(program.settings.tz) if end else None, len(ordered), in_order(status), figures, tiers,
                  program.settings.point_value, tuple(in_time_order(problems, runnable)),
                  {k: tuple(v) for k, v in followed.items()})


STATUSES = (*get_args(Status), "after_as_of")  # the order reports count outcomes in


def in_order(status: Counter[str]) -> dict[str, int]:
    """Outcomes counted by status, in one order whatever order the events ran in."""
    rank = {name: k for k, name in enumerate(STATUSES)}
    return dict(sorted(status.items(), key=lambda count: rank.get(count[0], len(rank))))


def due(ordered: list[Event], end: datetime | None) -> list[Event]:
    """The events of a timeline that a run ending at `end` runs: those up to it."""
    return ordered if end is None else ordered[: bisect_right(ordered, end, key=_at)]


def _at(event: Event) -> datetime:
    return event.at


def _follow(outcome: Outcome, followed: dict[str, list[Outcome]]) -> None:
    if outcome.event.member in followed:
        followed[outcome.event.member].append(outcome)
    for derived in outcome.derived:
        _follow(derived, followed)


def report_json(report: Report) -> dict[str, Any]:
    """The machine-readable result of a simulation (docs/language.md, "Simulation output")."""
    totals: dict[str, Any] = {
        "events": report.events,
        "members": len(report.members),
        "earned": report.total("earned"),
        "redeemed": report.total("redeemed"),
        "expired": report.total("expired"),
        "reversed": report.total("reversed"),
        "balance": report.total("balance"),
        "liability": _number(report.liability),
        "rejected": report.status.get("rejected", 0),
        # Every repeated id is a duplicate (the spec's figure); conflicts are those whose content differed.
        "duplicates": report.status.get("duplicate", 0) + report.status.get("conflict", 0),
        "conflicts": report.status.get("conflict", 0),
        "invalid": report.status.get("invalid", 0),
        "failed": report.status.get("failed", 0),
        "tiers": report.tiers,
    }
    members = [
        {"id": m.id, "balance": m.balance, "tier": m.tier, "earned": m.earned, "redeemed": m.redeemed,
         "expired": m.expired, "reversed": m.reversed, "spend_total": _number(m.spend_total)}
        for m in sorted(report.members, key=lambda m: m.id)
    ]
    return {"as_of": report.as_of.isoformat() if report.as_of else None, "totals": totals, "members": members}


def _number(value: int | Decimal) -> int | float:
    """JSON numbers: whole amounts as integers; a fractional amount (rare: rial in a toman book) as a float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
