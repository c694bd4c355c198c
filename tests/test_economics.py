"""The simulation report's economics: flows per month, cost, breakage, points per rule, members near a tier."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from rules_engine.economics import rule_parts, run
from rules_engine.engine import Engine
from rules_engine.events import Event
from rules_engine.ledger import Entry
from rules_engine.readers import read_events
from rules_engine.simulation import report_json, simulate

BOOK = """
program "Test Club"
currency toman
calendar gregorian
timezone "UTC"
point value 10 toman
tier bronze
tier silver when spend_365d >= 1000
base: earn 1 points per 10 toman
promo: bonus 2x during 2026-01-10..2026-01-20
cap 150 points per 30 days
points expire after 2 months
reward mug "Mug" costs 50 points gives product(sku: "MUG")
"""

ROOT = Path(__file__).resolve().parents[1]


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=timezone.utc)


def buy(id_: str, member: str, day: str, amount: int) -> Event:
    return Event(id=id_, type="purchase", member=member, at=at(day), amount=amount)


def redeem(id_: str, member: str, day: str) -> Event:
    return Event(id=id_, type="redeem", member=member, at=at(day), reward="mug")


def test_flows_are_dated_by_month_and_outstanding_carries_over(compile_text):
    events = [buy("p1", "a", "2026-01-02", 400), buy("p2", "a", "2026-02-03", 300), redeem("x1", "a", "2026-02-04")]
    (e,) = run([compile_text(BOOK)], events)
    assert [(m.label, m.issued, m.redeemed, m.outstanding) for m in e.months] == [
        ("2026-01", 40, 0, 40), ("2026-02", 30, 50, 20)]


def test_breakage_counts_points_that_expired_unspent(compile_text):
    events = [buy("p1", "a", "2026-01-02", 400), buy("p2", "b", "2026-04-01", 100)]
    (e,) = run([compile_text(BOOK)], events)
    assert (e.expired, e.outstanding) == (40, 10)
    assert e.breakage_share == pytest.approx(40 / 50)


def test_cost_is_points_kept_or_spent_at_point_value_as_a_share_of_revenue(compile_text):
    events = [buy("p1", "a", "2026-01-02", 600), redeem("x1", "a", "2026-01-03")]
    (e,) = run([compile_text(BOOK)], events)
    assert (e.redeemed, e.outstanding) == (50, 10)
    assert (e.revenue, e.cost, e.liability) == (600, 600, 100)
    assert e.cost_share == pytest.approx(1.0)


def test_refunds_lower_revenue_and_issued_points(compile_text):
    events = [buy("p1", "a", "2026-01-02", 400),
              Event(id="r1", type="refund", member="a", at=at("2026-01-05"), of="p1", amount=100)]
    (e,) = run([compile_text(BOOK)], events)
    assert (e.revenue, e.issued, e.reversed) == (300, 30, 10)


def test_a_refund_of_more_than_was_left_lowers_revenue_by_what_was_left(compile_text):
    events = [buy("p1", "a", "2026-01-02", 400),
              Event(id="r1", type="refund", member="a", at=at("2026-01-05"), of="p1", amount=99_999)]
    (e,) = run([compile_text(BOOK)], events)
    assert (e.revenue, e.issued) == (0, 0)


def test_points_a_member_owes_are_debt_and_still_a_cost(compile_text):
    events = [buy("p1", "a", "2026-01-02", 600), redeem("x1", "a", "2026-01-03"),
              Event(id="r1", type="refund", member="a", at=at("2026-01-05"), of="p1", amount=600)]
    (e,) = run([compile_text(BOOK)], events)
    assert (e.issued, e.redeemed, e.outstanding, e.debt) == (0, 50, 0, 50)
    assert e.cost == 50 * 10


def test_tier_distribution_is_taken_at_each_month_end(compile_text):
    events = [buy("p1", "a", "2026-01-02", 400), buy("p2", "b", "2026-01-03", 100),
              buy("p3", "a", "2026-02-03", 700)]
    (e,) = run([compile_text(BOOK)], events)
    assert [m.tiers for m in e.months] == [{"bronze": 2, "silver": 0}, {"bronze": 1, "silver": 1}]


def test_a_member_who_stopped_qualifying_is_counted_in_the_lower_tier_at_month_end(compile_text):
    book = "currency toman\ntier bronze\ntier silver when spend_30d >= 1000\nearn 1 point per 10 toman\n"
    events = [buy("p1", "a", "2026-01-05", 1000), buy("p2", "b", "2026-02-20", 10), buy("p3", "b", "2026-03-03", 10)]
    (e,) = run([compile_text(book)], events)
    assert [m.tiers for m in e.months] == [{"bronze": 0, "silver": 1}, {"bronze": 2, "silver": 0},
                                           {"bronze": 2, "silver": 0}]


def test_counting_tiers_at_month_end_moves_no_grace_clock(compile_text):
    book = ("currency toman\ntier bronze\ntier silver when spend_30d >= 1000\ntiers downgrade after 45 days\n"
            "earn 1 point per 10 toman\n")
    events = [buy("p1", "a", "2026-01-05", 1000), buy("p2", "b", "2026-02-20", 10), buy("p3", "a", "2026-02-21", 10)]
    (e,) = run([compile_text(book)], events)
    # a qualified at the January count too; had that count moved a's grace clock to 1 February, a would still be
    # silver on 21 February rather than 47 days past its last qualifying evaluation (5 January)
    assert [m.tiers for m in e.months] == [{"bronze": 0, "silver": 1}, {"bronze": 2, "silver": 0}]


def test_a_bonus_gets_the_points_its_factor_added_and_a_cap_the_points_it_cut(compile_text):
    program = compile_text(BOOK)
    (e,) = run([program], [buy("p1", "a", "2026-01-12", 1000)])
    points = {r.label: r.points for r in e.rules}
    assert points == {"base": 100, "promo": 100, program.caps[0].source.label: -50}
    assert e.earned == 150


def _earning(compile_text, rulebook: str, amount: int) -> Entry:
    (entry,) = Engine(compile_text(rulebook)).process(buy("p1", "a", "2026-01-02", amount)).entries
    return entry


def test_rule_parts_split_an_entry_across_rules_bonuses_and_a_cap_and_add_up(compile_text):
    entry = _earning(compile_text, """
        base: earn 1 point per 10 toman
        earn 3 points per 100 toman
        promo: bonus 2x
        bonus 1.5x
        big: cap 250 points per 30 days
    """, 1000)  # (100 + 30) × 3 = 390, capped at 250
    parts = dict(rule_parts(entry))
    assert (parts["base"], parts["line 3"], parts["big"]) == (100, 30, -140)
    assert parts["promo"] > parts["line 5"] > 0
    assert sum(parts.values()) == entry.points == 250


def test_a_bonus_gets_exactly_the_points_its_factor_added(compile_text):
    entry = _earning(compile_text, "base: earn 1 point per 10 toman\nboost: bonus 1.15x\n", 1000)
    assert rule_parts(entry) == [("base", 100), ("boost", 15)]


def test_an_unlabelled_bonus_is_named_by_its_line(compile_text):
    entry = _earning(compile_text, "base: earn 1 point per 10 toman\nbonus 1.5x\n", 1000)
    assert rule_parts(entry) == [("base", 100), ("line 2", 50)]


def test_rules_are_listed_most_points_first(compile_text):
    book = BOOK + 'welcome: earn 5 points on signup\n'
    events = [Event(id="s1", type="signup", member="a", at=at("2026-01-01")), buy("p1", "a", "2026-01-02", 400)]
    (e,) = run([compile_text(book)], events)
    assert [r.label for r in e.rules] == ["base", "welcome"]


def test_a_member_one_purchase_from_the_next_tier_is_near_it_with_the_amount_missing(compile_text):
    events = [buy("p1", "a", "2026-01-02", 900), buy("p2", "b", "2026-01-03", 100)]
    (e,) = run([compile_text(BOOK)], events)
    near = {n.id: n for n in e.near}
    assert (near["a"].next_tier, near["a"].gap, near["b"].gap) == ("silver", 100, 900)
    assert e.near_counts == {"silver": 1}


def test_a_purchase_that_lifts_a_member_past_the_next_tier_is_named_for_the_tier_it_reaches(compile_text):
    book = ("currency toman\ntier bronze\ntier silver when spend_365d >= 1000 and count_total >= 3\n"
            "tier gold when spend_365d >= 1500\nearn 1 point per 10 toman\n")
    (e,) = run([compile_text(book)], [buy("p1", "a", "2026-01-02", 600)])
    assert [(n.id, n.tier, n.next_tier, n.gap) for n in e.near] == [("a", "bronze", "gold", 900)]


def test_totals_agree_with_the_plain_simulation_on_the_retail_sample(registry):
    from rules_engine.dsl.compiler import compile_rulebook

    path = ROOT / "rulebooks" / "online-retailer.rules"
    program = compile_rulebook(path.read_text(encoding="utf-8"), str(path), registry)
    events = read_events(ROOT / "rulebooks" / "online-retailer.jsonl", program.settings.tz).events
    totals = report_json(simulate(program, events))["totals"]
    (e,) = run([program], events)
    assert (e.earned, e.redeemed, e.expired, e.reversed) == (
        totals["earned"], totals["redeemed"], totals["expired"], totals["reversed"])
    assert e.liability == totals["liability"]
    assert e.tiers == totals["tiers"]
    assert sum(r.points for r in e.rules) == e.earned


def test_the_end_of_a_jalali_run_is_given_in_jalali_with_the_gregorian_date_beside_it(compile_text):
    book = BOOK.replace("calendar gregorian", "calendar jalali").replace("promo: bonus 2x during 2026-01-10..2026-01-20\n", "")
    (e,) = run([compile_text(book)], [buy("p1", "a", "2026-03-20", 100)])
    assert e.when == "1404-12-29 12:00 (2026-03-20)"
