"""Fraud controls in the rules: how often one member may redeem a reward, or earn from one rule, per period.

Each test writes its rulebook and events inline and reads the outcome a member
would see: the status and reason of a redemption, the entries and notes of an
earning.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from helpers import events, ledger, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules_engine.engine import Engine


def buy(id_: str, at: str, amount: int = 100000, member: str = "m1") -> str:
    return json.dumps({"id": id_, "member": member, "at": at, "amount": amount})


def redeem(id_: str, at: str, reward: str = "r", member: str = "m1") -> str:
    return json.dumps({"id": id_, "type": "redeem", "member": member, "at": at, "reward": reward})


def signup(id_: str, member: str, at: str, referred_by: str) -> str:
    return json.dumps({"id": id_, "type": "signup", "member": member, "at": at, "attrs": {"referred_by": referred_by}})


FUNDED = buy("p0", "2026-01-01T09:00:00Z", 1_000_000)  # 1,000 points under `earn 1 point per 1000 toman`


# --- redemptions ------------------------------------------------------------------------------------------


def test_a_redemption_over_the_period_limit_is_rejected_with_when_it_frees(compile_text) -> None:
    engine = Engine(compile_text("""
        earn 1 point per 1000 toman
        reward r "R" costs 10 points gives product(sku: "X") limit 2 per member per 30 days
    """))
    outcomes = run(engine, FUNDED, redeem("x1", "2026-01-01T10:00:00Z"), redeem("x2", "2026-01-05T10:00:00Z"),
                   redeem("x3", "2026-01-20T10:00:00Z"))
    assert [o.status for o in outcomes] == ["applied", "applied", "applied", "rejected"]
    assert outcomes[-1].reason == ("limit_reached: r may be redeemed 2 time(s) per member per 30 days; "
                                   "again from 2026-01-31T10:00:00+00:00")
    assert outcomes[-1].entries == ()
    assert engine.members["m1"].balance == 980


def test_a_redemption_is_allowed_from_the_moment_the_limit_said(compile_text) -> None:
    engine = Engine(compile_text("""
        earn 1 point per 1000 toman
        reward r "R" costs 10 points gives product(sku: "X") limit 1 per 7 days
    """))
    outcomes = run(engine, FUNDED, redeem("x1", "2026-01-01T10:00:00Z"), redeem("x2", "2026-01-08T09:59:59Z"),
                   redeem("x3", "2026-01-08T10:00:00Z"))
    assert [o.status for o in outcomes] == ["applied", "applied", "rejected", "applied"]


def test_a_reward_may_have_a_limit_ever_and_a_limit_per_period(compile_text) -> None:
    engine = Engine(compile_text("""
        earn 1 point per 1000 toman
        reward r "R" costs 10 points gives product(sku: "X") limit 2 per member limit 1 per 7 days
    """))
    outcomes = run(engine, FUNDED, redeem("x1", "2026-01-01T10:00:00Z"), redeem("x2", "2026-01-02T10:00:00Z"),
                   redeem("x3", "2026-01-09T10:00:00Z"), redeem("x4", "2026-03-01T10:00:00Z"))
    assert [o.status for o in outcomes] == ["applied", "applied", "rejected", "applied", "rejected"]
    assert outcomes[2].reason == "limit_reached: r may be redeemed 1 time(s) per member per 7 days; again from 2026-01-08T10:00:00+00:00"
    assert outcomes[4].reason == "limit_reached: r may be redeemed 2 time(s) per member"


def test_a_refused_redemption_does_not_use_up_the_period_limit(compile_text) -> None:
    engine = Engine(compile_text("""
        earn 1 point per 1000 toman
        reward r "R" costs 10 points gives product(sku: "X") limit 1 per 30 days
    """))
    outcomes = run(engine, redeem("x1", "2026-01-01T08:00:00Z"), FUNDED, redeem("x2", "2026-01-01T10:00:00Z"))
    assert [(o.status, (o.reason or "").split(":")[0]) for o in outcomes] == [
        ("rejected", "insufficient_points"), ("applied", ""), ("applied", "")]


def test_the_period_limit_comes_before_the_balance_in_the_order_of_refusals(compile_text) -> None:
    engine = Engine(compile_text("""
        earn 1 point per 1000 toman
        reward r "R" costs 1000 points gives product(sku: "X") limit 1 per 30 days
    """))
    outcomes = run(engine, FUNDED, redeem("x1", "2026-01-01T10:00:00Z"), redeem("x2", "2026-01-02T10:00:00Z"))
    assert (outcomes[-1].reason or "").startswith("limit_reached:")


def test_a_monthly_limit_counts_a_use_until_the_same_time_one_calendar_month_later(compile_text) -> None:
    engine = Engine(compile_text("""
        earn 1 point per 1000 toman
        reward r "R" costs 10 points gives product(sku: "X") limit 1 per 1 month
    """))
    outcomes = run(engine, FUNDED, redeem("x1", "2026-01-31T10:00:00Z"), redeem("x2", "2026-02-28T09:00:00Z"),
                   redeem("x3", "2026-02-28T10:00:00Z"))
    assert [o.status for o in outcomes] == ["applied", "applied", "rejected", "applied"]
    assert (outcomes[2].reason or "").endswith("again from 2026-02-28T10:00:00+00:00")


def test_when_the_limit_frees_is_told_in_the_rulebook_time_zone(compile_text) -> None:
    engine = Engine(compile_text("""
        timezone "Asia/Tehran"
        earn 1 point per 1000 toman
        reward r "R" costs 10 points gives product(sku: "X") limit 1 per 1 day
    """))
    outcomes = run(engine, FUNDED, redeem("x1", "2026-01-01T10:00:00Z"), redeem("x2", "2026-01-01T12:00:00Z"))
    assert (outcomes[-1].reason or "").endswith("again from 2026-01-02T13:30:00+03:30")


def test_of_several_period_limits_the_refusal_names_the_one_that_frees_last(compile_text) -> None:
    engine = Engine(compile_text("""
        earn 1 point per 1000 toman
        reward r "R" costs 10 points gives product(sku: "X") limit 1 per 1 day limit 2 per 30 days
    """))
    outcomes = run(engine, FUNDED, redeem("x1", "2026-01-01T10:00:00Z"), redeem("x2", "2026-01-02T10:00:00Z"),
                   redeem("x3", "2026-01-02T11:00:00Z"))
    assert outcomes[-1].reason == ("limit_reached: r may be redeemed 2 time(s) per member per 30 days; "
                                   "again from 2026-01-31T10:00:00+00:00")


def test_a_free_reward_counts_towards_its_period_limit(compile_text) -> None:
    engine = Engine(compile_text('reward r "R" costs 0 points gives product(sku: "X") limit 1 per 7 days'))
    outcomes = run(engine, redeem("x1", "2026-01-01T10:00:00Z"), redeem("x2", "2026-01-03T10:00:00Z"))
    assert [o.status for o in outcomes] == ["applied", "rejected"]


def test_the_period_limit_of_one_reward_leaves_another_reward_alone(compile_text) -> None:
    engine = Engine(compile_text("""
        earn 1 point per 1000 toman
        reward r "R" costs 10 points gives product(sku: "X") limit 1 per 30 days
        reward s "S" costs 10 points gives product(sku: "Y") limit 1 per 30 days
    """))
    outcomes = run(engine, FUNDED, redeem("x1", "2026-01-01T10:00:00Z"), redeem("x2", "2026-01-01T11:00:00Z", "s"))
    assert [o.status for o in outcomes] == ["applied", "applied", "applied"]


def test_a_redemption_arriving_late_counts_only_the_uses_before_its_own_time(compile_text) -> None:
    engine = Engine(compile_text("""
        earn 1 point per 1000 toman
        reward r "R" costs 10 points gives product(sku: "X") limit 1 per 30 days
    """))
    outcomes = run(engine, FUNDED, redeem("x2", "2026-01-20T10:00:00Z"), redeem("x1", "2026-01-10T10:00:00Z"),
                   redeem("x3", "2026-01-25T10:00:00Z"))
    assert [o.status for o in outcomes] == ["applied", "applied", "applied", "rejected"]


# --- earn rules -------------------------------------------------------------------------------------------


REFERRALS = """
    base: earn 1 point per 1000 toman
    referrer: earn 200 points on referral limit 2 per 30 days
"""


def referred_purchases(*days: int) -> list[str]:
    """Member `a` refers one new member a day; each buys on that day, which pays `a` a referral."""
    rows = []
    for n, day in enumerate(days, start=1):
        rows.append(signup(f"s{n}", f"b{n}", f"2026-01-{day:02d}T09:00:00Z", "a"))
        rows.append(buy(f"p{n}", f"2026-01-{day:02d}T10:00:00Z", 10000, member=f"b{n}"))
    return rows


def test_a_referral_bonus_over_its_period_limit_earns_nothing_and_says_why(compile_text) -> None:
    engine = Engine(compile_text(REFERRALS))
    outcomes = run(engine, *referred_purchases(1, 2, 3))
    referrals = [o for o in outcomes if o.event.type == "referral"]
    assert [sum(e.points for e in o.entries) for o in referrals] == [200, 200, 0]
    assert referrals[-1].notes == ("referrer gave no points: limit reached (2 time(s) per member per 30 days; "
                                   "again from 2026-01-31T10:00:00+00:00)",)
    assert engine.members["a"].balance == 400


def test_an_earn_rule_earns_again_once_its_window_frees(compile_text) -> None:
    engine = Engine(compile_text(REFERRALS))
    outcomes = run(engine, *referred_purchases(1, 2, 3, 31))
    referrals = [o for o in outcomes if o.event.type == "referral"]
    assert [sum(e.points for e in o.entries) for o in referrals] == [200, 200, 0, 200]


def test_the_other_rules_of_the_event_still_earn_when_one_reaches_its_limit(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        app: earn 100 points when channel == "app" limit 1 per 7 days
    """))
    rows = [json.dumps({"id": f"p{n}", "member": "m1", "at": f"2026-01-0{n}T10:00:00Z", "amount": 10000,
                        "channel": "app"}) for n in (1, 2)]
    outcomes = run(engine, *rows)
    assert ledger(outcomes) == [("m1", "earn", 110, "p1", "base, app"), ("m1", "earn", 10, "p2", "base")]
    assert outcomes[1].notes[0].startswith("app gave no points: limit reached (1 time(s) per member per 7 days;")


def test_an_earn_rule_limited_per_member_earns_that_many_times_ever(compile_text) -> None:
    engine = Engine(compile_text('review: earn 50 points on event "app_review" limit 1 per member'))
    rows = [json.dumps({"id": f"e{n}", "type": "event", "name": "app_review", "member": "m1",
                        "at": f"202{n}-01-01T10:00:00Z"}) for n in (6, 7)]
    outcomes = run(engine, *rows)
    assert [sum(e.points for e in o.entries) for o in outcomes] == [50, 0]
    assert outcomes[1].notes == ("review gave no points: limit reached (1 time(s) per member)",)


def test_a_use_that_a_cap_left_at_nothing_does_not_count_against_the_limit(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        referrer: earn 200 points on referral limit 1 per 30 days
        cap 100 points per 1 day
    """))
    rows = [buy("p0", "2026-01-01T08:00:00Z", 100000, member="a"), *referred_purchases(1, 2)]
    outcomes = run(engine, *rows)
    referrals = [o for o in outcomes if o.event.type == "referral"]
    assert [sum(e.points for e in o.entries) for o in referrals] == [0, 100]


def test_an_event_that_failed_does_not_use_up_the_limit(compile_text) -> None:
    engine = Engine(compile_text("""
        visit: earn 10 points limit 1 per 30 days
        bonus 2x when 100 / amount > 1
    """))
    outcomes = run(engine, buy("p1", "2026-01-01T10:00:00Z", 0), buy("p2", "2026-01-02T10:00:00Z", 50))
    assert [o.status for o in outcomes] == ["failed", "applied"]
    assert ledger(outcomes) == [("m1", "earn", 20, "p2", "visit")]


# --- the limits hold in every window, and refuse nothing more ----------------------------------------------


T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
_moments = st.lists(st.integers(0, 90 * 24 * 60), min_size=1, max_size=30, unique=True).map(sorted)


def _allowed(granted: list[datetime], at: datetime, count: int, window: timedelta) -> bool:
    """The rule read literally: fewer than `count` uses granted in the window (at - window, at]."""
    return sum(1 for used in granted if at - window < used <= at) < count


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minutes=_moments)
def test_a_redemption_is_refused_exactly_when_its_window_is_full_and_told_when_it_frees(compile_text,
                                                                                      minutes: list[int]) -> None:
    engine = Engine(compile_text("""
        earn 1 point per 1000 toman
        reward r "R" costs 1 point gives product(sku: "X") limit 2 per 7 days
    """))
    engine.process(events(buy("p0", "2025-12-31T00:00:00Z"))[0])
    granted: list[datetime] = []
    week, second = timedelta(days=7), timedelta(seconds=1)
    for n, minute in enumerate(minutes):
        at = T0 + timedelta(minutes=minute)
        outcome = engine.process(events(redeem(f"x{n}", at.isoformat()))[0])
        assert outcome.applied == _allowed(granted, at, 2, week), (granted, at, outcome.reason)
        if outcome.applied:
            granted.append(at)
        else:
            again = datetime.fromisoformat((outcome.reason or "").rsplit("again from ", 1)[1])
            assert _allowed(granted, again, 2, week) and not _allowed(granted, again - second, 2, week)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minutes=_moments)
def test_an_earn_rule_earns_exactly_when_its_window_has_room(compile_text, minutes: list[int]) -> None:
    engine = Engine(compile_text('visit: earn 10 points on event "visit" limit 3 per 30 days'))
    granted: list[datetime] = []
    for n, minute in enumerate(minutes):
        at = T0 + timedelta(minutes=minute)
        row = {"id": f"v{n}", "type": "event", "name": "visit", "member": "m1", "at": at.isoformat()}
        earned = bool(engine.process(events(row)[0]).entries)
        assert earned == _allowed(granted, at, 3, timedelta(days=30)), (granted, at)
        if earned:
            granted.append(at)
