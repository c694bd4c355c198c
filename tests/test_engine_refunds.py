"""Step 4 of evaluating an event: refunds take back points pro rata, down to a debt if need be."""

from __future__ import annotations

import pytest
from helpers import entries, ledger, lots, run

from rules_engine.engine import Engine

RULEBOOK = """
    base: earn 1 point per 1000 toman
    reward r80 "Eighty" costs 80 points gives product(sku: "X")
"""


@pytest.fixture
def engine(compile_text) -> Engine:
    return Engine(compile_text(RULEBOOK))


def test_refund_reverses_pro_rata_from_the_purchase_lot_first(engine: Engine) -> None:
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}',
        '{"id":"p2","member":"m1","at":"2026-01-02T10:00:00Z","amount":50000}',
        '{"id":"r1","type":"refund","member":"m1","at":"2026-01-03T10:00:00Z","of":"p2","amount":20000}',
    )
    reverse = entries(outcomes)[-1]
    assert (reverse.kind, reverse.points, reverse.event, reverse.lots) == ("reverse", -20, "r1", (("p2", 20),))
    assert lots(engine, "m1") == [("p1", 100), ("p2", 30)]
    assert engine.members["m1"].balance == 130


def test_partial_refunds_reverse_the_rounded_down_share_so_far(engine: Engine) -> None:
    # 7 points on 7,000; each refund brings the total taken back to floor(7 x refunded / 7,000).
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":7000}',
        '{"id":"r1","type":"refund","member":"m1","at":"2026-01-02T10:00:00Z","of":"p1","amount":3500}',
        '{"id":"r2","type":"refund","member":"m1","at":"2026-01-03T10:00:00Z","of":"p1","amount":1000}',
        '{"id":"r3","type":"refund","member":"m1","at":"2026-01-04T10:00:00Z","of":"p1","amount":2500}',
    )
    assert [(e.event, e.points) for e in entries(outcomes)] == [("p1", 7), ("r1", -3), ("r2", -1), ("r3", -3)]
    assert engine.members["m1"].reversed == 7


def test_refund_of_more_than_is_left_refunds_what_is_left(engine: Engine) -> None:
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":10000}',
        '{"id":"r1","type":"refund","member":"m1","at":"2026-01-02T10:00:00Z","of":"p1","amount":4000}',
        '{"id":"r2","type":"refund","member":"m1","at":"2026-01-03T10:00:00Z","of":"p1","amount":9000}',
        '{"id":"r3","type":"refund","member":"m1","at":"2026-01-04T10:00:00Z","of":"p1","amount":1000}',
    )
    assert [o.status for o in outcomes] == ["applied", "applied", "applied", "invalid"]
    assert "6,000" in outcomes[2].notes[0]
    assert (outcomes[3].reason or "").startswith("already_refunded")
    assert [(e.event, e.points) for e in entries(outcomes)] == [("p1", 10), ("r1", -4), ("r2", -6)]
    assert engine.members["m1"].spend_total == 0


def test_refund_beyond_the_balance_leaves_debt(engine: Engine) -> None:
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}',
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-02T10:00:00Z","reward":"r80"}',
        '{"id":"r1","type":"refund","member":"m1","at":"2026-01-03T10:00:00Z","of":"p1","amount":100000}',
    )
    reverse = entries(outcomes)[-1]
    assert (reverse.points, reverse.lots) == (-100, (("p1", 20),))
    assert engine.members["m1"].balance == -80
    assert lots(engine, "m1") == []


def test_new_lot_repays_debt_first(engine: Engine) -> None:
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}',
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-02T10:00:00Z","reward":"r80"}',
        '{"id":"r1","type":"refund","member":"m1","at":"2026-01-03T10:00:00Z","of":"p1","amount":100000}',
        '{"id":"p2","member":"m1","at":"2026-01-04T10:00:00Z","amount":50000}',  # 50 of the 80 owed
        '{"id":"p3","member":"m1","at":"2026-01-05T10:00:00Z","amount":45000}',  # 30 owed, 15 kept
    )
    assert [(e.event, e.points) for e in entries(outcomes)][-2:] == [("p2", 50), ("p3", 45)]
    assert lots(engine, "m1") == [("p3", 15)]
    assert engine.members["m1"].balance == 15
    assert "30 repay the negative balance" in entries(outcomes)[-1].why


def test_referral_bonus_is_not_reversed_by_refund_of_the_first_purchase(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        friend: earn 100 points on referral
    """))
    outcomes = run(
        engine,
        '{"id":"s2","type":"signup","member":"m2","at":"2026-01-01T10:00:00Z","attrs":{"referred_by":"m1"}}',
        '{"id":"p1","member":"m2","at":"2026-01-02T10:00:00Z","amount":10000}',
        '{"id":"r1","type":"refund","member":"m2","at":"2026-01-03T10:00:00Z","of":"p1","amount":10000}',
    )
    assert ledger(outcomes) == [
        ("m2", "earn", 10, "p1", "base"),
        ("m1", "earn", 100, "p1:referral", "friend"),
        ("m2", "reverse", -10, "r1", "refund"),
    ]
    assert engine.members["m1"].balance == 100


@pytest.mark.parametrize(
    ("refund", "reason"),
    [
        ('{"id":"r1","type":"refund","member":"m1","at":"2026-01-02T10:00:00Z","of":"nope","amount":1}', "unknown_purchase"),
        ('{"id":"r1","type":"refund","member":"m2","at":"2026-01-02T10:00:00Z","of":"p1","amount":1}', "unknown_purchase"),
    ],
    ids=["unknown purchase", "another member's purchase"],
)
def test_refund_that_does_not_fit_is_invalid_and_changes_nothing(engine: Engine, refund: str, reason: str) -> None:
    outcomes = run(engine, '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":10000}', refund)
    assert outcomes[1].status == "invalid"
    assert (outcomes[1].reason or "").startswith(reason)
    assert outcomes[1].entries == ()
    assert engine.members["m1"].balance == 10
    assert engine.purchases["p1"].refunded == 0


def test_purchase_that_earned_nothing_can_be_refunded_without_an_entry(engine: Engine) -> None:
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":999}',
        '{"id":"r1","type":"refund","member":"m1","at":"2026-01-02T10:00:00Z","of":"p1","amount":999}',
    )
    assert [o.status for o in outcomes] == ["applied", "applied"]
    assert ledger(outcomes) == []
    assert engine.members["m1"].count_total == 0


def test_a_refund_without_an_amount_refunds_what_is_left_of_the_purchase(engine: Engine) -> None:
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}',
        '{"id":"r1","type":"refund","member":"m1","at":"2026-01-02T10:00:00Z","of":"p1","amount":30000}',
        '{"id":"r2","type":"refund","member":"m1","at":"2026-01-03T10:00:00Z","of":"p1"}',
    )
    assert [(e.event, e.points) for e in entries(outcomes) if e.kind == "reverse"] == [("r1", -30), ("r2", -70)]
    assert (outcomes[-1].amount, engine.members["m1"].spend_total, engine.members["m1"].balance) == (70000, 0, 0)
