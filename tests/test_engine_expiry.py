"""Step 1 (catch-up) for lots: what expired before an event is gone before the event counts."""

from __future__ import annotations

from datetime import datetime, timezone

from helpers import entries, ledger, lots, run

from rules_engine.engine import Engine


def test_expired_lot_is_caught_up_before_the_event(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        yearly: points expire after 30 days
        reward r "R" costs 10 points gives product(sku: "X")
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":50000}',
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-31T10:00:00Z","reward":"r"}',  # expires_at <= t
    )
    assert outcomes[1].status == "rejected"
    assert (outcomes[1].reason or "").startswith("insufficient_points")
    (expire,) = outcomes[1].entries
    assert (expire.kind, expire.points, expire.event, expire.rule) == ("expire", -50, "p1", "yearly")
    assert expire.at == engine.members["m1"].enrolled_at.replace(day=31)
    assert engine.members["m1"].balance == 0


def test_lot_is_still_there_just_before_it_expires(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        points expire after 30 days
        reward r "R" costs 10 points gives product(sku: "X")
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":50000}',
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-31T09:59:59Z","reward":"r"}',
    )
    assert outcomes[1].applied
    assert lots(engine, "m1") == [("p1", 40)]


def test_expiry_removes_only_what_is_left_of_a_lot(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        expiry: points expire after 30 days
        reward r "R" costs 30 points gives product(sku: "X")
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":50000}',
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-10T10:00:00Z","reward":"r"}',
        '{"id":"e1","type":"event","name":"visit","member":"m1","at":"2026-03-01T10:00:00Z"}',
    )
    assert ledger(outcomes) == [
        ("m1", "earn", 50, "p1", "base"),
        ("m1", "redeem", -30, "x1", "line 4"),
        ("m1", "expire", -20, "p1", "expiry"),
    ]
    member = engine.members["m1"]
    assert (member.balance, member.expired) == (0, 20)


def test_months_based_expiry_follows_jalali_months_on_the_local_clock(compile_text) -> None:
    engine = Engine(compile_text("""
        calendar jalali
        timezone "Asia/Tehran"
        base: earn 1 point per 1000 toman
        points expire after 1 month
    """))
    # 1404-01-15 10:00 Tehran (2025-04-04 06:30Z) + one Jalali month = 1404-02-15 10:00 (2025-05-05 06:30Z);
    # Farvardin has 31 days, so a Gregorian month (May 4) or 30 days would both be a day early.
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2025-04-04T06:30:00Z","amount":50000}',
        '{"id":"e1","type":"event","name":"visit","member":"m1","at":"2025-05-05T06:29:59Z"}',
        '{"id":"e2","type":"event","name":"visit","member":"m1","at":"2025-05-05T06:30:00Z"}',
    )
    assert [len(o.entries) for o in outcomes] == [1, 0, 1]
    assert outcomes[2].entries[0].at.isoformat() == "2025-05-05T06:30:00+00:00"


def test_expiry_entries_are_written_at_the_expiry_time_in_expiry_order(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        points expire after 10 days
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":1000}',
        '{"id":"p2","member":"m1","at":"2026-01-02T10:00:00Z","amount":2000}',
        '{"id":"p3","member":"m1","at":"2026-02-01T10:00:00Z","amount":3000}',
    )
    expired = [(e.event, e.points, e.at.day) for e in entries(outcomes) if e.kind == "expire"]
    assert expired == [("p1", -1, 11), ("p2", -2, 12)]
    assert lots(engine, "m1") == [("p3", 3)]


def test_expiry_notices_announce_points_expiring_in_the_window_without_touching_the_ledger(compile_text) -> None:
    engine = Engine(compile_text("earn 1 point per 1000 toman\npoints expire after 30 days"))
    run(engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}',
        '{"id":"p2","member":"m1","at":"2026-01-05T10:00:00Z","amount":50000}')

    notices = engine.expiry_notices(datetime(2026, 1, 30, 12, tzinfo=timezone.utc),
                                    datetime(2026, 1, 31, 12, tzinfo=timezone.utc))

    (notice,) = notices
    (effect,) = notice.effects
    assert (effect.kind, effect.member, dict(effect.data)) == ("expiry_soon", "m1", {"points": 100, "expires_at": "2026-01-31"})
    assert notice.entries == () and engine.members["m1"].balance == 150
