"""A plugin that raises or answers with bad data fails that one event, names itself, and leaves no trace.

The faults come from a real plugin (tests/plugins/faulty.py) registered beside the built-ins.
"""

from __future__ import annotations

import pytest

from plugins.faulty import Faulty
from plugins.harness import engine_for, event
from rules_engine.events import Event
from rules_engine.simulation import simulate

BOOK = """\
earn 1 point per 1000
reward boom "raises" costs 10 points gives boom()
reward shapeless "returns a list" costs 10 points gives shapeless()
reward unkeepable "returns a set" costs 10 points gives unkeepable()
reward tea "a real reward" costs 10 points gives product(sku: "TEA")
offer "faulty:raises" costs 10 points
offer "faulty:shapeless" costs 10 points
offer "faulty:maybe" costs 10 points
"""

FAULTS = {
    "reward that raises": (
        dict(type="redeem", reward="boom"), "plugin Faulty failed: RuntimeError('partner API is down')"),
    "reward that returns a list": (
        dict(type="redeem", reward="shapeless"), "plugin Faulty returned list for shapeless, not a mapping"),
    "reward that returns data a ledger cannot keep": (
        dict(type="redeem", reward="unkeepable"),
        "plugin Faulty returned data for unkeepable that a ledger cannot keep (a set at `nights`): "
        "effect data holds text, numbers, true/false, dates, lists and mappings"),
    "offer whose issue raises": (
        dict(type="claim", offer="faulty:raises"), "plugin Faulty failed: RuntimeError('partner API is down')"),
    "offer whose issue returns a list": (
        dict(type="claim", offer="faulty:shapeless"), "plugin Faulty returned list for offer, not a mapping"),
    "offer whose eligibility is not a bool": (
        dict(type="claim", offer="faulty:maybe"),
        "plugin Faulty failed: TypeError(\"eligible() of offer faulty:maybe returned str 'yes', not True or False\")"),
}


@pytest.mark.parametrize(("fields", "reason"), FAULTS.values(), ids=FAULTS.keys())
def test_a_failing_reward_or_offer_fails_only_its_event_and_takes_no_points(fields: dict, reason: str) -> None:
    engine = engine_for(BOOK, Faulty())
    engine.process(event("p-1", "purchase", amount=100_000))
    failed = engine.process(event("x-1", day=1, **fields))
    assert (failed.status, failed.reason) == ("failed", reason)
    assert failed.entries == () and failed.effects == ()
    member = engine.members["m-1"]
    assert (member.balance, member.redeemed, dict(member.redemptions)) == (100, 0, {})
    after = engine.process(event("x-2", "redeem", 2, reward="tea"))
    assert after.status == "applied" and member.balance == 90


FUNCTION_FAULTS = {
    "function that raises": (
        "explode", "function `explode` of plugin Faulty failed: RuntimeError('partner API is down')"),
    "function that returns the wrong type": (
        "wishy", "function `wishy` of plugin Faulty failed: TypeError(\"returned str 'yes', "
                 "but `wishy(date) -> bool` promises bool\")"),
}


@pytest.mark.parametrize(("function", "reason"), FUNCTION_FAULTS.values(), ids=FUNCTION_FAULTS.keys())
def test_a_failing_function_fails_only_its_purchase_and_records_nothing(function: str, reason: str) -> None:
    engine = engine_for(f"earn 1 point per 1000\nbonus 2x when {function}(date)\n", Faulty())
    failed = engine.process(event("p-1", "purchase", amount=100_000))
    assert failed.status == "failed" and reason in failed.reason
    member = engine.members["m-1"]
    assert (member.balance, member.count_total, member.spend_total) == (0, 0, 0)


def test_the_run_goes_on_after_a_plugin_fails() -> None:
    engine = engine_for(BOOK, Faulty())
    events: list[Event] = [event("p-1", "purchase", amount=100_000), event("x-1", "redeem", 1, reward="boom"),
                           event("x-2", "redeem", 2, reward="tea"), event("p-2", "purchase", 3, amount=50_000)]
    report = simulate(engine.program, events)
    assert report.status == {"applied": 3, "failed": 1}
    assert [(p.event.id, p.status) for p in report.problems] == [("x-1", "failed")]
    (member,) = report.members
    assert (member.balance, member.redeemed) == (140, 10)
