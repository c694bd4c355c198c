"""Patterns worth a fraud review, read from the state a simulation leaves its engine in.

Limits in the rulebook stop abuse as it happens; this module finds what limits
cannot see, because it only shows across many events or many members:

- **refunds after earning**: a member whose purchases earn points and are then
  refunded, again and again (points are taken back, but the rewards they bought
  may already be out of the door: a negative balance says so);
- **referral rings**: members who referred each other in a cycle (A referred B,
  B referred A), which only happens when one person plays several members;
- **one-time referrals**: a referrer whose referred members bought once, long
  enough ago to tell, and never again; the referral bonus is paid on that first
  purchase and is not taken back by its refund.

Nothing here decides anything: the findings are a list for a person to look
at, with the figures that put each member on it. The thresholds are the
operator's (`loyalty suspicious` options), since what is normal depends on the club.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, Iterable

from rules_engine.engine import Engine, Purchase
from rules_engine.events import Event
from rules_engine.program import Program
from rules_engine.simulation import Report, simulate


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a pattern is listed. Percentages are whole numbers, so 50 means half."""

    min_refunds: int = 3  # refunded purchases that had earned points
    min_reversed_percent: int = 50  # of the points the member's purchases earned, taken back by refunds
    min_referrals: int = 3  # referred members whose first purchase is at least `quiet_days` old
    min_one_time_percent: int = 80  # of those referred members, the ones who never bought again
    quiet_days: int = 30  # how long after a purchase "never again" can be told


@dataclass(frozen=True, slots=True)
class Refunder:
    """A member whose purchases earned points and were then refunded."""

    member: str
    purchases: int
    refunded: int  # purchases that earned points and were refunded, in part or in full
    earned: int  # points the member's purchases earned
    reversed: int  # points refunds took back from them
    balance: int  # below zero when points were spent before the refunds took them back

    @property
    def reversed_share(self) -> Fraction:
        return Fraction(self.reversed, self.earned) if self.earned else Fraction(0)


@dataclass(frozen=True, slots=True)
class Ring:
    """Members who referred each other in a cycle: each referred the next, and the last referred the first."""

    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Referrer:
    """A member whose referred members mostly bought once and never again."""

    member: str
    referred: int  # referred members whose first purchase is at least `quiet_days` old
    one_time: tuple[str, ...]  # of them, those who made no other purchase
    refunded: int  # of the one-time buyers, those whose only purchase was refunded in full


@dataclass(frozen=True)
class Findings:
    as_of: datetime | None
    thresholds: Thresholds
    refunders: tuple[Refunder, ...] = ()  # highest share reversed first
    rings: tuple[Ring, ...] = ()
    referrers: tuple[Referrer, ...] = ()  # most one-time referrals first


def review(program: Program, events: Iterable[Event], as_of: datetime | None = None,
           thresholds: Thresholds = Thresholds()) -> tuple[Report, Findings]:
    """Simulate `program` over `events` and look for the patterns in what it leaves."""
    engine = Engine(program)
    report = simulate(program, events, as_of, engine=engine)
    return report, find(engine, report.as_of, thresholds)


def find(engine: Engine, as_of: datetime | None, thresholds: Thresholds) -> Findings:
    """The patterns in an engine's members and purchases as of `as_of` (the end of its run)."""
    if as_of is None:  # nothing ran
        return Findings(as_of, thresholds)
    bought: dict[str, list[Purchase]] = {}
    for purchase in engine.purchases.values():
        bought.setdefault(purchase.member, []).append(purchase)
    referrer_of = {m.id: m.referred_by for m in engine.members.values() if m.referred_by is not None}
    return Findings(as_of, thresholds, _refunders(engine, bought, thresholds), _rings(referrer_of),
                    _referrers(referrer_of, bought, as_of, thresholds))


def _refunders(engine: Engine, bought: dict[str, list[Purchase]], t: Thresholds) -> tuple[Refunder, ...]:
    found = []
    for member, purchases in bought.items():
        refunded = sum(1 for p in purchases if p.earned > 0 and p.refunded > 0)
        earned = sum(p.earned for p in purchases)
        reversed_ = sum(p.reversed for p in purchases)
        if refunded >= t.min_refunds and earned and reversed_ * 100 >= t.min_reversed_percent * earned:
            found.append(Refunder(member, len(purchases), refunded, earned, reversed_, engine.members[member].balance))
    return tuple(sorted(found, key=lambda r: (-r.reversed_share, -r.refunded, r.member)))


def _rings(referrer_of: dict[str, str]) -> tuple[Ring, ...]:
    """Cycles of `referred_by`. Each member has one referrer at most, so every cycle is found by walking up."""
    done: set[str] = set()
    rings = []
    for start in sorted(referrer_of):
        path: list[str] = []
        on_path: set[str] = set()
        member: str | None = start
        while member is not None and member not in done and member not in on_path:
            path.append(member)
            on_path.add(member)
            member = referrer_of.get(member)
        if member is not None and member in on_path:  # the walk came back to itself
            cycle = path[path.index(member):][::-1]  # walking up went from the referred to the referrer
            first = cycle.index(min(cycle))
            rings.append(Ring(tuple(cycle[first:] + cycle[:first])))
        done.update(path)
    return tuple(sorted(rings, key=lambda r: r.members))


def _referrers(referrer_of: dict[str, str], bought: dict[str, list[Purchase]], as_of: datetime,
               t: Thresholds) -> tuple[Referrer, ...]:
    settled = as_of - timedelta(days=t.quiet_days)
    referred: dict[str, list[str]] = {}
    for member, referrer in referrer_of.items():
        purchases = bought.get(member, ())
        if purchases and min(p.at for p in purchases) <= settled:
            referred.setdefault(referrer, []).append(member)
    found = []
    for referrer, members in referred.items():
        once = sorted(m for m in members if len(bought[m]) == 1)
        if len(members) >= t.min_referrals and len(once) * 100 >= t.min_one_time_percent * len(members):
            refunded = sum(1 for m in once if bought[m][0].refunded >= bought[m][0].amount > 0)
            found.append(Referrer(referrer, len(members), tuple(once), refunded))
    return tuple(sorted(found, key=lambda r: (-len(r.one_time), r.member)))


def findings_json(findings: Findings) -> dict[str, Any]:
    """The machine-readable findings (docs/simulation.md, "Fraud review")."""
    return {
        "as_of": findings.as_of.isoformat() if findings.as_of else None,
        "thresholds": asdict(findings.thresholds),
        "refunds": [{**asdict(r), "reversed_share": round(float(r.reversed_share), 4)} for r in findings.refunders],
        "rings": [list(ring.members) for ring in findings.rings],
        "referrers": [{**asdict(r), "one_time": list(r.one_time)} for r in findings.referrers],
    }
