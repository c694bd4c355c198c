"""The ledger invariants, checked after every event of random event streams.

The streams mix signups (with referrals), purchases with items, partial, full,
excessive and misdirected refunds, redemptions, custom events, duplicates and
conflicting repeats, spread over a few months so that caps, expiry, tier grace
and limits per period all come into play.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from helpers import events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules_engine.dsl.compiler import compile_rulebook
from rules_engine.engine import Engine
from rules_engine.events import Event
from rules_engine.ledger import Entry, Outcome
from rules_engine.plugins.registry import Registry
from rules_engine.program import Program
from rules_engine import simulation
from rules_engine.simulation import Report, report_json, simulate

RULEBOOK = """
    tier bronze
    tier silver when spend_30d >= 300000
    tier gold when spend_30d >= 1m or count_7d >= 4
    tiers downgrade after 14 days

    base: earn 1 point per 10000 toman
    coffee: earn 2 points per 10000 toman of items where category == "coffee"
    pastry: earn 3 points per item where category == "pastry"
    first: earn 30 points when first_purchase
    welcome: earn 50 points on signup
    survey: earn 20 points on event "survey_completed"
    friend: earn 100 points on referral limit 1 per 30 days
    gold_boost: bonus 2x when tier >= gold
    app: bonus 1.5x when channel == "app"
    weekly: cap 400 points per 7 days
    expiry: points expire after 30 days

    small: reward small "Small" costs 40 points gives product(sku: "S")
    big: reward big "Big" costs 300 points gives discount(percent: 10%) when tier >= silver
    once: reward once "Once" costs 20 points gives coupon(amount: 50k) limit 1 per member
    treat: reward treat "Treat" costs 10 points gives product(sku: "T") limit 1 per 30 days
"""

MEMBERS = ("m1", "m2", "m3", "m4")
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
SPAN_MINUTES = 100 * 24 * 60
PROPERTIES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_items = st.lists(
    st.fixed_dictionaries({
        "category": st.sampled_from(["coffee", "pastry", "food"]),
        "qty": st.integers(1, 3),
        "price": st.integers(1, 40).map(lambda n: n * 5000),
    }),
    max_size=3,
)


@st.composite
def streams(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Rows as they would appear in a file: distinct times, except that a duplicate repeats its original."""
    count = draw(st.integers(1, 40))
    times = draw(st.lists(st.integers(0, SPAN_MINUTES), min_size=count + 5, max_size=count + 5, unique=True))
    rows: list[dict[str, Any]] = []
    purchases: list[tuple[str, int]] = []
    for n, minute in enumerate(times[:count]):
        row: dict[str, Any] = {"id": f"e{n}", "member": draw(st.sampled_from(MEMBERS)),
                               "at": (T0 + timedelta(minutes=minute)).isoformat()}
        kind = draw(st.sampled_from(["purchase"] * 4 + ["refund"] * 2 + ["signup", "redeem", "redeem", "event"]))
        if kind == "purchase":
            items = draw(_items)
            amount = sum(i["qty"] * i["price"] for i in items) + draw(st.integers(0, 20)) * 5000
            row |= {"type": "purchase", "amount": amount, "items": items,
                    "channel": draw(st.sampled_from(["app", "store"]))}
            purchases.append((row["id"], amount))
        elif kind == "refund":
            known = purchases and draw(st.integers(0, 4)) > 0
            of, amount = draw(st.sampled_from(purchases)) if known else ("nope", 1000)
            share = draw(st.sampled_from([0.25, 0.5, 1, 1.5]))
            row |= {"type": "refund", "of": of, "amount": int(amount * share)}
            if draw(st.integers(0, 4)) > 0:  # refunds usually come from the purchase's own member
                row["member"] = next((r["member"] for r in rows if r["id"] == of), row["member"])
        elif kind == "signup":
            attrs = {"city": draw(st.sampled_from(["Tehran", "Shiraz"]))}
            if draw(st.booleans()):
                attrs["referred_by"] = draw(st.sampled_from(MEMBERS + ("m9",)))
            row |= {"type": "signup", "attrs": attrs}
        elif kind == "redeem":
            row |= {"type": "redeem", "reward": draw(st.sampled_from(["small", "big", "once", "treat", "nope"]))}
        else:
            row |= {"type": "event", "name": draw(st.sampled_from(["survey_completed", "other"]))}
        rows.append(row)
    for _ in range(draw(st.integers(0, 4))):
        rows.append(dict(draw(st.sampled_from(rows))))  # an exact duplicate
    for minute in times[count:count + draw(st.integers(0, 2))]:
        original = draw(st.sampled_from(rows))  # same id, another time: a conflict
        rows.append(original | {"at": (T0 + timedelta(minutes=minute)).isoformat()})
    return rows


@pytest.fixture(scope="module")
def program(registry: Registry) -> Program:
    return compile_rulebook(RULEBOOK, "properties.rules", registry)


class LedgerWatch:
    """Every entry the engine wrote, by member, and the checks that must hold after each outcome."""

    def __init__(self, engine: Engine, rows: list[Event]) -> None:
        self.engine = engine
        self.entries: dict[str, list[Entry]] = defaultdict(list)
        self.applied: Counter[str] = Counter()
        self.known_ids = {e.id for e in rows} | {f"{e.id}:referral" for e in rows if e.type == "purchase"}
        self.refunded_purchase = {e.id: e.of for e in rows if e.type == "refund"}

    def record(self, outcome: Outcome) -> None:
        if outcome.status != "applied":
            assert not outcome.entries or all(e.kind == "expire" for e in outcome.entries), outcome
        elif outcome.event.id in self.known_ids:  # not the catch-up outcomes of `finish`
            self.applied[outcome.event.id] += 1
        for entry in outcome.entries:
            self.entries[entry.member].append(entry)
        for derived in outcome.derived:
            self.record(derived)

    def check(self) -> None:
        for member_id, member in self.engine.members.items():
            mine = self.entries[member_id]
            assert member.balance == sum(e.points for e in mine)
            for entry in mine:
                assert entry.event in self.known_ids and entry.rule, entry
                assert entry.points != 0, entry
            remaining = [lot.remaining for lot in member.lots]
            assert all(r > 0 for r in remaining)
            assert sum(remaining) == max(member.balance, 0)
            running = 0
            for entry in mine:
                running += entry.points
                if entry.kind == "redeem":
                    assert running >= 0, entry
            totals = Counter()
            for entry in mine:
                totals[entry.kind] += entry.points
            assert (member.earned, member.redeemed, member.expired, member.reversed) == (
                totals["earn"], -totals["redeem"], -totals["expire"], -totals["reverse"])
            assert member.earned - member.redeemed - member.expired - member.reversed == member.balance
        assert all(times == 1 for times in self.applied.values())
        earned = {e.event: e.points for m in self.entries.values() for e in m if e.kind == "earn"}
        reversed_by_purchase: Counter[str] = Counter()
        for entry in (e for m in self.entries.values() for e in m if e.kind == "reverse"):
            reversed_by_purchase[self.refunded_purchase[entry.event]] -= entry.points
        for purchase, points in reversed_by_purchase.items():
            assert points <= earned.get(purchase, 0), purchase


@PROPERTIES
@given(rows=streams(), arrival=st.one_of(st.none(), st.randoms(use_true_random=False)))
def test_ledger_invariants_hold_after_every_event(program: Program, rows: list[dict[str, Any]],
                                                  arrival: random.Random | None) -> None:
    """In time order, as a simulation applies events, or in any arrival order, as live data comes."""
    stream = events(*rows)
    if arrival is None:
        stream.sort(key=lambda e: e.at)
    else:
        arrival.shuffle(stream)
    engine = Engine(program)
    watch = LedgerWatch(engine, stream)
    for event in stream:
        watch.record(engine.process(event))
        watch.check()
    for outcome in engine.finish(max(e.at for e in stream) + timedelta(days=60)):
        watch.record(outcome)
    watch.check()


@PROPERTIES
@given(rows=streams(), seed=st.integers(0, 2**32 - 1))
def test_replaying_the_events_shuffled_gives_the_same_report(program: Program, rows: list[dict[str, Any]],
                                                             seed: int) -> None:
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    first = report_json(simulate(program, events(*rows)))
    again = report_json(simulate(program, events(*shuffled)))
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)


@PROPERTIES
@given(rows=streams(), tied=st.booleans())
def test_running_member_by_member_gives_what_time_order_gives(program: Program, rows: list[dict[str, Any]],
                                                              tied: bool) -> None:
    """`simulate` runs one member's history after another (rules_engine/grouping.py); with `tied`, every event
    of a day comes at its midnight, so members' events tie and only file order separates them."""
    if tied:
        rows = [row | {"at": row["at"][:10] + "T00:00:00+00:00"} for row in rows]
    stream = events(*rows)
    members = sorted({e.member for e in stream} | {"m9"})

    def facts(report: Report) -> tuple:
        def said(outcome: Outcome) -> tuple:
            return (outcome.event.id, outcome.status, outcome.reason, outcome.entries, outcome.tier_changes,
                    outcome.notes, tuple(said(d) for d in outcome.derived))
        return (report.members, report.status, [said(o) for o in report.problems],
                {m: [said(o) for o in outcomes] for m, outcomes in report.followed.items()})

    grouped = simulate(program, stream, follow=members)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(simulation, "independent", lambda *args: False)
        timed = simulate(program, stream, follow=members)
    assert facts(grouped) == facts(timed)
