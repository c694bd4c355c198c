"""Faults while applying: a dropped connection, a full disk, a plugin that raises.

Each test breaks a run part way, restarts as an operator would (a new process's
ledger loaded from the store) and proves the ledger then equals the one an
uninterrupted run of the same feed leaves.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

import pytest
import sqlalchemy as sa
from pydantic import BaseModel

from ledger_support import SMALL_RULEBOOK, snapshot
from rules_engine.dsl.compiler import compile_rulebook
from rules_engine.plugins.manager import default_registry
from rules_engine.plugins.registry import DslFunction, Registry, RewardType
from rules_engine.program import Program
from rules_engine.readers import _to_event
from rules_engine.store.database import StoreError, open_database
from rules_engine.store.writer import Arrival, Ledger, Summary

PROGRAM = compile_rulebook(SMALL_RULEBOOK, "shop.rules", default_registry())
START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def feed(program: Program = PROGRAM, members: int = 4, days: int = 6) -> list[Arrival]:
    """Signups, purchases, a refund and redemptions, each from a line of one file (so a rerun is recognised)."""
    rows: list[dict[str, Any]] = []
    for m in range(members):
        rows.append({"type": "signup", "member": f"m{m}"})
        for d in range(days):
            rows.append({"type": "purchase", "member": f"m{m}", "amount": 40_000 + 7_000 * d + 1_000 * m})
        rows.append({"type": "refund", "member": f"m{m}", "of": f"m{m}-purchase1", "amount": 20_000})
        rows.append({"type": "redeem", "member": f"m{m}", "reward": "r10"})
    arrivals = []
    for line, row in enumerate(rows, 1):
        kind = row["type"]
        count = sum(1 for r in rows[:line - 1] if r["member"] == row["member"] and r["type"] == row["type"])
        full = {"id": f"{row['member']}-{kind}{count}", "at": (START + timedelta(hours=line)).isoformat(), **row}
        event = _to_event(full, line, program.settings.tz)
        arrivals.append(Arrival(event, "feed.jsonl", line))  # type: ignore[arg-type]
    return arrivals


def run(url: str, arrivals: list[Arrival], program: Program = PROGRAM, batch: int = 5,
        hook: Callable[[sa.Engine], None] | None = None) -> Summary:
    """One `loyalty apply` run: open, load what is stored, apply."""
    db = open_database(url)
    try:
        if hook is not None:
            hook(db)
        ledger = Ledger(db, program, SMALL_RULEBOOK, "shop.rules")
        ledger.load()
        return ledger.apply(arrivals, batch)
    finally:
        db.dispose()


def uninterrupted(new_db_url: Callable[[], str], arrivals: list[Arrival]) -> dict[str, Any]:
    url = new_db_url()
    run(url, arrivals)
    return snapshot(url)


def _on_insert(db: sa.Engine, nth: int, act: Callable[[Any], None]) -> None:
    """Calls `act(connection)` just before the nth INSERT any connection of `db` sends."""
    seen = [0]

    @sa.event.listens_for(db, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT"):
            seen[0] += 1
            if seen[0] == nth:
                act(conn)


def _drop(conn: Any) -> None:
    """The connection goes away under the transaction, as when the network or server drops it."""
    conn.connection.dbapi_connection.close()


def test_a_connection_dropped_mid_batch_loses_only_that_batch_and_a_rerun_makes_the_ledger_exact(
        new_db_url: Callable[[], str]) -> None:
    arrivals = feed()
    url = new_db_url()
    with pytest.raises(StoreError, match="run the same input again"):
        run(url, arrivals, hook=lambda db: _on_insert(db, 9, _drop))
    partial = snapshot(url)
    assert 0 < len(partial["events"]) < len(arrivals)
    assert len(partial["events"]) % 5 == 0  # whole batches only
    run(url, arrivals)
    assert snapshot(url) == uninterrupted(new_db_url, arrivals)


@pytest.mark.skipif(not os.environ.get("LOYALTY_TEST_DATABASE_URL"), reason="PostgreSQL only")
def test_a_backend_terminated_by_the_server_mid_batch_loses_only_that_batch(new_db_url: Callable[[], str]) -> None:
    arrivals = feed()
    url = new_db_url()
    if not url.startswith("postgresql"):
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    killer = sa.create_engine(os.environ["LOYALTY_TEST_DATABASE_URL"])

    def terminate(conn: Any) -> None:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with killer.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    try:
        with pytest.raises(StoreError, match="stopped taking writes"):
            run(url, arrivals, hook=lambda db: _on_insert(db, 9, terminate))
    finally:
        killer.dispose()
    assert len(snapshot(url)["events"]) % 5 == 0
    run(url, arrivals)
    assert snapshot(url) == uninterrupted(new_db_url, arrivals)


def _limit_pages(extra: int | None) -> Callable[[sa.Engine], None]:
    """Caps the SQLite file near its current size, as a full disk would."""
    def hook(db: sa.Engine) -> None:
        with db.connect() as c:
            pages = c.exec_driver_sql("PRAGMA page_count").scalar()
        db.dispose()  # new connections only: the cap is a per-connection setting

        @sa.event.listens_for(db, "connect")
        def _cap(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            if extra is not None:
                dbapi_connection.execute(f"PRAGMA max_page_count={pages + extra}")
    return hook


def test_a_full_disk_stops_the_run_with_a_clear_error_and_half_applies_nothing(new_db_url: Callable[[], str]) -> None:
    url = new_db_url()
    if not url.startswith("sqlite"):
        pytest.skip("the page cap is SQLite's")
    arrivals = feed(members=12, days=20)
    with pytest.raises(StoreError, match="database or disk is full"):
        run(url, arrivals, batch=50, hook=_limit_pages(3))
    stored = snapshot(url)
    assert len(stored["events"]) % 50 == 0
    assert {e[0] for e in stored["entries"]} <= {e[0] for e in stored["events"]}  # no entry without its event
    run(url, arrivals, batch=50)
    assert snapshot(url) == uninterrupted(new_db_url, arrivals)


class _Nothing(BaseModel):
    pass


def _registry(fails: Callable[[], bool]) -> Registry:
    def redeem(_params: BaseModel, ctx: Any) -> Mapping[str, Any]:
        if fails():
            raise RuntimeError("voucher service unavailable")
        return {"voucher": ctx.event_id}

    base = default_registry()
    flaky = RewardType("voucher", _Nothing, redeem, "a voucher from an outside service", "flaky")
    return Registry(reward_types={**base.reward_types, "voucher": flaky}, functions=base.functions,
                    offers=base.offers, sinks=base.sinks)


VOUCHER_RULEBOOK = SMALL_RULEBOOK + 'reward v "Voucher" costs 10 points gives voucher()\n'


def _arrivals(program: Program, rows: list[dict[str, Any]]) -> list[Arrival]:
    """The rows as lines 1, 2, … of feed.jsonl, an hour apart."""
    return [Arrival(_to_event({**r, "at": (START + timedelta(hours=n)).isoformat()}, n, program.settings.tz),  # type: ignore[arg-type]
                    "feed.jsonl", n) for n, r in enumerate(rows, 1)]


def _voucher_feed(program: Program) -> list[Arrival]:
    return _arrivals(program, [{"id": "s1", "type": "signup", "member": "m1"},
                               {"id": "v1", "type": "redeem", "member": "m1", "reward": "v"},
                               {"id": "p1", "type": "purchase", "member": "m1", "amount": 90_000}])


def _run_voucher(url: str, program: Program, arrivals: list[Arrival]) -> Summary:
    db = open_database(url)
    try:
        ledger = Ledger(db, program, VOUCHER_RULEBOOK, "shop.rules")
        ledger.load()
        return ledger.apply(arrivals, 2)
    finally:
        db.dispose()


def test_a_plugin_that_raises_fails_its_event_and_the_others_are_applied(db_url: str) -> None:
    program = compile_rulebook(VOUCHER_RULEBOOK, "shop.rules", _registry(lambda: True))
    summary = _run_voucher(db_url, program, _voucher_feed(program))
    assert (summary.status["failed"], summary.status["applied"]) == (1, 2)
    assert [(p.arrival.event.id, p.status) for p in summary.problems] == [("v1", "failed")]
    assert "voucher service unavailable" in summary.problems[0].reason


def _failed_then_fixed(url: str) -> tuple[Program, list[Arrival]]:
    """The voucher feed applied to `url` while the voucher plugin was down, and the program now that it works."""
    broken = [True]
    program = compile_rulebook(VOUCHER_RULEBOOK, "shop.rules", _registry(lambda: broken[0]))
    arrivals = _voucher_feed(program)
    _run_voucher(url, program, arrivals)
    broken[0] = False
    return program, arrivals


def test_a_rerun_with_the_plugin_fixed_applies_the_event_that_failed(new_db_url: Callable[[], str]) -> None:
    url = new_db_url()
    program, arrivals = _failed_then_fixed(url)
    again = _run_voucher(url, program, arrivals)
    assert (again.status["applied"], again.known) == (1, 2)
    reference = new_db_url()
    _run_voucher(reference, program, [arrivals[0], arrivals[2], arrivals[1]])
    figures = [m[:-1] for m in snapshot(url)["members"]]  # all but last_seq: the failed attempt took a number too
    assert figures == [m[:-1] for m in snapshot(reference)["members"]]


def test_a_failed_attempt_stays_on_record_after_the_event_is_applied(db_url: str) -> None:
    program, arrivals = _failed_then_fixed(db_url)
    _run_voucher(db_url, program, arrivals)
    _run_voucher(db_url, program, arrivals)  # and once applied, the id is used up like any other
    attempts = [(e[1], e[7]) for e in snapshot(db_url)["events"] if e[1] == "v1"]
    assert attempts == [("v1", "failed"), ("v1", "applied")]


def test_a_failed_attempt_is_tried_again_when_the_same_run_sends_the_event_again(db_url: str) -> None:
    calls = iter([True, False])
    program = compile_rulebook(VOUCHER_RULEBOOK, "shop.rules", _registry(lambda: next(calls)))
    feed = _voucher_feed(program)
    resent = Arrival(feed[1].event, "feed.jsonl", 4)
    summary = _run_voucher(db_url, program, [feed[0], feed[2], feed[1], resent])
    assert (summary.status["failed"], summary.status["applied"], summary.status["duplicate"]) == (1, 3, 0)


def _referral_program(fails: Callable[[], bool]) -> Program:
    def bonus() -> int:
        if fails():
            raise RuntimeError("bonus service unavailable")
        return 1

    base = default_registry()
    registry = Registry(reward_types=base.reward_types, offers=base.offers, sinks=base.sinks,
                        functions={**base.functions, "bonus": DslFunction("bonus", (), "number", bonus, plugin="flaky")})
    rulebook = SMALL_RULEBOOK + "referrer: earn 200 points on referral when bonus() > 0\n"
    return compile_rulebook(rulebook, "shop.rules", registry)


def test_a_referral_bonus_that_failed_stays_failed_when_the_store_is_loaded_with_the_plugin_fixed(
        db_url: str) -> None:
    broken = [True]
    program = _referral_program(lambda: broken[0])
    arrivals = _arrivals(program, [{"id": "s1", "type": "signup", "member": "m1"},
                                   {"id": "s2", "type": "signup", "member": "m2", "attrs": {"referred_by": "m1"}},
                                   {"id": "p1", "type": "purchase", "member": "m2", "amount": 90_000},
                                   {"id": "p2", "type": "purchase", "member": "m1", "amount": 10_000}])
    db = open_database(db_url)
    try:
        first = Ledger(db, program, "", "shop.rules")
        first.apply(arrivals[:3])
        broken[0] = False
        again = Ledger(db, program, "", "shop.rules")
        again.load()
        again.apply(arrivals[3:])
        with db.connect() as connection:
            balance = connection.execute(sa.text("SELECT balance FROM members WHERE id = 'm1'")).scalar_one()
            entries = connection.execute(sa.text("SELECT sum(points) FROM entries WHERE member = 'm1'")).scalar_one()
    finally:
        db.dispose()
    assert (balance, entries) == (60, 60)  # the welcome bonus and p2's points: the failed referral paid nothing


def test_a_rulebook_that_would_change_a_stored_referral_bonus_is_refused(db_url: str) -> None:
    program = _referral_program(lambda: False)
    arrivals = _arrivals(program, [{"id": "s2", "type": "signup", "member": "m2", "attrs": {"referred_by": "m1"}},
                                   {"id": "p1", "type": "purchase", "member": "m2", "amount": 90_000}])
    richer = compile_rulebook(SMALL_RULEBOOK + "referrer: earn 300 points on referral\n", "shop.rules",
                              default_registry())
    db = open_database(db_url)
    try:
        Ledger(db, program, "", "shop.rules").apply(arrivals)
        with pytest.raises(StoreError, match="event p1:referral .* stored as applied with \\+200 points"):
            Ledger(db, richer, "", "shop.rules").load()
    finally:
        db.dispose()


def test_a_store_that_lost_a_referral_row_is_refused_on_load(db_url: str) -> None:
    program = _referral_program(lambda: False)
    arrivals = _arrivals(program, [{"id": "s2", "type": "signup", "member": "m2", "attrs": {"referred_by": "m1"}},
                                   {"id": "p1", "type": "purchase", "member": "m2", "amount": 90_000}])
    db = open_database(db_url)
    try:
        Ledger(db, program, "", "shop.rules").apply(arrivals)
        referral = "(SELECT seq FROM events WHERE kind = 'derived')"
        with db.begin() as connection:  # as a hand edit of the database might
            for table in ("entries", "lots", "events"):
                connection.execute(sa.text(f"DELETE FROM {table} WHERE seq = {referral}"))
        with pytest.raises(StoreError, match="event p1:referral now comes out applied with \\+200 points, and the store has no"):
            Ledger(db, program, "", "shop.rules").load()
    finally:
        db.dispose()
