"""The engine makes no reference cycles, which is what lets long runs pause the cyclic collector."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from rules_engine.collector import collector_paused
from rules_engine.dsl.compiler import compile_rulebook
from rules_engine.plugins.manager import default_registry
from rules_engine.readers import read_events
from rules_engine.simulation import simulate
from tests.helpers import events

RULEBOOKS = sorted((Path(__file__).resolve().parents[1] / "rulebooks").glob("*.rules"))


def _cyclic_garbage_of(run) -> int:
    """How many unreachable objects in cycles `run` left behind, with the collector off meanwhile."""
    gc.collect()
    gc.disable()
    try:
        run()
        return gc.collect()
    finally:
        gc.enable()


@pytest.mark.parametrize("book", RULEBOOKS, ids=lambda path: path.stem)
def test_a_sample_run_leaves_no_cyclic_garbage(book: Path) -> None:
    program = compile_rulebook(book.read_text(encoding="utf-8"), str(book), default_registry())
    history = read_events(book.with_suffix(".jsonl"), program.settings.tz).events
    assert _cyclic_garbage_of(lambda: simulate(program, history)) == 0


def test_refused_and_failed_events_leave_no_cyclic_garbage(compile_text) -> None:
    program = compile_text("""
        currency toman
        earn 1 point per 1000 toman when amount / shipping_fee > 2
        reward mug "Mug" costs 500 points gives free_shipping()
    """)
    history = events(
        dict(id="p1", member="m1", at="2025-01-01T10:00:00Z", amount=100000, shipping_fee=0),  # division by zero
        dict(id="r1", type="redeem", member="m1", at="2025-01-02T10:00:00Z", reward="mug"),  # not enough points
        dict(id="f1", type="refund", member="m1", at="2025-01-03T10:00:00Z", of="nope", amount=5),  # nothing to refund
    )
    report = None

    def run() -> None:
        nonlocal report
        report = simulate(program, history)

    assert _cyclic_garbage_of(run) == 0
    assert report is not None and report.status == {"failed": 1, "rejected": 1, "invalid": 1}


def test_the_collector_is_back_on_after_a_pause() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_does_not_switch_on_a_collector_that_was_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
