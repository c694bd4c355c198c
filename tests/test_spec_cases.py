"""Hand-worked cases in the style of shared/acceptance, each probing one point of the spec.

Every expected figure below was worked out by hand from spec/rule-language.md (sections 2-6),
not taken from what the engine prints; the arithmetic is in a comment next to each case.
Each case writes its rulebook and events into tmp_path and runs
`loyalty simulate RULEBOOK EVENTS --format json` through the CLI. Where the events
are in time order (a store applies them as they arrive, a simulation sorts them) and
no option changes the run, the same file is also applied to a fresh store, closed at
its last event, and `loyalty report --format json` must print the very same report.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from rules_engine.cli import main
from rules_engine.cli.design import load_program
from rules_engine.readers import read_events


# --------------------------------------------------------------------------- helpers


def simulate(tmp_path: Path, rules: str, rows: list[dict[str, Any]] | str, *extra: str, csv: bool = False) -> dict:
    """Run the CLI on a rulebook and events written into tmp_path; return the parsed JSON report."""
    rulebook = tmp_path / "rulebook.rules"
    rulebook.write_text(textwrap.dedent(rules), encoding="utf-8")
    events = tmp_path / ("events.csv" if csv else "events.jsonl")
    if isinstance(rows, str):
        events.write_text(textwrap.dedent(rows).lstrip("\n"), encoding="utf-8")
    else:
        events.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    report = json.loads(_loyalty("simulate", str(rulebook), str(events), "--format", "json", *extra))
    for m in report["members"]:  # spec §6: every figure but the balance is a non-negative total
        assert m["balance"] == m["earned"] - m["redeemed"] - m["expired"] - m["reversed"], m
        assert min(m["earned"], m["redeemed"], m["expired"], m["reversed"]) >= 0, m
    for figure in ("earned", "redeemed", "expired", "reversed", "balance"):
        assert report["totals"][figure] == sum(m[figure] for m in report["members"]), figure
    times = [e.at for e in read_events(events, load_program(str(rulebook)).settings.tz).events]
    if times and times == sorted(times) and not extra:
        db = f"sqlite:///{tmp_path / 'ledger.db'}"
        _loyalty("apply", str(rulebook), str(events), "--db", db)
        _loyalty("expire", "--db", db, "--as-of", times[-1].isoformat())
        assert json.loads(_loyalty("report", "--db", db, "--format", "json")) == report
    return report


def _loyalty(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def member(report: dict, member_id: str) -> dict:
    return {m["id"]: m for m in report["members"]}[member_id]


def Z(local: str) -> str:
    """'2026-01-01 10:00' -> '2026-01-01T10:00:00+00:00'."""
    return local.replace(" ", "T") + ":00+00:00"


def purchase(id: str, who: str, at: str, amount: float, **fields: Any) -> dict:
    return {"id": id, "type": "purchase", "member": who, "at": at, "amount": amount, **fields}


def refund(id: str, who: str, at: str, of: str, amount: float) -> dict:
    return {"id": id, "type": "refund", "member": who, "at": at, "of": of, "amount": amount}


def signup(id: str, who: str, at: str, **attrs: Any) -> dict:
    row: dict[str, Any] = {"id": id, "type": "signup", "member": who, "at": at}
    if attrs:
        row["attrs"] = attrs
    return row


def redeem(id: str, who: str, at: str, reward: str) -> dict:
    return {"id": id, "type": "redeem", "member": who, "at": at, "reward": reward}


def custom(id: str, who: str, at: str, name: str) -> dict:
    return {"id": id, "type": "event", "name": name, "member": who, "at": at}


# --------------------------------------------------------------------------- earning


def test_each_earn_rule_is_rounded_down_on_its_own_before_the_bonus_product(tmp_path: Path) -> None:
    # 10000 toman: a = 10000/3000 = 3.33 -> 3; b = 10000/1500 = 6.67 -> 6; sum 9
    # bonuses multiply first: 1.5 * 1.5 = 2.25; 9 * 2.25 = 20.25 -> 20
    # (one floor of the sum would give 10 * 2.25 = 22; a floor per bonus 9*1.5=13, 13*1.5=19)
    report = simulate(
        tmp_path,
        """
        currency toman
        a: earn 1 point per 3000 toman
        b: earn 1 point per 1500 toman
        x: bonus 1.5x
        y: bonus 1.5x
        """,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 10000)],
    )
    assert report["totals"]["earned"] == 20
    assert member(report, "m1")["balance"] == 20


def test_the_cap_clamps_the_floored_bonus_result_with_room_left_by_earlier_events(tmp_path: Path) -> None:
    # p1: 3 + 6 = 9, x2.25 = 20.25 -> 20; room 30 - 0 -> 20
    # p2 next day: 20 again, room 30 - 20 = 10 -> 10     earned 30
    report = simulate(
        tmp_path,
        """
        a: earn 1 point per 3000 toman
        b: earn 1 point per 1500 toman
        x: bonus 1.5x
        y: bonus 1.5x
        cap 30 points per 30 days
        """,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 10000),
            purchase("p2", "m1", Z("2026-01-02 10:00"), 10000),
        ],
    )
    assert report["totals"]["earned"] == 30
    assert member(report, "m1")["balance"] == 30


def test_the_cap_window_rolls_over_the_last_n_days(tmp_path: Path) -> None:
    # cap 100 per 7 days, 1 point per 1000
    # p1 01-01 10:00 60k -> 60 (window empty)
    # p2 01-03 10:00 70k -> 70, room 100 - 60 = 40 -> 40
    # p3 01-08 11:00 100k -> 100; window (01-01 11:00, 01-08 11:00] holds p2 only: room 60 -> 60
    # p4 01-10 11:00 50k -> 50; window (01-03 11:00, ...] holds p3 only: room 40 -> 40
    # earned 60 + 40 + 60 + 40 = 200
    report = simulate(
        tmp_path,
        """
        earn 1 point per 1000 toman
        cap 100 points per 7 days
        """,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 60000),
            purchase("p2", "m1", Z("2026-01-03 10:00"), 70000),
            purchase("p3", "m1", Z("2026-01-08 11:00"), 100000),
            purchase("p4", "m1", Z("2026-01-10 11:00"), 50000),
        ],
    )
    assert report["totals"]["earned"] == 200


def test_points_earned_exactly_one_cap_window_ago_no_longer_count(tmp_path: Path) -> None:
    # windows are (t - N days, t]: p1 at 01-01 10:00 earns 100 (the whole cap);
    # p2 at 01-08 10:00 is exactly 7 days later, p1 is outside its window -> room 100 -> 100
    report = simulate(
        tmp_path,
        """
        earn 1 point per 1000 toman
        cap 100 points per 7 days
        """,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 100000),
            purchase("p2", "m1", Z("2026-01-08 10:00"), 100000),
        ],
    )
    assert report["totals"]["earned"] == 200


def test_signup_points_count_against_the_cap(tmp_path: Path) -> None:
    # signup 50; p1 100k -> 100, room 120 - 50 = 70 -> 70    earned 120
    report = simulate(
        tmp_path,
        """
        earn 1 point per 1000 toman
        earn 50 points on signup
        cap 120 points per 30 days
        """,
        [signup("s1", "m1", Z("2026-01-01 10:00")), purchase("p1", "m1", Z("2026-01-02 10:00"), 100000)],
    )
    assert member(report, "m1")["earned"] == 120


def test_a_bonus_period_is_read_in_the_rulebook_timezone(tmp_path: Path) -> None:
    # 1405-01-01 = 2026-03-21. Tehran is UTC+03:30.
    # m1 at 2026-03-20 23:30 UTC = 03-21 03:00 Tehran = 1405-01-01 -> in period: 10 x 3 = 30
    # m2 at 2026-03-20 20:00 UTC = 03-20 23:30 Tehran = 1404-12-29 -> not in period: 10
    report = simulate(
        tmp_path,
        """
        currency toman
        calendar jalali
        timezone "Asia/Tehran"
        earn 1 point per 10000 toman
        nowruz: bonus 3x during 1405-01-01..1405-01-13
        """,
        [
            purchase("p1", "m1", "2026-03-20T23:30:00+00:00", 100000),
            purchase("p2", "m2", "2026-03-20T20:00:00+00:00", 100000),
        ],
    )
    assert member(report, "m1")["earned"] == 30
    assert member(report, "m2")["earned"] == 10


def test_a_bonus_period_includes_its_whole_last_local_day(tmp_path: Path) -> None:
    # 1405-01-13 = 2026-04-02.
    # m1 at 04-02 20:29 UTC = 23:59 Tehran on 1405-01-13 -> 30
    # m2 at 04-02 20:30 UTC = 04-03 00:00 Tehran = 1405-01-14 -> 10
    report = simulate(
        tmp_path,
        """
        calendar jalali
        timezone "Asia/Tehran"
        earn 1 point per 10000 toman
        nowruz: bonus 3x during 1405-01-01..1405-01-13
        """,
        [
            purchase("p1", "m1", "2026-04-02T20:29:00+00:00", 100000),
            purchase("p2", "m2", "2026-04-02T20:30:00+00:00", 100000),
        ],
    )
    assert member(report, "m1")["earned"] == 30
    assert member(report, "m2")["earned"] == 10


def test_an_earn_rule_during_a_period_uses_the_local_date(tmp_path: Path) -> None:
    # earn 100 during 1405-01-01..1405-01-01 (2026-03-21 Tehran)
    # m1 at 03-20 21:00 UTC = 03-21 00:30 Tehran -> 100;  m2 at 03-21 21:00 UTC = 03-22 00:30 Tehran -> 0
    report = simulate(
        tmp_path,
        """
        calendar jalali
        timezone "Asia/Tehran"
        earn 100 points during 1405-01-01..1405-01-01
        """,
        [
            purchase("p1", "m1", "2026-03-20T21:00:00+00:00", 1000),
            purchase("p2", "m2", "2026-03-21T21:00:00+00:00", 1000),
        ],
    )
    assert member(report, "m1")["earned"] == 100
    assert member(report, "m2")["earned"] == 0


ITEMS = [
    {"sku": "COF-1", "category": "coffee", "qty": 2, "price": 90000},
    {"sku": "COF-2", "category": "coffee", "qty": 1, "price": 15000},
    {"sku": "CAKE-1", "category": "cake", "qty": 3, "price": 50000},
]


def test_of_items_where_sums_qty_times_price_of_matching_items(tmp_path: Path) -> None:
    # coffee: 2*90000 + 1*15000 = 195000 -> 2 * 19.5 = 39
    # pricey (price >= 50000): 2*90000 + 3*50000 = 330000 -> 33     total 72
    report = simulate(
        tmp_path,
        """
        coffee: earn 2 points per 10000 toman of items where category == "coffee"
        pricey: earn 1 point per 10000 toman of items where price >= 50000
        """,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 345000, items=ITEMS)],
    )
    assert report["totals"]["earned"] == 72


def test_per_item_where_earns_per_unit_of_matching_qty(tmp_path: Path) -> None:
    # pastry: 5 * qty 3 = 15;  bulk (qty >= 2): 1 * (2 + 3) = 5      total 20
    report = simulate(
        tmp_path,
        """
        pastry: earn 5 points per item where category == "cake"
        bulk: earn 1 point per item where qty >= 2
        """,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 345000, items=ITEMS)],
    )
    assert report["totals"]["earned"] == 20


def test_flat_earn_when_first_purchase_pays_only_the_first_purchase(tmp_path: Path) -> None:
    # p1: 10 + 100; p2: 10     total 120
    report = simulate(
        tmp_path,
        """
        earn 1 point per 10000 toman
        earn 100 points when first_purchase
        """,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 100000),
            purchase("p2", "m1", Z("2026-01-02 10:00"), 100000),
        ],
    )
    assert member(report, "m1")["earned"] == 120


def test_events_are_processed_in_time_order_not_file_order(tmp_path: Path) -> None:
    # pb is first in the file but at 12:00+03:30 = 08:30 UTC; pa is at 08:00 UTC, so pa is the first
    # purchase: 200k -> 20 points; pb earns nothing
    report = simulate(
        tmp_path,
        """
        earn 1 point per 10000 toman when first_purchase
        """,
        [
            purchase("pb", "m1", "2026-01-01T12:00:00+03:30", 100000),
            purchase("pa", "m1", "2026-01-01T08:00:00+00:00", 200000),
        ],
    )
    assert member(report, "m1")["earned"] == 20


def test_signup_and_custom_events_earn_and_a_plain_bonus_multiplies_only_purchases(tmp_path: Path) -> None:
    # s1 signup 50 (bonus without `on` is about purchases); e1 survey 20; e2 other event 0;
    # p1 100k -> 10 x 2 = 20; s2 a second signup earns nothing           total 90
    report = simulate(
        tmp_path,
        """
        earn 1 point per 10000 toman
        earn 50 points on signup
        earn 20 points on event "survey_completed"
        x2: bonus 2x
        """,
        [
            signup("s1", "m1", Z("2026-01-01 10:00")),
            custom("e1", "m1", Z("2026-01-02 10:00"), "survey_completed"),
            custom("e2", "m1", Z("2026-01-03 10:00"), "other"),
            purchase("p1", "m1", Z("2026-01-04 10:00"), 100000),
            signup("s2", "m1", Z("2026-01-05 10:00")),
        ],
    )
    assert member(report, "m1")["earned"] == 90
    assert report["totals"]["events"] == 5


def test_a_bonus_on_a_custom_event_multiplies_that_event(tmp_path: Path) -> None:
    # survey 20 x 3 = 60
    report = simulate(
        tmp_path,
        """
        earn 20 points on event "survey_completed"
        bonus 3x on event "survey_completed"
        """,
        [custom("e1", "m1", Z("2026-01-02 10:00"), "survey_completed")],
    )
    assert member(report, "m1")["earned"] == 60


def test_signup_earning_reads_the_attributes_it_carries(tmp_path: Path) -> None:
    # m1 signs up from Shiraz -> 50; m2 from Tehran -> 0
    report = simulate(
        tmp_path,
        """
        earn 50 points on signup when member.city == "Shiraz"
        """,
        [signup("s1", "m1", Z("2026-01-01 10:00"), city="Shiraz"), signup("s2", "m2", Z("2026-01-01 11:00"), city="Tehran")],
    )
    assert member(report, "m1")["earned"] == 50
    assert member(report, "m2")["earned"] == 0


def test_spend_window_in_an_earn_condition_includes_this_purchase(tmp_path: Path) -> None:
    # p1 1m: spend_7d = 1m (this event included) -> 100 + 100 = 200
    report = simulate(
        tmp_path,
        """
        earn 1 point per 10000 toman
        big: earn 100 points when spend_7d >= 1m
        """,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 1000000)],
    )
    assert member(report, "m1")["earned"] == 200


def test_points_in_a_condition_is_the_balance_before_the_event(tmp_path: Path) -> None:
    # p1 1m -> 100 (points before = 0, no bonus); p2 100k -> 10, points before = 100 -> x2 = 20
    report = simulate(
        tmp_path,
        """
        earn 1 point per 10000 toman
        rich: bonus 2x when points >= 100
        """,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 1000000), purchase("p2", "m1", Z("2026-01-02 10:00"), 100000)],
    )
    assert member(report, "m1")["earned"] == 120


# --------------------------------------------------------------------------- referral


REFERRAL = """
earn 1 point per 10000 toman
earn 500 points on referral
"""


def test_the_referrer_earns_when_the_referred_members_first_purchase_completes(tmp_path: Path) -> None:
    # s1, s2 earn nothing; p1 (m2's first) -> m2 10, m1 500 (derived, not counted as an event);
    # p2 -> m2 10, no second referral
    report = simulate(
        tmp_path,
        REFERRAL,
        [
            signup("s1", "m1", Z("2026-01-01 10:00")),
            signup("s2", "m2", Z("2026-01-02 10:00"), referred_by="m1"),
            purchase("p1", "m2", Z("2026-01-03 10:00"), 100000),
            purchase("p2", "m2", Z("2026-01-04 10:00"), 100000),
        ],
    )
    assert report["totals"]["events"] == 4
    assert report["totals"]["members"] == 2
    assert report["totals"]["earned"] == 520
    assert member(report, "m1")["earned"] == 500
    assert member(report, "m2")["earned"] == 20


def test_refunding_the_first_purchase_keeps_the_referral_bonus(tmp_path: Path) -> None:
    # p1 -> m2 10, m1 500; r1 refunds p1 in full -> m2 reverses 10; m1 keeps 500
    report = simulate(
        tmp_path,
        REFERRAL,
        [
            signup("s1", "m1", Z("2026-01-01 10:00")),
            signup("s2", "m2", Z("2026-01-02 10:00"), referred_by="m1"),
            purchase("p1", "m2", Z("2026-01-03 10:00"), 100000),
            refund("r1", "m2", Z("2026-01-04 10:00"), "p1", 100000),
        ],
    )
    assert member(report, "m1")["balance"] == 500
    assert member(report, "m1")["reversed"] == 0
    assert member(report, "m2")["balance"] == 0
    assert member(report, "m2")["reversed"] == 10
    assert report["totals"]["reversed"] == 10


def test_a_referral_bonus_is_clamped_by_the_referrers_cap(tmp_path: Path) -> None:
    # m1: p0 100k -> 10; referral 500 clamped to 300 - 10 = 290    m1 earned 300
    report = simulate(
        tmp_path,
        REFERRAL + "cap 300 points per 30 days\n",
        [
            purchase("p0", "m1", Z("2026-01-01 09:00"), 100000),
            signup("s2", "m2", Z("2026-01-02 10:00"), referred_by="m1"),
            purchase("p1", "m2", Z("2026-01-03 10:00"), 100000),
        ],
    )
    assert member(report, "m1")["earned"] == 300


# --------------------------------------------------------------------------- refunds

ONE_PER_1000 = """
earn 1 point per 1000 toman
"""


def test_partial_refunds_add_up_and_reverse_the_floor_of_the_refunded_share(tmp_path: Path) -> None:
    # p1 7500 -> 7; r1 1000: floor(7*1000/7500) = 0 -> nothing;
    # r2 1000: floor(7*2000/7500) = floor(1.87) = 1 -> reverse 1.   balance 6, spend 5500
    report = simulate(
        tmp_path,
        ONE_PER_1000,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 7500),
            refund("r1", "m1", Z("2026-01-02 10:00"), "p1", 1000),
            refund("r2", "m1", Z("2026-01-03 10:00"), "p1", 1000),
        ],
    )
    m1 = member(report, "m1")
    assert (m1["reversed"], m1["balance"], m1["spend_total"]) == (1, 6, 5500)


def test_partial_refunds_that_add_up_to_the_whole_purchase_reverse_all_of_it(tmp_path: Path) -> None:
    # p1 7500 -> 7; refunds 1000 (0), 1000 (1), 5500 -> refunded 7500 -> 7, reverse 6.   reversed 7
    report = simulate(
        tmp_path,
        ONE_PER_1000,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 7500),
            refund("r1", "m1", Z("2026-01-02 10:00"), "p1", 1000),
            refund("r2", "m1", Z("2026-01-03 10:00"), "p1", 1000),
            refund("r3", "m1", Z("2026-01-04 10:00"), "p1", 5500),
        ],
    )
    m1 = member(report, "m1")
    assert (m1["reversed"], m1["balance"], m1["spend_total"]) == (7, 0, 0)


def test_an_over_refund_only_refunds_what_is_left(tmp_path: Path) -> None:
    # p1 100k -> 100; r1 60k -> 60; r2 60k: only 40k left -> refunded 100k -> 100, reverse 40
    report = simulate(
        tmp_path,
        ONE_PER_1000,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 100000),
            refund("r1", "m1", Z("2026-01-02 10:00"), "p1", 60000),
            refund("r2", "m1", Z("2026-01-03 10:00"), "p1", 60000),
        ],
    )
    m1 = member(report, "m1")
    assert (m1["reversed"], m1["balance"], m1["spend_total"]) == (100, 0, 0)
    assert report["totals"]["reversed"] == 100


def test_a_refund_reverses_a_share_of_everything_the_purchase_earned(tmp_path: Path) -> None:
    # p1 100k -> 100 + 100 (first purchase) = 200; refund 25k -> floor(200 * 25/100) = 50
    report = simulate(
        tmp_path,
        """
        earn 1 point per 1000 toman
        earn 100 points when first_purchase
        """,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 100000), refund("r1", "m1", Z("2026-01-02 10:00"), "p1", 25000)],
    )
    m1 = member(report, "m1")
    assert (m1["earned"], m1["reversed"], m1["balance"]) == (200, 50, 150)


def test_a_refund_of_a_capped_purchase_reverses_a_share_of_what_it_actually_earned(tmp_path: Path) -> None:
    # p1 100k -> 100 capped to 50; refund 50k -> floor(50 * 1/2) = 25
    report = simulate(
        tmp_path,
        """
        earn 1 point per 1000 toman
        cap 50 points per 30 days
        """,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 100000), refund("r1", "m1", Z("2026-01-02 10:00"), "p1", 50000)],
    )
    m1 = member(report, "m1")
    assert (m1["earned"], m1["reversed"], m1["balance"]) == (50, 25, 25)


EXPIRING = """
earn 1 point per 1000 toman
points expire after 30 days
reward half "Half" costs 50 points gives product(sku: "H")
reward mug "Mug" costs 100 points gives product(sku: "MUG")
reward big "Big" costs 150 points gives product(sku: "BIG")
"""


def test_a_refund_takes_from_its_own_purchases_lot_before_earlier_lots(tmp_path: Path) -> None:
    # p1 01-01 -> lot A 100 (expires 01-31); p2 01-10 -> lot B 100 (expires 02-09)
    # x1 half 01-11 takes 50 from A (earliest expiry): A 50, B 100
    # r1 refunds p2 in full 01-12: reverse 100 from B (its own lot): A 50, B 0
    # as_of 02-05: A's 50 expired at 01-31.   expired 50, balance 0
    report = simulate(
        tmp_path,
        EXPIRING,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 100000),
            purchase("p2", "m1", Z("2026-01-10 10:00"), 100000),
            redeem("x1", "m1", Z("2026-01-11 10:00"), "half"),
            refund("r1", "m1", Z("2026-01-12 10:00"), "p2", 100000),
        ],
        "--as-of",
        "2026-02-05T00:00:00+00:00",
    )
    m1 = member(report, "m1")
    assert (m1["earned"], m1["redeemed"], m1["reversed"], m1["expired"], m1["balance"]) == (200, 50, 100, 50, 0)


def test_a_refund_takes_what_its_own_lot_lacks_from_the_earliest_expiring_lot(tmp_path: Path) -> None:
    # p1 01-01 -> A 100 (exp 01-31); p2 01-05 -> B 100 (exp 02-04)
    # x1 big (150) 01-06: A 0, B 50
    # p3 01-10 -> C 100 (exp 02-09 10:00); p4 01-20 -> D 100 (exp 02-19)
    # r1 refunds p2 in full 01-21: reverse 100 = B's 50, then 50 from C (earliest): C 50, D 100
    # as_of 02-10: C's 50 expired.  earned 400, redeemed 150, reversed 100, expired 50, balance 100
    report = simulate(
        tmp_path,
        EXPIRING,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 100000),
            purchase("p2", "m1", Z("2026-01-05 10:00"), 100000),
            redeem("x1", "m1", Z("2026-01-06 10:00"), "big"),
            purchase("p3", "m1", Z("2026-01-10 10:00"), 100000),
            purchase("p4", "m1", Z("2026-01-20 10:00"), 100000),
            refund("r1", "m1", Z("2026-01-21 10:00"), "p2", 100000),
        ],
        "--as-of",
        "2026-02-10T00:00:00+00:00",
    )
    m1 = member(report, "m1")
    assert (m1["earned"], m1["redeemed"], m1["reversed"], m1["expired"], m1["balance"]) == (400, 150, 100, 50, 100)


def test_a_refund_of_spent_points_leaves_a_debt_that_the_next_lot_repays(tmp_path: Path) -> None:
    # p1 01-01 -> 100; x1 mug -100 -> 0; r1 refunds p1 -> reverse 100 -> balance -100 (debt)
    # p2 01-04 150k -> 150: repays 100, lot keeps 50 (expires 02-03)
    # as_of 02-10: the lot's 50 expire.   earned 250, redeemed 100, reversed 100, expired 50, balance 0
    report = simulate(
        tmp_path,
        EXPIRING,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 100000),
            redeem("x1", "m1", Z("2026-01-02 10:00"), "mug"),
            refund("r1", "m1", Z("2026-01-03 10:00"), "p1", 100000),
            purchase("p2", "m1", Z("2026-01-04 10:00"), 150000),
        ],
        "--as-of",
        "2026-02-10T00:00:00+00:00",
    )
    m1 = member(report, "m1")
    assert (m1["earned"], m1["redeemed"], m1["reversed"], m1["expired"], m1["balance"]) == (250, 100, 100, 50, 0)


def test_a_member_in_debt_cannot_redeem(tmp_path: Path) -> None:
    # debt -100 after r1; p2 50k -> 50 -> balance -50; x2 half (50) -> insufficient_points
    report = simulate(
        tmp_path,
        EXPIRING,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 100000),
            redeem("x1", "m1", Z("2026-01-02 10:00"), "mug"),
            refund("r1", "m1", Z("2026-01-03 10:00"), "p1", 100000),
            purchase("p2", "m1", Z("2026-01-04 10:00"), 50000),
            redeem("x2", "m1", Z("2026-01-05 10:00"), "half"),
        ],
    )
    assert member(report, "m1")["balance"] == -50
    assert report["totals"]["rejected"] == 1
    assert report["totals"]["balance"] == -50
    assert report["totals"]["liability"] == 0


def test_member_spend_total_is_purchases_minus_refunds(tmp_path: Path) -> None:
    # 250000 + 100000 - 90000 = 260000
    report = simulate(
        tmp_path,
        ONE_PER_1000,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 250000),
            purchase("p2", "m1", Z("2026-01-02 10:00"), 100000),
            refund("r1", "m1", Z("2026-01-03 10:00"), "p1", 90000),
        ],
    )
    assert member(report, "m1")["spend_total"] == 260000


# --------------------------------------------------------------------------- expiry


def test_points_expire_at_exactly_their_expiry_time(tmp_path: Path) -> None:
    # lots expire 30 days after 01-01 10:00 = 01-31 10:00 (expires_at <= t)
    # m1 redeems at 01-31 10:00: catch-up expires the 100 first -> insufficient_points
    # m2 redeems at 01-31 09:59: 100 still there -> redeemed
    report = simulate(
        tmp_path,
        EXPIRING,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 100000),
            purchase("q1", "m2", Z("2026-01-01 10:00"), 100000),
            redeem("y1", "m2", Z("2026-01-31 09:59"), "mug"),
            redeem("x1", "m1", Z("2026-01-31 10:00"), "mug"),
        ],
    )
    assert (member(report, "m1")["expired"], member(report, "m1")["redeemed"]) == (100, 0)
    assert (member(report, "m2")["expired"], member(report, "m2")["redeemed"]) == (0, 100)
    assert report["totals"]["rejected"] == 1


def test_month_expiry_is_cut_to_the_end_of_a_shorter_month(tmp_path: Path) -> None:
    # 1 month after 2026-01-31 10:00 is 2026-02-28 10:00 (m1); after 01-31 11:00 is 02-28 11:00 (m2)
    # as_of 02-28 10:30: m1's 100 expired, m2's not   (30 days would be 03-02, 28 days both)
    report = simulate(
        tmp_path,
        """
        earn 1 point per 1000 toman
        points expire after 1 month
        """,
        [
            purchase("p1", "m1", Z("2026-01-31 10:00"), 100000),
            purchase("q1", "m2", Z("2026-01-31 11:00"), 100000),
        ],
        "--as-of",
        "2026-02-28T10:30:00+00:00",
    )
    assert member(report, "m1")["expired"] == 100
    assert member(report, "m2")["expired"] == 0


def test_month_expiry_follows_the_jalali_calendar_in_the_rulebook_timezone(tmp_path: Path) -> None:
    # m1 earns 1404-01-31 10:00 Tehran (2025-04-20) -> expires 1404-02-31 10:00 (2025-05-21 10:00)
    # m2 earns 1404-02-01 09:00 Tehran (2025-04-21) -> expires 1404-03-01 09:00 (2025-05-22 09:00)
    # as_of 2025-05-21 10:00 Tehran: m1 expired (at exactly as_of), m2 not.
    # (Gregorian months would expire m2 on 05-21 09:00; 30 days would expire both.)
    report = simulate(
        tmp_path,
        """
        calendar jalali
        timezone "Asia/Tehran"
        earn 1 point per 1000 toman
        points expire after 1 month
        """,
        [
            purchase("p1", "m1", "2025-04-20T10:00:00+03:30", 100000),
            purchase("q1", "m2", "2025-04-21T09:00:00+03:30", 100000),
        ],
        "--as-of",
        "2025-05-21T10:00:00+03:30",
    )
    assert member(report, "m1")["expired"] == 100
    assert member(report, "m2")["expired"] == 0


def test_the_final_catch_up_expires_points_after_a_members_last_event(tmp_path: Path) -> None:
    # m1's 100 (01-01) expire 01-31; the simulation ends at the last event (m2, 02-15)
    report = simulate(
        tmp_path,
        EXPIRING,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 100000), purchase("q1", "m2", Z("2026-02-15 10:00"), 50000)],
    )
    assert report["as_of"].startswith("2026-02-15T10:00:00")
    assert member(report, "m1")["expired"] == 100
    assert report["totals"]["expired"] == 100
    assert report["totals"]["balance"] == 50


def test_as_of_before_the_last_event_leaves_later_events_unapplied(tmp_path: Path) -> None:
    # as_of 01-05: only p1 (100) applies; p2 and m2's q1 (01-10) are after as_of, so m2 never joins.
    # All three rows were read: events 3
    report = simulate(
        tmp_path,
        EXPIRING,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 100000),
            purchase("p2", "m1", Z("2026-01-10 10:00"), 100000),
            purchase("q1", "m2", Z("2026-01-10 10:00"), 100000),
        ],
        "--as-of",
        "2026-01-05T00:00:00+00:00",
    )
    assert report["as_of"] == "2026-01-05T00:00:00+00:00"
    assert (report["totals"]["earned"], report["totals"]["members"], report["totals"]["events"]) == (100, 1, 3)
    assert member(report, "m1")["spend_total"] == 100000


def test_as_of_after_the_last_event_runs_expiry_and_downgrades(tmp_path: Path) -> None:
    # p1 01-01 1m -> 100, gold. as_of 02-15: the lot expired 01-31, spend_30d = 0 -> bronze
    report = simulate(
        tmp_path,
        """
        tier bronze
        tier gold when spend_30d >= 1m
        earn 1 point per 10000 toman
        points expire after 30 days
        """,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 1000000)],
        "--as-of",
        "2026-02-15T00:00:00+00:00",
    )
    assert member(report, "m1")["expired"] == 100
    assert member(report, "m1")["tier"] == "bronze"
    assert report["totals"]["tiers"] == {"bronze": 1, "gold": 0}


# --------------------------------------------------------------------------- redemption


def test_every_refused_redemption_is_counted_in_rejected_and_writes_nothing(tmp_path: Path) -> None:
    # p1 200k -> 200; x1 mug ok (-100); x2 mug limit_reached; x3 vip not_eligible (bronze);
    # x4 big insufficient_points (100 < 1000); x5 nope unknown_reward.   rejected 4, balance 100
    report = simulate(
        tmp_path,
        """
        tier bronze
        tier silver when spend_total >= 1m
        earn 1 point per 1000 toman
        reward mug "Mug" costs 100 points gives product(sku: "MUG") limit 1 per member
        reward vip "VIP" costs 10 points gives product(sku: "VIP") when tier >= silver
        reward big "Big" costs 1000 points gives product(sku: "BIG")
        """,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 200000),
            redeem("x1", "m1", Z("2026-01-02 10:00"), "mug"),
            redeem("x2", "m1", Z("2026-01-03 10:00"), "mug"),
            redeem("x3", "m1", Z("2026-01-04 10:00"), "vip"),
            redeem("x4", "m1", Z("2026-01-05 10:00"), "big"),
            redeem("x5", "m1", Z("2026-01-06 10:00"), "nope"),
        ],
    )
    assert report["totals"]["rejected"] == 4
    assert report["totals"]["events"] == 6
    m1 = member(report, "m1")
    assert (m1["redeemed"], m1["balance"]) == (100, 100)


def test_a_redemption_takes_points_from_the_earliest_expiring_lot(tmp_path: Path) -> None:
    # A 100 (01-01, exp 01-31), B 100 (01-20, exp 02-19); x1 mug at 01-21 takes A.
    # as_of 02-05: A is empty when it expires, B still open -> expired 0, balance 100
    report = simulate(
        tmp_path,
        EXPIRING,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 100000),
            purchase("p2", "m1", Z("2026-01-20 10:00"), 100000),
            redeem("x1", "m1", Z("2026-01-21 10:00"), "mug"),
        ],
        "--as-of",
        "2026-02-05T00:00:00+00:00",
    )
    m1 = member(report, "m1")
    assert (m1["expired"], m1["balance"]) == (0, 100)


def test_an_event_for_an_unknown_member_enrolls_it(tmp_path: Path) -> None:
    # m9 is unknown: the redeem enrolls m9 (balance 0) and is refused (insufficient_points)
    report = simulate(tmp_path, EXPIRING, [redeem("x1", "m9", Z("2026-01-01 10:00"), "mug")])
    assert report["totals"]["members"] == 1
    assert report["totals"]["rejected"] == 1
    assert member(report, "m9")["balance"] == 0


# --------------------------------------------------------------------------- tiers

GOLD_30D = """
tier bronze
tier gold when spend_30d >= 1m
earn 1 point per 10000 toman
vip: bonus 2x when tier >= gold
"""


def test_the_tier_read_by_a_condition_is_the_one_before_the_event(tmp_path: Path) -> None:
    # p1 1m: tier before = bronze -> 100 (then gold); p2 10k: tier before = gold -> 1 x 2 = 2
    report = simulate(
        tmp_path,
        GOLD_30D,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 1000000), purchase("p2", "m1", Z("2026-01-02 10:00"), 10000)],
    )
    m1 = member(report, "m1")
    assert (m1["earned"], m1["tier"]) == (102, "gold")


def test_a_spend_window_drops_a_purchase_exactly_n_days_later(tmp_path: Path) -> None:
    # windows are (t - 30 days, t].
    # m2: p1 01-01 10:00 1m -> 100, gold; p2 01-31 09:59: p1 still in window, tier before gold -> 2
    # m1: p1 01-01 10:00 1m -> 100, gold; p2 01-31 10:00: catch-up drops p1 -> bronze before the
    #     event (no grace) -> 1
    report = simulate(
        tmp_path,
        GOLD_30D,
        [
            purchase("a1", "m1", Z("2026-01-01 10:00"), 1000000),
            purchase("b1", "m2", Z("2026-01-01 10:00"), 1000000),
            purchase("b2", "m2", Z("2026-01-31 09:59"), 10000),
            purchase("a2", "m1", Z("2026-01-31 10:00"), 10000),
        ],
    )
    assert member(report, "m1")["earned"] == 101
    assert member(report, "m2")["earned"] == 102


def test_a_count_window_stops_counting_a_purchase_refunded_in_full(tmp_path: Path) -> None:
    # silver when count_7d >= 3.
    # m1: 3 purchases 01-01..01-03 -> silver; r1 refunds a3 in full 01-04 -> count 2 -> bronze at once
    # m2: 3 purchases -> silver; a partial refund of b3 01-05 keeps the count at 3 -> silver
    report = simulate(
        tmp_path,
        """
        tier bronze
        tier silver when count_7d >= 3
        earn 1 point per 10000 toman
        """,
        [
            purchase("a1", "m1", Z("2026-01-01 10:00"), 10000),
            purchase("a2", "m1", Z("2026-01-02 10:00"), 10000),
            purchase("a3", "m1", Z("2026-01-03 10:00"), 10000),
            purchase("b1", "m2", Z("2026-01-01 11:00"), 10000),
            purchase("b2", "m2", Z("2026-01-02 11:00"), 10000),
            purchase("b3", "m2", Z("2026-01-03 11:00"), 10000),
            refund("r1", "m1", Z("2026-01-04 10:00"), "a3", 10000),
            refund("r2", "m2", Z("2026-01-05 10:00"), "b3", 5000),
        ],
    )
    assert member(report, "m1")["tier"] == "bronze"
    assert member(report, "m2")["tier"] == "silver"
    assert report["totals"]["tiers"] == {"bronze": 1, "silver": 1}


def test_a_refund_lowers_spend_and_drops_the_tier_at_once_without_grace(tmp_path: Path) -> None:
    # p1 1m -> gold; r1 1 toman -> spend_30d 999999 -> bronze
    report = simulate(
        tmp_path,
        GOLD_30D,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 1000000), refund("r1", "m1", Z("2026-01-02 10:00"), "p1", 1)],
    )
    m1 = member(report, "m1")
    assert (m1["tier"], m1["spend_total"]) == ("bronze", 999999)


def test_a_count_total_tier_upgrades_at_once_on_the_qualifying_purchase(tmp_path: Path) -> None:
    # gold when count_total >= 2: p2 makes it 2 -> gold after p2; p3's bonus sees gold: 1 + 1 + 2
    report = simulate(
        tmp_path,
        """
        tier bronze
        tier gold when count_total >= 2
        earn 1 point per 10000 toman
        vip: bonus 2x when tier >= gold
        """,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 10000),
            purchase("p2", "m1", Z("2026-01-02 10:00"), 10000),
            purchase("p3", "m1", Z("2026-01-03 10:00"), 10000),
        ],
    )
    assert member(report, "m1")["earned"] == 4
    assert member(report, "m1")["tier"] == "gold"


GRACE = """
tier bronze
tier silver when spend_30d >= 1m
tier gold when spend_30d >= 3m
tiers downgrade after 60 days
earn 1 point per 10000 toman
"""


def test_after_a_graced_downgrade_the_grace_clock_runs_from_the_downgrade(tmp_path: Path) -> None:
    # day 0 (01-01) p1 3m -> gold                                   last qualifying >= gold: day 0
    # day 10 (01-11) p2 1m: spend_30d 4m -> gold                    last: day 10
    # day 50 (02-20) p3 1m: window (01-21, 02-20] = 1m -> silver; 40 < 60 -> stays gold
    # day 75 (03-17) p4 10k: catch-up: window holds p3 -> silver, 65 >= 60 -> down to silver;
    #                after the event 1.01m -> silver (at or above silver): last = day 75
    # day 100 (04-11) p5 10k: qualified bronze, 100 - 75 = 25 < 60 -> stays silver (also at as_of)
    # points 300 + 100 + 100 + 1 + 1 = 502
    report = simulate(
        tmp_path,
        GRACE,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 3000000),
            purchase("p2", "m1", Z("2026-01-11 10:00"), 1000000),
            purchase("p3", "m1", Z("2026-02-20 10:00"), 1000000),
            purchase("p4", "m1", Z("2026-03-17 10:00"), 10000),
            purchase("p5", "m1", Z("2026-04-11 10:00"), 10000),
        ],
    )
    m1 = member(report, "m1")
    assert (m1["earned"], m1["tier"]) == (502, "silver")


def test_with_grace_an_event_while_still_qualifying_restarts_the_grace_clock(tmp_path: Path) -> None:
    # gold when spend_30d >= 3m, grace 60 days.
    # day 0 p1 3m -> gold; day 29 (01-30) a custom event: spend_30d still 3m -> qualifies: last = 29
    # day 70 (03-12) p2 10k: qualified bronze, 70 - 29 = 41 < 60 -> stays gold (and at as_of)
    report = simulate(
        tmp_path,
        GRACE,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 3000000),
            custom("e1", "m1", Z("2026-01-30 10:00"), "visit"),
            purchase("p2", "m1", Z("2026-03-12 10:00"), 10000),
        ],
    )
    assert member(report, "m1")["tier"] == "gold"


def test_with_grace_a_downgrade_goes_straight_to_the_qualified_tier(tmp_path: Path) -> None:
    # day 0 p1 3m -> gold; day 61 (03-03) p2 10k: qualified bronze, 61 >= 60 -> bronze (not silver)
    report = simulate(
        tmp_path,
        GRACE,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 3000000), purchase("p2", "m1", Z("2026-03-03 10:00"), 10000)],
    )
    assert member(report, "m1")["tier"] == "bronze"
    assert report["totals"]["tiers"] == {"bronze": 1, "silver": 0, "gold": 0}


def test_totals_tiers_lists_every_tier_in_rank_order(tmp_path: Path) -> None:
    # m1 1m -> silver? no: silver needs 1m -> silver; m2 3m -> gold; m3 10k -> bronze
    report = simulate(
        tmp_path,
        GRACE,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 1000000),
            purchase("p2", "m2", Z("2026-01-01 10:00"), 3000000),
            purchase("p3", "m3", Z("2026-01-01 10:00"), 10000),
        ],
    )
    assert list(report["totals"]["tiers"].items()) == [("bronze", 1), ("silver", 1), ("gold", 1)]


# --------------------------------------------------------------------------- duplicates


def test_the_same_event_twice_is_a_duplicate_counted_in_events(tmp_path: Path) -> None:
    # p1 twice: applied once (10), events 2, duplicates 1
    p1 = purchase("p1", "m1", Z("2026-01-01 10:00"), 100000)
    report = simulate(tmp_path, "earn 1 point per 10000 toman\n", [p1, p1])
    assert report["totals"]["events"] == 2
    assert report["totals"]["duplicates"] == 1
    assert report["totals"]["earned"] == 10


def test_a_repeated_id_with_other_content_is_still_a_duplicate(tmp_path: Path) -> None:
    # spec §5: "An event id seen before is a duplicate: ignored, reported, never applied twice."
    # p1 then p1 again with another amount: applied once (10), events 2, duplicates 1
    report = simulate(
        tmp_path,
        "earn 1 point per 10000 toman\n",
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 100000),
            purchase("p1", "m1", Z("2026-01-02 10:00"), 500000),
        ],
    )
    assert report["totals"]["earned"] == 10
    assert report["totals"]["events"] == 2
    assert report["totals"]["duplicates"] == 1
    assert report["totals"]["conflicts"] == 1  # our extra figure: the part of duplicates to look into


def test_the_same_event_resent_with_its_time_written_differently_is_a_duplicate(tmp_path: Path) -> None:
    # p1 twice, the second copy writing the same instant as ...Z: the same event -> duplicates 1, earned 10
    report = simulate(
        tmp_path,
        "earn 1 point per 10000 toman\n",
        [
            purchase("p1", "m1", "2026-01-01T10:00:00+00:00", 100000),
            purchase("p1", "m1", "2026-01-01T10:00:00Z", 100000),
        ],
    )
    assert report["totals"]["earned"] == 10
    assert report["totals"]["duplicates"] == 1
    assert report["totals"]["conflicts"] == 0


def test_a_rejected_redemption_sent_twice_is_rejected_once_and_a_duplicate_once(tmp_path: Path) -> None:
    x1 = redeem("x1", "m1", Z("2026-01-02 10:00"), "mug")
    report = simulate(tmp_path, EXPIRING, [purchase("p1", "m1", Z("2026-01-01 10:00"), 10000), x1, x1])
    assert (report["totals"]["events"], report["totals"]["rejected"], report["totals"]["duplicates"]) == (3, 1, 1)


# --------------------------------------------------------------------------- money, literals, input


def test_a_rial_rulebook_converts_toman_literals_and_reports_liability_in_rial(tmp_path: Path) -> None:
    # currency rial: "per 10000 toman" = per 100000 rial; point value 100 toman = 1000 rial
    # p1 1_000_000 rial -> 10 points; liability 10 * 1000 = 10000 (rial)
    report = simulate(
        tmp_path,
        """
        currency rial
        point value 100 toman
        earn 1 point per 10000 toman
        """,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 1000000)],
    )
    assert report["totals"]["earned"] == 10
    assert report["totals"]["liability"] == 10000
    assert member(report, "m1")["spend_total"] == 1000000


def test_a_toman_rulebook_converts_rial_literals(tmp_path: Path) -> None:
    # "per 50000 rial" = per 5000 toman; point value 1000 rial = 100 toman
    # p1 100000 toman -> 20 points; liability 20 * 100 = 2000
    report = simulate(
        tmp_path,
        """
        currency toman
        point value 1000 rial
        earn 1 point per 50000 rial
        """,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 100000)],
    )
    assert report["totals"]["earned"] == 20
    assert report["totals"]["liability"] == 2000


def test_liability_counts_only_positive_balances(tmp_path: Path) -> None:
    # m1 ends at -100 (refund of spent points), m2 at 100; point value 100
    # balance 0, liability 100 * 100 = 10000
    report = simulate(
        tmp_path,
        EXPIRING + "point value 100 toman\n",
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 100000),
            redeem("x1", "m1", Z("2026-01-02 10:00"), "mug"),
            refund("r1", "m1", Z("2026-01-03 10:00"), "p1", 100000),
            purchase("q1", "m2", Z("2026-01-03 11:00"), 100000),
        ],
    )
    assert report["totals"]["balance"] == 0
    assert report["totals"]["liability"] == 10000


def test_k_m_b_suffixes_persian_digits_and_group_separators_are_numbers(tmp_path: Path) -> None:
    # gold: spend_total >= 1.5m; platinum: spend_total >= 0.002b = 2,000,000
    # earn ۲ per ۱۰k = 2 per 10000; bonus 1.5x from gold up; cap ۵۰۰ = 500 per ۳۰ days
    # p1 1.6m -> 2*160 = 320 (bronze before), then gold
    # p2 500k -> 2*50 = 100 x1.5 = 150, room 180 -> 150; spend 2.1m -> platinum
    # p3 1m  -> 200 x1.5 = 300, room 500 - 470 = 30 -> 30                     earned 500
    # liability: point value ۱٬۰۰۰ toman = 1000 per point -> 500 * 1000 = 500000
    report = simulate(
        tmp_path,
        """
        point value ۱٬۰۰۰ toman
        tier bronze
        tier gold when spend_total >= 1.5m
        tier platinum when spend_total >= 0.002b
        earn ۲ points per ۱۰k toman
        boost: bonus 1.5x when tier >= gold
        cap ۵۰۰ points per ۳۰ days
        """,
        [
            purchase("p1", "m1", Z("2026-01-01 10:00"), 1600000),
            purchase("p2", "m1", Z("2026-01-02 10:00"), 500000),
            purchase("p3", "m1", Z("2026-01-03 10:00"), 1000000),
        ],
    )
    assert report["totals"]["earned"] == 500
    assert report["totals"]["liability"] == 500000
    assert report["totals"]["tiers"] == {"bronze": 0, "gold": 0, "platinum": 1}


def test_arabic_indic_digits_and_underscores_are_numbers(tmp_path: Path) -> None:
    # earn ٣ per 10_000 = 3 per 10000; p1 100000 -> 30
    report = simulate(
        tmp_path,
        "earn ٣ points per 10_000 toman\n",
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 100000)],
    )
    assert report["totals"]["earned"] == 30


def test_csv_rows_read_extra_columns_as_fields_and_local_times_in_the_rulebook_zone(tmp_path: Path) -> None:
    # times without offset are Tehran times.
    # p1 00:30 local -> hour 0: (10 + 100 app) x 2 = 220   (as UTC it would be 04:00 local: 110)
    # p2 12:00 local, web: 10                                                       total 230
    report = simulate(
        tmp_path,
        """
        timezone "Asia/Tehran"
        earn 1 point per 10000 toman
        app: earn 100 points when channel == "app"
        night: bonus 2x when hour == 0
        """,
        """
        id,member,at,amount,channel
        p1,m1,2026-03-10T00:30:00,100000,app
        p2,m1,2026-03-10T12:00:00,100000,web
        """,
        csv=True,
    )
    assert member(report, "m1")["earned"] == 230
    assert report["totals"]["events"] == 2


def test_csv_rows_may_carry_a_type_column_for_refunds(tmp_path: Path) -> None:
    # p1 100k -> 100; r1 refunds 40k -> floor(100 * 0.4) = 40; spend 60000
    report = simulate(
        tmp_path,
        ONE_PER_1000,
        """
        id,type,member,at,amount,of
        p1,purchase,m1,2026-03-10T10:00:00,100000,
        r1,refund,m1,2026-03-11T10:00:00,40000,p1
        """,
        csv=True,
    )
    m1 = member(report, "m1")
    assert (m1["earned"], m1["reversed"], m1["spend_total"]) == (100, 40, 60000)


def test_a_csv_field_that_looks_like_a_number_still_equals_its_text(tmp_path: Path) -> None:
    # the same purchase as JSON ("store": "12") earns 10 + 100; read from CSV it must earn the same 110
    rules = """
        earn 1 point per 10000 toman
        earn 100 points when store == "12"
        """
    (tmp_path / "json").mkdir()
    (tmp_path / "csv").mkdir()
    as_json = simulate(tmp_path / "json", rules, [purchase("p1", "m1", Z("2026-03-10 10:00"), 100000, store="12")])
    assert member(as_json, "m1")["earned"] == 110
    as_csv = simulate(
        tmp_path / "csv",
        rules,
        """
        id,member,at,amount,store
        p1,m1,2026-03-10T10:00:00+00:00,100000,12
        """,
        csv=True,
    )
    assert member(as_csv, "m1")["earned"] == 110


def test_settings_apply_to_the_whole_file_wherever_they_appear(tmp_path: Path) -> None:
    # currency rial and the Tehran zone are written last: "per 10000 toman" = per 100000 rial;
    # p1 1,000,000 rial at 2026-03-20 23:30 UTC = 1405-01-01 in Tehran -> 10 x 3 = 30
    report = simulate(
        tmp_path,
        """
        earn 1 point per 10000 toman
        nowruz: bonus 3x during 1405-01-01..1405-01-13
        calendar jalali
        timezone "Asia/Tehran"
        currency rial
        """,
        [purchase("p1", "m1", "2026-03-20T23:30:00+00:00", 1000000)],
    )
    assert member(report, "m1")["earned"] == 30


def test_weekday_is_read_in_the_rulebook_timezone(tmp_path: Path) -> None:
    # 2026-03-19 21:00 UTC is Thursday, but Friday 00:30 in Tehran -> 10 x 2 = 20
    report = simulate(
        tmp_path,
        """
        timezone "Asia/Tehran"
        earn 1 point per 10000 toman
        weekend: bonus 2x when weekday in [friday]
        """,
        [purchase("p1", "m1", "2026-03-19T21:00:00+00:00", 100000)],
    )
    assert member(report, "m1")["earned"] == 20


def test_a_graced_downgrade_falls_due_exactly_when_the_grace_has_passed(tmp_path: Path) -> None:
    # gold when spend_30d >= 1m, grace 60 days; both members qualify at 01-01 10:00 only.
    # m2: b2 at 03-01 10:00 is 59 days later -> still gold before it -> 1 x 2 = 2
    # m1: a2 at 03-02 10:00 is 60 days later (>= grace) -> bronze at the catch-up -> 1
    # as_of = 03-02 10:00: m2 is 60 days past too -> bronze
    report = simulate(
        tmp_path,
        """
        tier bronze
        tier gold when spend_30d >= 1m
        tiers downgrade after 60 days
        earn 1 point per 10000 toman
        vip: bonus 2x when tier >= gold
        """,
        [
            purchase("a1", "m1", Z("2026-01-01 10:00"), 1000000),
            purchase("b1", "m2", Z("2026-01-01 10:00"), 1000000),
            purchase("b2", "m2", Z("2026-03-01 10:00"), 10000),
            purchase("a2", "m1", Z("2026-03-02 10:00"), 10000),
        ],
    )
    assert member(report, "m1")["earned"] == 101
    assert member(report, "m2")["earned"] == 102
    assert report["totals"]["tiers"] == {"bronze": 2, "gold": 0}


def test_a_tier_may_be_reached_by_count_or_by_spend(tmp_path: Path) -> None:
    # gold when spend_90d >= 5m or count_30d >= 3: three 10k purchases -> gold on the third
    report = simulate(
        tmp_path,
        """
        tier bronze
        tier gold when spend_90d >= 5m or count_30d >= 3
        earn 1 point per 10000 toman
        """,
        [purchase(f"p{i}", "m1", Z(f"2026-01-0{i} 10:00"), 10000) for i in (1, 2, 3)],
    )
    assert member(report, "m1")["tier"] == "gold"


def test_fractional_money_stays_exact_in_refunds_and_liability(tmp_path: Path) -> None:
    # point value 5 rial = 0.5 toman. p1 12345.5 -> floor(12.3455) = 12
    # refund 6172.75 = half -> floor(12 * 1/2) = 6; balance 6, liability 6 * 0.5 = 3, spend 6172.75
    report = simulate(
        tmp_path,
        """
        point value 5 rial
        earn 1 point per 1000 toman
        """,
        [purchase("p1", "m1", Z("2026-01-01 10:00"), 12345.5), refund("r1", "m1", Z("2026-01-02 10:00"), "p1", 6172.75)],
    )
    m1 = member(report, "m1")
    assert (m1["earned"], m1["reversed"], m1["spend_total"]) == (12, 6, 6172.75)
    assert report["totals"]["liability"] == 3


def test_the_spec_example_rulebook_over_the_spec_example_events(tmp_path: Path) -> None:
    # The rulebook of spec §1 (without the partner offer, whose plugin is not installed) and the events of §6
    # (without the claim). Tehran time, Jalali calendar.
    # p-1 2026-03-21 10:15 = 1405-01-01 (nowruz 3x), m-42 new (bronze): 250000/10000 = 25;
    #     coffee 2*90000 = 180000 -> 36; first purchase on app 100; (25 + 36 + 100) x 3 = 483
    # r-1 refund 90000: floor(483 * 90000 / 250000) = floor(173.88) = 173 reversed
    # s-1 m-43 signup -> 50 (referred by m-42, but makes no purchase: no referral)
    # x-1 free_coffee costs 400 > 310 -> insufficient_points (rejected)
    # e-1 survey_completed -> 20 (bonuses are about purchases)
    # m-42: earned 503, reversed 173, balance 330, spend 160000; m-43: 50
    # totals: earned 553, balance 380, liability 380 * 100 = 38000, rejected 1, events 5; all bronze
    report = simulate(
        tmp_path,
        """
        program "Kafe Club"
        currency toman
        calendar jalali                  # date literals below are Jalali
        timezone "Asia/Tehran"
        point value 100 toman            # what one point costs the business

        tier bronze                      # first tier = base tier, no condition
        tier silver when spend_90d >= 2m
        tier gold   when spend_90d >= 5m or count_30d >= 10
        tiers downgrade after 90 days

        earn 1 point per 10000 toman
        coffee: earn 2 points per 10000 toman of items where category == "coffee"
        earn 50 points on signup
        earn 20 points on event "survey_completed"
        earn 100 points when first_purchase and channel == "app"
        gold_boost: bonus 2x when tier >= gold
        nowruz: bonus 3x during 1405-01-01..1405-01-13
        cap 5000 points per 30 days
        points expire after 365 days

        reward free_coffee "قهوه رایگان" costs 400 points gives product(sku: "COF-1")
        reward ten_off "۱۰٪ تخفیف" costs 1000 points gives discount(percent: 10%, max: 200k) when tier >= silver
        perk gold gives free_shipping()
        """,
        [
            {"id": "p-1", "type": "purchase", "member": "m-42", "at": "2026-03-21T10:15:00+03:30", "amount": 250000,
             "channel": "app", "store": "tehran-1",
             "items": [{"sku": "COF-1", "category": "coffee", "qty": 2, "price": 90000}]},
            {"id": "r-1", "type": "refund", "member": "m-42", "at": "2026-03-22T09:00:00+03:30", "of": "p-1",
             "amount": 90000},
            {"id": "s-1", "type": "signup", "member": "m-43", "at": "2026-03-22T09:00:00+03:30",
             "attrs": {"city": "Shiraz", "referred_by": "m-42"}},
            {"id": "x-1", "type": "redeem", "member": "m-42", "at": "2026-04-01T12:00:00+03:30", "reward": "free_coffee"},
            {"id": "e-1", "type": "event", "name": "survey_completed", "member": "m-42",
             "at": "2026-04-02T08:00:00+03:30"},
        ],
    )
    t = report["totals"]
    assert (t["events"], t["members"], t["earned"], t["reversed"], t["balance"], t["liability"], t["rejected"]) == (
        5, 2, 553, 173, 380, 38000, 1)
    assert t["tiers"] == {"bronze": 2, "silver": 0, "gold": 0}
    m42 = member(report, "m-42")
    assert (m42["earned"], m42["reversed"], m42["balance"], m42["spend_total"]) == (503, 173, 330, 160000)
    assert member(report, "m-43")["balance"] == 50
