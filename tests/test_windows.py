"""Rolling windows: sums and counts over (t − span, t], kept incrementally."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from helpers import run
from hypothesis import given, settings
from hypothesis import strategies as st

from rules_engine.dsl.compiler import compile_rulebook
from rules_engine.engine import Engine
from rules_engine.windows import Record, Windows

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _windows(*days: int) -> Windows:
    return Windows(tuple((lambda t, d=d: t - timedelta(days=d)) for d in days))


def _day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def test_advance_sums_what_falls_inside_each_window() -> None:
    w = _windows(1, 7)
    for day, value in ((0, 10), (3, 20), (6.5, 30)):
        w.add(Record(_day(day), value))
    w.advance(_day(7))
    assert (w.sums, w.counts) == ([30, 50], [1, 2])  # day 0 sits exactly at t - 7 days: out


def test_window_start_is_open_and_end_is_closed() -> None:
    w = _windows(1)
    w.add(Record(_day(0), 10))
    w.add(Record(_day(1), 20))
    w.add(Record(_day(2), 40))
    w.advance(_day(1))
    assert w.sums == [20]  # day 0 sits exactly at t - 1 day: out; day 2 is after t: not yet in
    w.advance(_day(2) - timedelta(microseconds=1))
    assert w.sums == [20]


def test_change_on_refund_lowers_the_sum_and_uncounts_a_full_refund() -> None:
    w = _windows(30)
    partly, fully = Record(_day(0), 100), Record(_day(1), 50)
    w.add(partly)
    w.add(fully)
    w.advance(_day(2))
    w.change(partly, 40, still_counts=True)
    w.change(fully, 50, still_counts=False)
    assert (w.sums, w.counts) == ([60], [1])
    w.advance(_day(30.5))  # `partly` has left the window, with its lowered value
    assert (w.sums, w.counts) == ([0], [0])


def test_change_outside_the_window_leaves_it_alone() -> None:
    w = _windows(1)
    old = Record(_day(0), 100)
    w.add(old)
    w.add(Record(_day(5), 7))
    w.advance(_day(5))
    w.change(old, 100, still_counts=False)
    assert (w.sums, w.counts) == ([7], [1])


def test_out_of_order_add_rebuilds_the_window() -> None:
    w = _windows(3)
    w.add(Record(_day(0), 1))
    w.add(Record(_day(4), 4))
    w.advance(_day(4))
    assert w.sums == [4]
    w.add(Record(_day(2), 2))  # late data, inside (day 1, day 4]
    w.advance(_day(4))
    assert (w.sums, w.counts) == ([6], [2])


def test_advancing_backwards_rebuilds_the_window() -> None:
    w = _windows(3)
    for day in range(6):
        w.add(Record(_day(day), 10 ** day))
    w.advance(_day(5))
    w.advance(_day(2))
    assert w.sums == [111]


def test_remove_takes_back_a_record() -> None:
    w = _windows(3)
    keep, drop = Record(_day(0), 1), Record(_day(1), 10)
    w.add(keep)
    w.add(drop)
    w.advance(_day(1))
    w.remove(drop)
    w.advance(_day(1))
    assert (w.sums, w.counts) == ([1], [1])


def test_late_data_can_move_the_windows_back_over_records_they_had_left() -> None:
    w = _windows(1)
    for minute in range(5):
        w.add(Record(T0 + timedelta(minutes=minute), 1))
    w.add(Record(_day(3), 10))
    w.advance(_day(3))
    assert w.sums == [10]
    w.advance(T0 + timedelta(minutes=10))  # a late event from the first day
    assert (w.sums, w.counts) == ([5], [5])


_steps = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 3 * 24 * 60), st.integers(1, 100)),
        st.tuples(st.just("add now"), st.just(0), st.integers(1, 100)),  # at the instant the windows stand at
        st.tuples(st.just("advance"), st.integers(0, 3 * 24 * 60), st.just(0)),
        st.tuples(st.just("refund"), st.integers(0, 1000), st.integers(1, 100)),
    ),
    max_size=60,
)


@pytest.mark.parametrize("fixed", [True, False], ids=["fixed spans", "calendar cutoffs"])
@settings(max_examples=100, deadline=None)
@given(steps=_steps)
def test_windows_agree_with_summing_the_log_from_scratch(fixed, steps) -> None:
    spans = (timedelta(hours=1), timedelta(hours=6), timedelta(days=1))
    w = Windows(spans if fixed else tuple((lambda t, s=s: t - s) for s in spans))
    records: list[Record] = []
    now = T0
    for action, minute, value in steps:
        if action.startswith("add"):
            record = Record(now if action == "add now" else T0 + timedelta(minutes=minute), value)
            records.append(record)
            w.add(record)
            now = max(now, record.at)
        elif action == "advance":
            now = T0 + timedelta(minutes=minute)
        elif records:
            record = records[minute % len(records)]
            cut = min(value, record.value)
            w.change(record, cut, still_counts=record.value - cut > 0)
        w.advance(now)
        inside = [r for r in records if r.at <= now]
        assert w.sums == [sum(r.value for r in inside if r.at > now - s) for s in spans]
        assert w.counts == [sum(r.counts for r in inside if r.at > now - s) for s in spans]



_history = st.lists(
    st.tuples(st.integers(0, 10 * 24 * 60), st.sampled_from(["purchase", "purchase", "refund"]),
              st.integers(1, 40).map(lambda n: n * 5000), st.integers(0, 1000)),
    max_size=30,
    unique_by=lambda step: step[0],
)

WINDOWED = """
    base: earn 1 point per 1000 toman
    big: earn 7 points when spend_3d >= 300000
    busy: bonus 2x when count_1d >= 2
    cap 100 points per 2 days
"""


@settings(max_examples=60, deadline=None)
@given(history=_history)
def test_engine_windows_match_their_definition_over_random_histories(registry, history) -> None:
    """spend_3d, count_1d and the cap window, recomputed from the whole history at every purchase."""
    engine = Engine(compile_rulebook(WINDOWED, "windows.rules", registry))
    purchases: list[dict] = []  # at, amount, refunded
    earned: list[tuple[datetime, int]] = []
    for minute, kind, amount, pick in sorted(history):
        at = T0 + timedelta(minutes=minute)
        if kind == "refund":
            if not purchases:
                continue
            target = purchases[pick % len(purchases)]
            row = {"id": f"r{minute}", "type": "refund", "member": "m1", "at": at.isoformat(),
                   "of": target["id"], "amount": amount}
            if target["refunded"] < target["amount"]:
                target["refunded"] = min(target["amount"], target["refunded"] + amount)
            run(engine, row)
            continue
        purchases.append({"id": f"p{minute}", "at": at, "amount": amount, "refunded": 0})
        spend_3d = sum(p["amount"] - p["refunded"] for p in _within(purchases, at, 3))
        count_1d = sum(1 for p in _within(purchases, at, 1) if p["refunded"] < p["amount"])
        points = amount // 1000 + (7 if spend_3d >= 300000 else 0)
        points *= 2 if count_1d >= 2 else 1
        room = 100 - sum(n for when, n in earned if at - timedelta(days=2) < when <= at)
        expected = max(0, min(points, room))
        outcomes = run(engine, {"id": f"p{minute}", "member": "m1", "at": at.isoformat(), "amount": amount})
        assert sum(e.points for e in outcomes[0].entries if e.kind == "earn") == expected
        if expected:
            earned.append((at, expected))


def _within(purchases: list[dict], at: datetime, days: int) -> list[dict]:
    return [p for p in purchases if at - timedelta(days=days) < p["at"] <= at]
