"""Which events are applied, to whom and in what order: ids, enrolment, referrals, windows, `as_of`."""

from __future__ import annotations

from datetime import datetime, timezone

from helpers import entries, events, ledger, run

from rules_engine.engine import Engine
from rules_engine.events import Event
from rules_engine.simulation import report_json, simulate

P1 = '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":10000}'


def test_duplicate_event_id_ignored_and_counted(compile_text) -> None:
    program = compile_text("base: earn 1 point per 1000 toman")
    outcomes = run(Engine(program), P1, P1)
    assert [o.status for o in outcomes] == ["applied", "duplicate"]
    assert ledger(outcomes) == [("m1", "earn", 10, "p1", "base")]
    totals = report_json(simulate(program, events(P1, P1)))["totals"]
    assert (totals["events"], totals["duplicates"], totals["earned"]) == (2, 1, 10)


def test_same_id_different_payload_is_a_conflict(compile_text) -> None:
    engine = Engine(compile_text("base: earn 1 point per 1000 toman"))
    outcomes = run(engine, P1, P1.replace("10000", "90000"))
    assert [o.status for o in outcomes] == ["applied", "conflict"]
    assert outcomes[1].entries == ()
    assert engine.members["m1"].balance == 10


def test_an_event_id_is_seen_once_whatever_its_type(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        reward r "R" costs 5 points gives product(sku: "X")
    """))
    outcomes = run(engine, P1, '{"id":"p1","type":"redeem","member":"m1","at":"2026-01-02T10:00:00Z","reward":"r"}')
    assert [o.status for o in outcomes] == ["applied", "conflict"]
    assert engine.members["m1"].balance == 10


def test_unknown_member_is_enrolled_at_the_event_in_the_base_tier(compile_text) -> None:
    engine = Engine(compile_text("""
        tier bronze
        tier silver when count_total >= 5
        survey: earn 20 points on event "survey_completed"
    """))
    run(engine, '{"id":"e1","type":"event","name":"survey_completed","member":"m9","at":"2026-01-05T08:00:00Z"}')
    member = engine.members["m9"]
    assert (member.enrolled_at.isoformat(), member.tier, member.balance) == ("2026-01-05T08:00:00+00:00", 0, 20)


REFERRALS = """
    base: earn 1 point per 1000 toman
    friend: earn 100 points on referral
"""


def test_referral_paid_once_on_first_purchase(compile_text) -> None:
    engine = Engine(compile_text(REFERRALS))
    outcomes = run(
        engine,
        '{"id":"s1","type":"signup","member":"m1","at":"2026-01-01T09:00:00Z"}',
        '{"id":"s2","type":"signup","member":"m2","at":"2026-01-01T10:00:00Z","attrs":{"referred_by":"m1"}}',
        '{"id":"p1","member":"m2","at":"2026-01-02T10:00:00Z","amount":10000}',
        '{"id":"p2","member":"m2","at":"2026-01-03T10:00:00Z","amount":10000}',
    )
    assert ledger(outcomes) == [
        ("m2", "earn", 10, "p1", "base"),
        ("m1", "earn", 100, "p1:referral", "friend"),
        ("m2", "earn", 10, "p2", "base"),
    ]
    referral = outcomes[3]
    assert (referral.event.type, referral.event.at) == ("referral", outcomes[2].event.at)


def test_only_the_first_referrer_counts_and_nobody_refers_themselves(compile_text) -> None:
    engine = Engine(compile_text(REFERRALS))
    outcomes = run(
        engine,
        '{"id":"s1","type":"signup","member":"m2","at":"2026-01-01T10:00:00Z","attrs":{"referred_by":"m2"}}',
        '{"id":"s2","type":"signup","member":"m3","at":"2026-01-01T10:00:00Z","attrs":{"referred_by":"m1"}}',
        '{"id":"s3","type":"signup","member":"m3","at":"2026-01-01T11:00:00Z","attrs":{"referred_by":"m4"}}',
        '{"id":"p1","member":"m2","at":"2026-01-02T10:00:00Z","amount":1000}',
        '{"id":"p2","member":"m3","at":"2026-01-02T10:00:00Z","amount":1000}',
    )
    referrals = [(e.member, e.event) for e in entries(outcomes) if e.rule == "friend"]
    assert referrals == [("m1", "p2:referral")]


def test_an_event_with_a_referral_id_is_refused_and_the_referral_still_paid(compile_text) -> None:
    engine = Engine(compile_text(REFERRALS))
    signup, purchase = events(
        '{"id":"s2","type":"signup","member":"m2","at":"2026-01-01T10:00:00Z","attrs":{"referred_by":"m1"}}',
        '{"id":"p1","member":"m2","at":"2026-01-02T10:00:00Z","amount":1000}',
    )
    sent = Event(id="p1:referral", type="event", member="m1", at=signup.at, name="survey")
    engine.process(signup)
    refused = engine.process(sent)
    engine.process(purchase)
    assert (refused.status, refused.reason.split(":")[0]) == ("invalid", "reserved_id")
    assert refused.entries == ()
    assert engine.members["m1"].balance == 100


def test_an_unknown_referrer_is_enrolled_by_the_referral(compile_text) -> None:
    engine = Engine(compile_text(REFERRALS))
    run(
        engine,
        '{"id":"s2","type":"signup","member":"m2","at":"2026-01-01T10:00:00Z","attrs":{"referred_by":"m1"}}',
        '{"id":"p1","member":"m2","at":"2026-01-02T10:00:00Z","amount":1000}',
    )
    assert engine.members["m1"].balance == 100


def test_referral_is_not_counted_as_an_event_read(compile_text) -> None:
    program = compile_text(REFERRALS)
    report = simulate(program, events(
        '{"id":"s2","type":"signup","member":"m2","at":"2026-01-01T10:00:00Z","attrs":{"referred_by":"m1"}}',
        '{"id":"p1","member":"m2","at":"2026-01-02T10:00:00Z","amount":1000}',
    ))
    totals = report_json(report)["totals"]
    assert (totals["events"], totals["members"], totals["earned"]) == (2, 2, 101)


WINDOWS = """
    base: earn 1 point per 1000 toman
    big_month: earn 10 points when spend_30d >= 150000
    busy_day: earn 5 points when count_1d >= 2
"""


def _earned_by(outcomes, event_id: str) -> str:
    return next(e.rule for e in entries(outcomes) if e.event == event_id)


def test_spend_window_includes_this_event(compile_text) -> None:
    outcomes = run(Engine(compile_text(WINDOWS)), '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":150000}')
    assert _earned_by(outcomes, "p1") == "base, big_month"


def test_spend_window_is_lowered_by_refunds(compile_text) -> None:
    outcomes = run(
        Engine(compile_text(WINDOWS)),
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}',
        '{"id":"r1","type":"refund","member":"m1","at":"2026-01-02T10:00:00Z","of":"p1","amount":30000}',
        '{"id":"p2","member":"m1","at":"2026-01-03T10:00:00Z","amount":60000}',   # 130,000 in the window
        '{"id":"p3","member":"m1","at":"2026-01-04T10:00:00Z","amount":20000}',   # 150,000
    )
    assert [_earned_by(outcomes, p) for p in ("p2", "p3")] == ["base", "base, big_month"]


def test_count_window_excludes_purchases_refunded_in_full(compile_text) -> None:
    outcomes = run(
        Engine(compile_text(WINDOWS)),
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":1000}',
        '{"id":"r1","type":"refund","member":"m1","at":"2026-01-01T11:00:00Z","of":"p1","amount":1000}',
        '{"id":"p2","member":"m1","at":"2026-01-01T12:00:00Z","amount":1000}',    # p1 no longer counts
        '{"id":"p3","member":"m1","at":"2026-01-01T13:00:00Z","amount":1000}',    # p2 and p3
    )
    assert [_earned_by(outcomes, p) for p in ("p2", "p3")] == ["base", "base, busy_day"]


def test_count_window_keeps_a_partly_refunded_purchase(compile_text) -> None:
    outcomes = run(
        Engine(compile_text(WINDOWS)),
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":2000}',
        '{"id":"r1","type":"refund","member":"m1","at":"2026-01-01T11:00:00Z","of":"p1","amount":1000}',
        '{"id":"p2","member":"m1","at":"2026-01-01T12:00:00Z","amount":1000}',
    )
    assert _earned_by(outcomes, "p2") == "base, busy_day"


def test_window_is_open_at_its_start_and_closed_at_t(compile_text) -> None:
    outcomes = run(
        Engine(compile_text(WINDOWS)),
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":1000}',
        '{"id":"p2","member":"m1","at":"2026-01-02T10:00:00Z","amount":1000}',   # p1 at exactly t - 1 day: out
        '{"id":"p3","member":"m1","at":"2026-01-03T09:59:59Z","amount":1000}',   # p2 just inside
    )
    assert [_earned_by(outcomes, p) for p in ("p2", "p3")] == ["base", "base, busy_day"]


def test_events_processed_in_time_order_stably(compile_text) -> None:
    program = compile_text("""
        base: earn 1 point per 1000 toman
        reward r "R" costs 10 points gives product(sku: "X")
    """)
    rows = events(
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-01T12:00:00Z","reward":"r"}',  # after p1
        '{"id":"x2","type":"redeem","member":"m2","at":"2026-01-01T10:00:00Z","reward":"r"}',  # same time as p2, first
        '{"id":"p2","member":"m2","at":"2026-01-01T10:00:00Z","amount":10000}',
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":10000}',
    )
    report = simulate(program, rows, follow=("m1", "m2"))
    assert [o.status for o in report.followed["m1"]] == ["applied", "applied"]
    assert [(o.event.id, o.status) for o in report.followed["m2"]] == [("x2", "rejected"), ("p2", "applied")]


def test_as_of_runs_catch_up_for_every_member(compile_text) -> None:
    program = compile_text("""
        tier bronze
        tier silver when spend_30d >= 100000
        base: earn 1 point per 1000 toman
        points expire after 30 days
    """)
    rows = events(
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}',
        '{"id":"p2","member":"m2","at":"2026-01-10T10:00:00Z","amount":200000}',
    )
    at_last_event = report_json(simulate(program, rows))
    assert [(m["id"], m["balance"], m["tier"]) for m in at_last_event["members"]] == [
        ("m1", 100, "silver"), ("m2", 200, "silver")]
    later = report_json(simulate(program, rows, as_of=datetime(2026, 2, 15, tzinfo=timezone.utc)))
    assert [(m["id"], m["balance"], m["expired"], m["tier"]) for m in later["members"]] == [
        ("m1", 0, 100, "bronze"), ("m2", 0, 200, "bronze")]
    assert later["totals"]["tiers"] == {"bronze": 2, "silver": 0}


def test_events_after_as_of_are_not_applied(compile_text) -> None:
    program = compile_text("base: earn 1 point per 1000 toman")
    rows = events(P1, '{"id":"p2","member":"m1","at":"2026-03-01T10:00:00Z","amount":10000}')
    report = simulate(program, rows, as_of=datetime(2026, 2, 1, tzinfo=timezone.utc))
    assert (report.events, report.total("earned")) == (2, 10)


def test_every_entry_names_its_event_and_rule(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        expiry: points expire after 10 days
        gift: reward r "R" costs 5 points gives product(sku: "X")
    """))
    outcomes = run(
        engine,
        P1,
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-02T10:00:00Z","reward":"r"}',
        '{"id":"r1","type":"refund","member":"m1","at":"2026-01-03T10:00:00Z","of":"p1","amount":2000}',
        '{"id":"e1","type":"event","name":"visit","member":"m1","at":"2026-01-20T10:00:00Z"}',
    )
    assert [(kind, event, rule) for _, kind, _, event, rule in ledger(outcomes)] == [
        ("earn", "p1", "base"), ("redeem", "x1", "gift"), ("reverse", "r1", "refund"), ("expire", "p1", "expiry")]
