"""The synthetic event generator: realistic shape, deterministic, streaming."""

from __future__ import annotations

import io
import json
import tracemalloc
from collections import Counter
from datetime import date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from rules_engine.cli import main
from rules_engine.generate import (FIRST_DAY, LAST_DAY, MAX_DAYS, MAX_MEMBERS, Plan, generate, shaped_by,
                                   write_events)
from rules_engine.readers import read_events

YEAR = Plan(members=1500, days=365, seed=11)


@pytest.fixture(scope="module")
def year() -> list[dict]:
    return list(generate(YEAR))


def day_of(event: dict) -> date:
    return datetime.fromisoformat(event["at"]).date()


def per_day(events: list[dict], kind: str = "purchase") -> Counter[date]:
    return Counter(day_of(e) for e in events if e["type"] == kind)


def mean(counts: Counter[date], first: date, last: date) -> float:
    days = [d for d in counts if first <= d <= last]
    return sum(counts[d] for d in days) / max(1, (last - first).days + 1)


def test_the_same_seed_gives_the_same_events():
    plan = Plan(members=300, days=60, seed=5)
    assert list(generate(plan)) == list(generate(plan))


def test_another_seed_gives_other_events():
    assert list(islice(generate(Plan(members=300, days=60, seed=5)), 500)) != list(
        islice(generate(Plan(members=300, days=60, seed=6)), 500))


def test_events_come_out_in_time_order(year):
    times = [datetime.fromisoformat(e["at"]) for e in year]
    assert times == sorted(times)


def test_every_generated_row_is_a_valid_event(tmp_path):
    path = tmp_path / "events.jsonl"
    with path.open("w", encoding="utf-8") as out:
        written = write_events(Plan(members=200, days=90, seed=2), out)
    read = read_events(path, Plan(members=1, days=1).tz)
    assert read.errors == ()
    assert len(read.events) == written


def test_every_member_signs_up_before_anything_else(year):
    seen: set[str] = set()
    for event in year:
        if event["type"] == "signup":
            seen.add(event["member"])
        else:
            assert event["member"] in seen
    assert len(seen) == YEAR.members


def test_some_signups_were_referred_by_a_member_who_joined_earlier(year):
    joined: set[str] = set()
    referred = 0
    for event in (e for e in year if e["type"] == "signup"):
        referrer = event["attrs"].get("referred_by")
        if referrer is not None:
            assert referrer in joined
            referred += 1
        joined.add(event["member"])
    assert 0.05 < referred / YEAR.members < 0.2


def test_about_three_percent_of_purchases_are_refunded_some_in_part(year):
    purchases = {e["id"]: e for e in year if e["type"] == "purchase"}
    refunds = [e for e in year if e["type"] == "refund"]
    assert 0.02 < len(refunds) / len(purchases) < 0.04
    partial = [r for r in refunds if r["amount"] < purchases[r["of"]]["amount"]]
    assert 0 < len(partial) < len(refunds)


def test_purchases_carry_channel_items_and_stores(year):
    purchases = [e for e in year if e["type"] == "purchase"]
    assert {e["channel"] for e in purchases} == {"app", "web", "store"}
    assert all(e["store"] for e in purchases if e["channel"] == "store")
    assert len({i["category"] for e in purchases for i in e["items"]}) >= 5
    assert all(e["amount"] >= sum(i["price"] * i["qty"] for i in e["items"]) for e in purchases)


def test_the_days_before_nowruz_are_busier_than_early_summer(year):
    counts = per_day(year)
    assert mean(counts, date(2026, 3, 8), date(2026, 3, 19)) > 1.6 * mean(counts, date(2025, 10, 1), date(2025, 10, 31))


def test_yalda_week_is_busier_than_the_weeks_around_it(year):
    counts = per_day(year)
    assert mean(counts, date(2025, 12, 16), date(2025, 12, 21)) > 1.3 * mean(counts, date(2026, 1, 5), date(2026, 1, 25))


def test_thursday_is_busier_than_monday(year):
    counts = per_day(year)
    by_weekday = Counter()
    for day, n in counts.items():
        by_weekday[day.weekday()] += n
    assert by_weekday[3] > 1.15 * by_weekday[0]


def test_redemptions_use_the_given_rewards_and_follow_earning(year):
    plan = Plan(members=300, days=120, seed=3, rewards=(("mug", 100), ("bag", 400)))
    events = list(generate(plan))
    redeemed = Counter(e["reward"] for e in events if e["type"] == "redeem")
    assert set(redeemed) == {"mug", "bag"}
    first_purchase = {}
    for e in events:
        first_purchase.setdefault(e["member"], None)
        if e["type"] == "purchase" and first_purchase[e["member"]] is None:
            first_purchase[e["member"]] = e["at"]
        if e["type"] == "redeem":
            assert first_purchase[e["member"]] is not None


def test_members_answer_surveys(year):
    names = Counter(e["name"] for e in year if e["type"] == "event")
    assert names["survey_completed"] > 0


def test_a_plan_needs_priced_rewards():
    with pytest.raises(ValueError, match="costs above zero"):
        Plan(members=10, days=10, rewards=(("free", 0),))


@pytest.mark.parametrize("members", [0, MAX_MEMBERS + 1])
def test_a_plan_has_between_one_and_ten_million_members(members):
    with pytest.raises(ValueError, match="members must be from 1 to 10,000,000"):
        Plan(members=members, days=10)


@pytest.mark.parametrize("days", [0, MAX_DAYS + 1])
def test_a_plan_covers_between_one_day_and_ten_years(days):
    with pytest.raises(ValueError, match="days must be from 1 to 3,660"):
        Plan(members=10, days=days)


@pytest.mark.parametrize("start, days", [(date(1800, 1, 1), 30), (date(1900, 1, 1), 1), (date(2199, 12, 1), 31),
                                         (date(9999, 12, 1), 30)])
def test_a_plan_stays_inside_the_dates_events_may_have(start, days):
    with pytest.raises(ValueError, match="go outside the dates events may have"):
        Plan(members=10, days=days, start=start)


@pytest.mark.parametrize("start, days, zone", [(FIRST_DAY, 30, "Pacific/Kiritimati"),  # UTC+14: the day begins early
                                               (LAST_DAY - timedelta(days=MAX_DAYS), MAX_DAYS, "Pacific/Pago_Pago")])
def test_the_earliest_and_the_longest_latest_plans_give_events_the_reader_takes(tmp_path, start, days, zone):
    path = tmp_path / "events.jsonl"
    with path.open("w", encoding="utf-8") as out:
        written = write_events(Plan(members=5, days=days, start=start, tz=ZoneInfo(zone)), out)
    read = read_events(path, ZoneInfo("UTC"))
    assert read.errors == () and len(read.events) == written


def test_ten_years_of_rising_prices_stay_plausible():
    amounts = [e["amount"] for e in generate(Plan(members=20, days=MAX_DAYS, seed=4)) if e["type"] == "purchase"]
    assert max(amounts) < 10**11


def test_member_ids_are_numbered_with_as_many_digits_as_the_club_needs():
    signups = [e["member"] for e in generate(Plan(members=12, days=30)) if e["type"] == "signup"]
    assert sorted(signups) == [f"m-{i:02d}" for i in range(1, 13)]


class _Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


def _peak(plan: Plan) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = write_events(plan, _Discard())
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_events():
    busy = dict(members=200, seed=1, orders_per_month=6)  # few members, many events: members are what memory holds
    short_count, short_peak = _peak(Plan(days=30, **busy))
    long_count, long_peak = _peak(Plan(days=365, **busy))
    assert long_count > 8 * short_count
    assert long_peak < 1.3 * short_peak


SHAPING = """
currency toman
timezone "UTC"
point value 0.5 toman
earn 1 point per 1000 toman
reward mug "Mug" costs 200 points gives product(sku: "MUG")
reward free "Free" costs 0 points gives free_shipping()
"""


def test_a_rulebook_shapes_the_plan_with_its_zone_point_value_and_costed_rewards(compile_text) -> None:
    plan = shaped_by(Plan(members=10, days=10), compile_text(SHAPING))
    assert (str(plan.tz), plan.point_value, plan.rewards) == ("UTC", 0.5, (("mug", 200),))


def test_a_rial_rulebook_gets_the_same_goods_priced_in_rial(compile_text) -> None:
    toman = shaped_by(Plan(members=30, days=30, seed=4), compile_text(SHAPING))
    rial = shaped_by(Plan(members=30, days=30, seed=4), compile_text(SHAPING.replace("currency toman", "currency rial")))
    purchases = [[(row["amount"], row.get("shipping_fee")) for row in generate(plan) if row["type"] == "purchase"]
                 for plan in (toman, rial)]
    assert rial.currency == "rial" and purchases[0]
    assert purchases[1] == [(amount * 10, fee and fee * 10) for amount, fee in purchases[0]]


def test_generate_with_a_rulebook_redeems_only_its_rewards(tmp_path) -> None:
    rulebook = tmp_path / "club.rules"
    rulebook.write_text(SHAPING, encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", "--members", "60", "--days", "120", "--rulebook", str(rulebook)])
    assert result.exit_code == 0, result.output
    redeemed = {json.loads(line).get("reward") for line in result.stdout.splitlines() if '"redeem"' in line}
    assert redeemed == {"mug"}
