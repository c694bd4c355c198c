"""Step 5 of evaluating an event: redemptions, their refusals, and plugins that fail."""

from __future__ import annotations

from typing import Any, Mapping

import pytest
from helpers import entries, ledger, lots, run
from pydantic import BaseModel, ConfigDict

from rules_engine.dsl.compiler import compile_rulebook
from rules_engine.engine import Engine
from rules_engine.plugins.hookspecs import hookimpl
from rules_engine.plugins.manager import build_registry, plugin_manager
from rules_engine.plugins.registry import RedeemContext, RewardType


def test_redemption_consumes_lots_by_earliest_expiry(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        points expire after 365 days
        reward r60 "Sixty" costs 60 points gives product(sku: "X")
    """))
    # Applied in arrival order: p-late arrives first but p-early's lot expires first.
    outcomes = run(
        engine,
        '{"id":"p-late","member":"m1","at":"2026-01-05T10:00:00Z","amount":30000}',
        '{"id":"p-early","member":"m1","at":"2026-01-01T10:00:00Z","amount":50000}',
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-06T10:00:00Z","reward":"r60"}',
    )
    redeem = entries(outcomes)[-1]
    assert (redeem.kind, redeem.points, redeem.lots) == ("redeem", -60, (("p-early", 50), ("p-late", 10)))
    assert lots(engine, "m1") == [("p-late", 20)]


def test_redemption_produces_the_reward_effect(compile_text) -> None:
    engine = Engine(compile_text("""
        earn 1 point per 1000 toman
        coffee: reward free_coffee "قهوه رایگان" costs 40 points gives product(sku: "COF-1")
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":50000}',
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-02T10:00:00Z","reward":"free_coffee"}',
    )
    (effect,) = outcomes[1].effects
    assert (effect.kind, effect.member, effect.event_id, dict(effect.data)) == (
        "product", "m1", "x1", {"sku": "COF-1", "qty": 1})
    assert ledger(outcomes)[-1] == ("m1", "redeem", -40, "x1", "coffee")


REWARDS = """
    tier bronze
    tier silver when spend_total >= 100000
    base: earn 1 point per 1000 toman
    reward once "Once" costs 10 points gives product(sku: "A") limit 1 per member
    reward dear "Dear" costs 1000 points gives product(sku: "C") when tier >= silver limit 1 per member
"""


@pytest.mark.parametrize(
    ("reward", "setup", "reason"),
    [
        ("nothing", "", "unknown_reward"),
        # eligibility comes before the balance: a bronze member short of points
        ("dear", "", "not_eligible"),
        # the limit comes before the balance: one redemption spent every point
        ("once", '{"id":"x0","type":"redeem","member":"m1","at":"2026-01-01T11:00:00Z","reward":"once"}', "limit_reached"),
        # silver now, never redeemed, but 110 points
        ("dear", '{"id":"p2","member":"m1","at":"2026-01-01T11:00:00Z","amount":100000}', "insufficient_points"),
    ],
)
def test_redemption_rejections_in_order(compile_text, reward: str, setup: str, reason: str) -> None:
    engine = Engine(compile_text(REWARDS))
    rows = ['{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":10000}']
    rows += [setup] if setup else []
    rows.append(f'{{"id":"x1","type":"redeem","member":"m1","at":"2026-01-02T10:00:00Z","reward":"{reward}"}}')
    outcomes = run(engine, *rows)
    balance = engine.members["m1"].balance
    assert outcomes[-1].status == "rejected"
    assert (outcomes[-1].reason or "").split(":")[0] == reason
    assert outcomes[-1].entries == ()
    assert engine.members["m1"].balance == balance


@pytest.mark.parametrize(("reward", "hint"), [
    ("onse", "did you mean `once`?"),
    ("nothing", "the rulebook's rewards are `dear`, `once`"),
])
def test_an_unknown_reward_is_refused_with_the_likely_typo_or_the_rewards_there_are(compile_text, reward: str,
                                                                                   hint: str) -> None:
    outcomes = run(Engine(compile_text(REWARDS)),
                   f'{{"id":"x1","type":"redeem","member":"m1","at":"2026-01-02T10:00:00Z","reward":"{reward}"}}')
    assert outcomes[-1].reason == f"unknown_reward: the rulebook has no reward `{reward}`; {hint}"


def test_limit_counts_only_successful_redemptions(compile_text) -> None:
    engine = Engine(compile_text(REWARDS))
    outcomes = run(
        engine,
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-01T09:00:00Z","reward":"once"}',
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":10000}',
        '{"id":"x2","type":"redeem","member":"m1","at":"2026-01-02T10:00:00Z","reward":"once"}',
    )
    assert [o.status for o in outcomes] == ["rejected", "applied", "applied"]


def test_redemption_never_makes_a_debt_deeper(compile_text) -> None:
    engine = Engine(compile_text("""
        base: earn 1 point per 1000 toman
        reward free "Free" costs 0 points gives product(sku: "X")
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":10000}',
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-01T11:00:00Z","reward":"free"}',
        '{"id":"r1","type":"refund","member":"m1","at":"2026-01-01T12:00:00Z","of":"p1","amount":10000}',
    )
    assert outcomes[1].applied and outcomes[1].effects
    assert ledger(outcomes) == [("m1", "earn", 10, "p1", "base"), ("m1", "reverse", -10, "r1", "refund")]


class _Explodes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _explode(params: _Explodes, ctx: RedeemContext) -> Mapping[str, Any]:
    raise RuntimeError("warehouse is down")


class BrokenRewardPlugin:
    @hookimpl
    def loyalty_reward_types(self) -> list[RewardType]:
        return [RewardType("explodes", _Explodes, _explode, "always fails")]


def test_plugin_reward_that_raises_fails_only_that_event() -> None:
    registry = build_registry(plugin_manager(extra=[BrokenRewardPlugin()], entry_points=False))
    engine = Engine(compile_rulebook("""
        base: earn 1 point per 1000 toman
        reward boom "Boom" costs 10 points gives explodes()
        reward fine "Fine" costs 10 points gives product(sku: "X")
    """, "test.rules", registry))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":50000}',
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-02T10:00:00Z","reward":"boom"}',
        '{"id":"x2","type":"redeem","member":"m1","at":"2026-01-03T10:00:00Z","reward":"fine"}',
    )
    assert [o.status for o in outcomes] == ["applied", "failed", "applied"]
    assert "warehouse is down" in (outcomes[1].reason or "")
    assert outcomes[1].entries == () and outcomes[1].effects == ()
    assert engine.members["m1"].balance == 40
    assert engine.members["m1"].redemptions == {"fine": 1}
