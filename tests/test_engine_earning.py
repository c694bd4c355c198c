"""Step 3 of evaluating an event: earning, bonuses, caps and how an earning is explained."""

from __future__ import annotations

from helpers import entries, ledger, run

from rules_engine.engine import Engine


def test_earn_rules_round_down_each_on_its_own(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 10000 toman
        coffee: earn 2 points per 10000 toman of items where category == "coffee"
    """))
    # base: 9.5 -> 9; coffee: 2 x 47,500 / 10,000 = 9.5 -> 9; rounding the sum would give 19.
    outcomes = run(engine, '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":95000,'
                           '"items":[{"category":"coffee","qty":1,"price":47500}]}')
    assert ledger(outcomes) == [("m1", "earn", 18, "p1", "base, coffee")]


def test_bonus_factors_multiply_and_round_down_once(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        app: bonus 1.5x when channel == "app"
        vip: bonus 1.5x when amount >= 5000
    """))
    # 5 x 1.5 x 1.5 = 11.25 -> 11; adding the factors would give 10, rounding after each 10.
    outcomes = run(engine, '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":5000,"channel":"app"}')
    assert ledger(outcomes) == [("m1", "earn", 11, "p1", "base")]


def test_bonus_never_creates_points_on_its_own(compile_text) -> None:
    engine = Engine(compile_text("""
        big: earn 10 points when amount >= 100000
        double: bonus 2x
    """))
    outcomes = run(engine, '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":5000}')
    assert outcomes[0].applied
    assert ledger(outcomes) == []


def test_bonus_applies_only_to_its_own_trigger(compile_text) -> None:
    engine = Engine(compile_text("""
        welcome: earn 50 points on signup
        double: bonus 2x
    """))
    outcomes = run(engine, '{"id":"s1","type":"signup","member":"m1","at":"2026-01-01T10:00:00Z"}')
    assert ledger(outcomes) == [("m1", "earn", 50, "s1", "welcome")]


def test_cap_counts_points_earned_in_window_before_this_event(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        daily: cap 100 points per 1 day
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":60000}',
        '{"id":"p2","member":"m1","at":"2026-01-01T12:00:00Z","amount":60000}',  # 60 already earned: room 40
        '{"id":"p3","member":"m1","at":"2026-01-02T10:00:00Z","amount":90000}',  # p1 left the window at 10:00
    )
    assert [(e.event, e.points) for e in entries(outcomes)] == [("p1", 60), ("p2", 40), ("p3", 60)]


def test_cap_is_not_freed_by_redemptions(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        daily: cap 100 points per 1 day
        reward r "R" costs 100 points gives product(sku: "X")
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}',
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-01T11:00:00Z","reward":"r"}',
        '{"id":"p2","member":"m1","at":"2026-01-01T12:00:00Z","amount":100000}',
    )
    assert [o.status for o in outcomes] == ["applied", "applied", "applied"]
    assert [(e.event, e.points) for e in entries(outcomes)] == [("p1", 100), ("x1", -100)]


def test_the_tightest_of_several_caps_decides(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        daily: cap 100 points per 1 day
        weekly: cap 150 points per 7 days
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}',
        '{"id":"p2","member":"m1","at":"2026-01-03T10:00:00Z","amount":100000}',  # daily room 100, weekly 50
    )
    assert [(e.event, e.points) for e in entries(outcomes)] == [("p1", 100), ("p2", 50)]
    assert "weekly" in entries(outcomes)[1].explain()


def test_cap_applies_after_bonuses(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        double: bonus 2x
        cap 150 points per 30 days
    """))
    outcomes = run(engine, '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}')
    assert [(e.event, e.points) for e in entries(outcomes)] == [("p1", 150)]


def test_per_item_earning_counts_units_of_matching_items(compile_text) -> None:
    engine = Engine(compile_text("""
        pastry: earn 5 points per item where category == "pastry"
    """))
    outcomes = run(engine, '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":500000,"items":['
                           '{"category":"pastry","qty":3,"price":50000},{"category":"coffee","qty":4,"price":50000},'
                           '{"category":"pastry","qty":2,"price":50000}]}')
    assert ledger(outcomes) == [("m1", "earn", 25, "p1", "pastry")]


def test_items_earning_counts_only_matching_lines(compile_text) -> None:
    engine = Engine(compile_text("""
        coffee: earn 2 points per 10000 toman of items where category == "coffee"
    """))
    outcomes = run(engine, '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":400000,"items":['
                           '{"category":"coffee","qty":2,"price":90000},{"category":"food","qty":1,"price":220000}]}')
    assert ledger(outcomes) == [("m1", "earn", 36, "p1", "coffee")]


def test_rules_of_one_category_each_count_only_their_lines(compile_text) -> None:
    engine = Engine(compile_text("""
        coffee: earn 2 points per 10000 toman of items where category == "coffee"
        food: earn 1 point per 10000 toman of items where category == "food"
        rest: earn 5 points per 10000 toman of items where category not in ["coffee", "food"]
        cups: earn 3 points per item where category == "coffee"
    """))
    outcomes = run(engine, '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":600000,"items":['
                           '{"category":"coffee","qty":2,"price":90000},{"category":"food","qty":1,"price":220000},'
                           '{"category":"beans","qty":1,"price":200000}]}')
    (earning,) = entries(outcomes)
    assert [(reason[0].rule, reason[1], reason[2]) for reason in earning.reasons] == [
        ("coffee", 36, 180000), ("food", 22, 220000), ("rest", 100, 200000), ("cups", 6, 2)]


def test_an_item_test_that_can_fail_runs_only_when_its_rule_is_reached(compile_text) -> None:
    # the category rules may count their items together, ahead of the rules; `odd` may not: `first` fails first
    engine = Engine(compile_text("""
        coffee: earn 2 points per 10000 toman of items where category == "coffee"
        first: earn 1 point when amount / 0 > 1
        odd: earn 1 point per 100 toman of items where price / (qty - 1) > 5
        food: earn 1 point per 10000 toman of items where category == "food"
    """))
    (outcome,) = run(engine, '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":90000,"items":['
                             '{"category":"coffee","qty":1,"price":90000}]}')
    assert (outcome.status, outcome.reason) == ("failed", "rule `first` (line 3) could not be evaluated: division by zero")


def test_explanation_names_the_rule_and_its_arithmetic(compile_text) -> None:
    engine = Engine(compile_text("""
        coffee: earn 2 points per 10000 toman of items where category == "coffee"
        pastry: earn 5 points per item where category == "pastry"
        weekend: bonus 1.5x
    """))
    outcomes = run(engine, '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":300000,"items":['
                           '{"category":"coffee","qty":2,"price":90000},{"category":"pastry","qty":2,"price":60000}]}')
    (entry,) = entries(outcomes)
    assert entry.points == 69  # (36 + 10) x 1.5
    assert entry.why == (
        "+36: coffee, 2 per 10,000 on 180,000 of matching items",
        "+10: pastry, 5 per item × 2 items",
        "×1.5: weekend",
    )


def test_explain_gives_the_total_once(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 10000 toman
        coffee: earn 2 points per 10000 toman of items where category == "coffee"
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":90000}',
        '{"id":"p2","member":"m1","at":"2026-01-02T10:00:00Z","amount":90000,'
        '"items":[{"category":"coffee","qty":1,"price":90000}]}',
    )
    assert [e.explain() for e in entries(outcomes)] == [
        "+9: base, 1 per 10,000 on 90,000 of the purchase",
        "+27: +9: base, 1 per 10,000 on 90,000 of the purchase; +18: coffee, 2 per 10,000 on 90,000 of matching items",
    ]


def test_custom_event_earns_only_the_rules_on_its_name(compile_text) -> None:
    engine = Engine(compile_text("""
        survey: earn 20 points on event "survey_completed"
        review: earn 5 points on event "review_written"
        base: earn 1 point per 1000 toman
    """))
    outcomes = run(engine, '{"id":"e1","type":"event","name":"survey_completed","member":"m1",'
                           '"at":"2026-01-01T10:00:00Z"}')
    assert ledger(outcomes) == [("m1", "earn", 20, "e1", "survey")]


def test_flat_earning_reads_purchase_fields_and_first_purchase(compile_text) -> None:
    engine = Engine(compile_text("""
        app_first: earn 100 points when first_purchase and channel == "app"
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":1000,"channel":"app"}',
        '{"id":"p2","member":"m1","at":"2026-01-02T10:00:00Z","amount":1000,"channel":"app"}',
        '{"id":"p3","member":"m2","at":"2026-01-02T10:00:00Z","amount":1000,"channel":"web"}',
    )
    assert ledger(outcomes) == [("m1", "earn", 100, "p1", "app_first")]


def test_rules_that_read_one_field_each_see_it_as_the_event_gives_it(compile_text) -> None:
    engine = Engine(compile_text("""
        app: earn 1 point per 1000 toman when channel == "app"
        app_first: earn 100 points when first_purchase and channel == "app"
        web: earn 7 points when channel != "app" and channel == "web"
        app_boost: bonus 2x when channel == "app"
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":5000,"channel":"app"}',
        '{"id":"p2","member":"m1","at":"2026-01-02T10:00:00Z","amount":5000,"channel":"web"}',
        '{"id":"p3","member":"m1","at":"2026-01-03T10:00:00Z","amount":5000}',
    )
    assert ledger(outcomes) == [("m1", "earn", 210, "p1", "app, app_first"), ("m1", "earn", 7, "p2", "web")]


def test_signup_rules_that_read_one_attribute_see_the_value_given_at_signup(compile_text) -> None:
    engine = Engine(compile_text("""
        tehran: earn 50 points on signup when member.city == "Tehran"
        north: earn 5 points on signup when member.city in ["Tehran", "Rasht"]
    """))
    outcomes = run(
        engine,
        '{"id":"s1","type":"signup","member":"m1","at":"2026-01-01T10:00:00Z","attrs":{"city":"Tehran"}}',
        '{"id":"s2","type":"signup","member":"m2","at":"2026-01-01T10:00:00Z","attrs":{"city":"Rasht"}}',
    )
    assert ledger(outcomes) == [("m1", "earn", 55, "s1", "tehran, north"), ("m2", "earn", 5, "s2", "north")]


def test_during_is_read_in_the_rulebook_calendar_and_timezone(compile_text) -> None:
    engine = Engine(compile_text("""
        calendar jalali
        timezone "Asia/Tehran"
        yalda: earn 10 points during 1404-09-30..1404-09-30
    """))
    # 1404-09-30 is 2025-12-21; Tehran is 3:30 ahead of UTC.
    outcomes = run(
        engine,
        '{"id":"before","member":"m1","at":"2025-12-20T20:29:59Z","amount":1000}',  # 20 Dec 23:59:59 local
        '{"id":"first","member":"m1","at":"2025-12-20T20:30:00Z","amount":1000}',   # 21 Dec 00:00 local
        '{"id":"last","member":"m1","at":"2025-12-21T20:29:59Z","amount":1000}',    # 21 Dec 23:59:59 local
        '{"id":"after","member":"m1","at":"2025-12-21T20:30:00Z","amount":1000}',   # 22 Dec 00:00 local
    )
    assert [e.event for e in entries(outcomes)] == ["first", "last"]


def test_signup_rules_apply_once_per_member(compile_text) -> None:
    engine = Engine(compile_text("""
        welcome: earn 50 points on signup
    """))
    outcomes = run(
        engine,
        '{"id":"s1","type":"signup","member":"m1","at":"2026-01-01T10:00:00Z","attrs":{"city":"Tehran"}}',
        '{"id":"s2","type":"signup","member":"m1","at":"2026-01-02T10:00:00Z","attrs":{"city":"Shiraz"}}',
    )
    assert ledger(outcomes) == [("m1", "earn", 50, "s1", "welcome")]
    assert outcomes[1].applied and outcomes[1].notes
    assert engine.members["m1"].attrs["city"] == "Shiraz"


def test_signup_rules_read_the_attributes_given_at_signup(compile_text) -> None:
    engine = Engine(compile_text("""
        tehran: earn 50 points on signup when member.city == "Tehran"
    """))
    outcomes = run(
        engine,
        '{"id":"s1","type":"signup","member":"m1","at":"2026-01-01T10:00:00Z","attrs":{"city":"Tehran"}}',
        '{"id":"s2","type":"signup","member":"m2","at":"2026-01-01T10:00:00Z","attrs":{"city":"Yazd"}}',
    )
    assert ledger(outcomes) == [("m1", "earn", 50, "s1", "tehran")]


def test_a_signup_whose_rule_fails_changes_nothing(compile_text) -> None:
    engine = Engine(compile_text("""
        odd: earn 50 points on signup when 100 / member.size > 1
    """))
    outcomes = run(
        engine,
        '{"id":"s1","type":"signup","member":"m1","at":"2026-01-01T10:00:00Z","attrs":{"size":0}}',
        '{"id":"s2","type":"signup","member":"m1","at":"2026-01-02T10:00:00Z","attrs":{"size":2}}',
    )
    assert [o.status for o in outcomes] == ["failed", "applied"]
    assert "division by zero" in (outcomes[0].reason or "")
    assert ledger(outcomes) == [("m1", "earn", 50, "s2", "odd")]


def test_a_failing_earn_condition_fails_the_purchase_and_records_nothing(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        per_guest: earn 5 points when amount / guests > 10000
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":50000,"guests":0}',
        '{"id":"p2","member":"m1","at":"2026-01-01T11:00:00Z","amount":50000,"guests":2}',
    )
    assert [o.status for o in outcomes] == ["failed", "applied"]
    assert ledger(outcomes) == [("m1", "earn", 55, "p2", "base, per_guest")]
    member = engine.members["m1"]
    assert (member.spend_total, member.count_total) == (50000, 1)


def test_fractional_amounts_earn_and_refund_exactly(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":12999.9}',
        '{"id":"r1","type":"refund","member":"m1","at":"2026-01-02T10:00:00Z","of":"p1","amount":6499.95}',
    )
    assert [(e.event, e.points) for e in entries(outcomes)] == [("p1", 12), ("r1", -6)]
    assert str(engine.members["m1"].spend_total) == "6499.95"


def test_cap_window_in_months_follows_the_calendar(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        monthly: cap 100 points per 1 month
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-31T10:00:00Z","amount":100000}',
        '{"id":"p2","member":"m1","at":"2026-02-28T10:00:00Z","amount":100000}',  # a month back is 01-28: p1 inside
        '{"id":"p3","member":"m1","at":"2026-03-01T10:00:00Z","amount":100000}',  # a month back is 02-01
    )
    assert [(e.event, e.points) for e in entries(outcomes)] == [("p1", 100), ("p3", 100)]


def test_an_earning_beyond_what_a_ledger_keeps_fails_its_event_only(compile_text) -> None:
    engine = Engine(compile_text("earn 100000 points per 1 toman"))
    huge, fine = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":900000000000000000}',
        '{"id":"p2","member":"m1","at":"2026-01-01T11:00:00Z","amount":9}',
    )
    assert (huge.status, huge.entries) == ("failed", ())
    assert "past 1,000,000,000,000,000" in (huge.reason or "")
    assert (fine.status, engine.members["m1"].balance, engine.members["m1"].spend_total) == ("applied", 900_000, 9)
