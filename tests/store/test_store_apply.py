"""Applying events to the store: once per id, whole events, every entry explained and traceable."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger_support import BUY, SIGNUP, SMALL_RULEBOOK, apply_file, snapshot, write_lines
from rules_engine.store.database import StoreError, open_database


def _rows(url: str, query: str) -> list[tuple]:
    db = open_database(url)
    try:
        with db.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(query))]
    finally:
        db.dispose()


SPEND = {"id": "x1", "type": "redeem", "member": "m1", "at": "2025-01-03T10:00:00Z", "reward": "r10"}


def test_an_event_writes_its_entry_naming_event_rule_and_rulebook_version(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    apply_file(db_url, rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP, BUY))
    assert _rows(db_url, "SELECT e.member, e.kind, e.points, e.event, e.rule, r.sha256 = h.sha FROM entries e "
                         "JOIN rulebooks r ON r.id = e.rulebook_id JOIN (SELECT sha256 AS sha FROM rulebooks) h "
                         "ON 1 = 1 ORDER BY e.seq") == [
        ("m1", "earn", 50, "s1", "welcome", True), ("m1", "earn", 120, "p1", "per_toman", True)]


def test_running_the_same_file_again_applies_nothing_new(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    events = write_lines(tmp_path / "e.jsonl", SIGNUP, BUY, SPEND, BUY)
    first = apply_file(db_url, rulebook, events)
    before = snapshot(db_url)
    again = apply_file(db_url, rulebook, events)
    assert (first.status["applied"], first.status["duplicate"]) == (3, 1)
    assert (again.known, sum(again.status.values())) == (4, 0)
    assert snapshot(db_url) == before


def test_an_id_sent_again_from_another_file_is_a_duplicate_and_applies_nothing(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    apply_file(db_url, rulebook, write_lines(tmp_path / "a.jsonl", SIGNUP, BUY))
    summary = apply_file(db_url, rulebook, write_lines(tmp_path / "b.jsonl", BUY))
    assert summary.status["duplicate"] == 1
    assert _rows(db_url, "SELECT count(*), sum(points) FROM entries") == [(2, 170)]


def test_an_id_sent_again_with_other_content_is_a_conflict_reported_and_not_applied(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    apply_file(db_url, rulebook, write_lines(tmp_path / "a.jsonl", SIGNUP, BUY))
    summary = apply_file(db_url, rulebook, write_lines(tmp_path / "b.jsonl", {**BUY, "amount": 990000}))
    assert [(p.arrival.event.id, p.status) for p in summary.problems] == [("p1", "conflict")]
    assert _rows(db_url, "SELECT status, event_id FROM repeats") == [("conflict", "p1")]
    assert _rows(db_url, "SELECT sum(points) FROM entries") == [(170,)]


def test_a_refused_redemption_is_stored_with_its_reason_and_no_entry(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    apply_file(db_url, rulebook, write_lines(tmp_path / "e.jsonl", {**SPEND, "reward": "coupon", "at": "2025-01-01T09:00:00Z"}))
    assert _rows(db_url, "SELECT status, reason FROM events") == [
        ("rejected", "insufficient_points: coupon costs 20 points; the balance is 0")]
    assert _rows(db_url, "SELECT count(*) FROM entries") == [(0,)]


def test_a_redemption_records_the_lots_it_consumed_earliest_expiry_first(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    coupon = {**SPEND, "reward": "coupon"}
    apply_file(db_url, rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP, BUY, coupon, {**coupon, "id": "x2"},
                                             {**coupon, "id": "x3"}))
    assert _rows(db_url, "SELECT u.lot, u.points FROM lot_uses u ORDER BY u.seq, u.n, u.k") == [
        ("s1", 20), ("s1", 20), ("s1", 10), ("p1", 10)]
    assert _rows(db_url, "SELECT count(DISTINCT code), count(*) FROM effects WHERE kind = 'coupon'") == [(3, 3)]


def test_balances_are_the_sums_of_entries_and_open_lots_add_up_to_them(db_url: str, tmp_path: Path) -> None:
    from ledger_support import RETAIL, RETAIL_EVENTS
    apply_file(db_url, RETAIL, RETAIL_EVENTS)
    sums = dict(_rows(db_url, "SELECT member, sum(points) FROM entries GROUP BY member"))
    balances = dict(_rows(db_url, "SELECT id, balance FROM members"))
    lots = dict(_rows(db_url, "SELECT l.member, sum(l.opening - coalesce(u.used, 0)) FROM lots l LEFT JOIN "
                              "(SELECT lot, sum(points) AS used FROM lot_uses GROUP BY lot) u ON u.lot = l.event "
                              "GROUP BY l.member"))
    assert {m: b for m, b in balances.items() if b} == {m: s for m, s in sums.items() if s}
    assert {m: b for m, b in balances.items() if b >= 0 and b} == {m: lots[m] for m, b in balances.items() if b >= 0 and b}


def test_expiry_removes_only_what_is_left_of_a_lot_and_names_the_event_that_earned_it(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    later = {"id": "p2", "member": "m1", "at": "2025-03-01T10:00:00Z", "amount": 1000}
    apply_file(db_url, rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP, BUY, SPEND, later))
    assert _rows(db_url, "SELECT kind, points, event FROM entries WHERE kind = 'expire' ORDER BY n") == [
        ("expire", -40, "s1"), ("expire", -120, "p1")]
    assert _rows(db_url, "SELECT balance FROM members") == [(1,)]


def test_a_new_rulebook_version_that_keeps_history_is_recorded_and_named_by_new_entries(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    apply_file(db_url, rulebook, write_lines(tmp_path / "a.jsonl", SIGNUP, BUY))
    newer = tmp_path / "shop-v2.rules"
    newer.write_text(SMALL_RULEBOOK + 'reward r5 "Five" costs 5 points gives product(sku: "Y")\n', encoding="utf-8")
    apply_file(db_url, newer, write_lines(tmp_path / "b.jsonl", {**SPEND, "reward": "r5"}))
    assert _rows(db_url, "SELECT event, rulebook_id FROM entries ORDER BY seq") == [("s1", 1), ("p1", 1), ("x1", 2)]
    assert _rows(db_url, "SELECT id, path FROM rulebooks ORDER BY id") == [(1, str(rulebook)), (2, str(newer))]


def test_a_rulebook_that_would_rewrite_applied_events_is_refused_and_writes_nothing(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    apply_file(db_url, rulebook, write_lines(tmp_path / "a.jsonl", SIGNUP, BUY))
    before = snapshot(db_url)
    richer = tmp_path / "richer.rules"
    richer.write_text(SMALL_RULEBOOK.replace("earn 1 point per 1000", "earn 2 points per 1000"), encoding="utf-8")
    with pytest.raises(StoreError, match=r"event p1 \(arrival 2\) was stored as applied with \+120 points, and now comes out applied with \+240"):
        apply_file(db_url, richer, write_lines(tmp_path / "b.jsonl", SPEND))
    assert snapshot(db_url) == before
