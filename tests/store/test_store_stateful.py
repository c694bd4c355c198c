"""The store against the engine, step by step: random club histories must leave the stored ledger exact.

A hypothesis state machine sends signups (some referred), purchases, partial and
full refunds, redemptions, nightly closes, resent events and reused ids with other
content both to an in-memory engine (the model) and, in small batches, to a store.
After every step the stored rows must keep the ledger invariants on their own and
agree with the model member by member.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import hypothesis.strategies as st
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ledger_support import SMALL_RULEBOOK
from rules_engine.dsl.compiler import compile_rulebook
from rules_engine.engine import Engine
from rules_engine.plugins.manager import default_registry
from rules_engine.readers import RowError, _to_event
from rules_engine.store.database import open_database
from rules_engine.store.writer import Arrival, Ledger

RULEBOOK = SMALL_RULEBOOK + "referral: earn 30 points on referral\n"
PROGRAM = compile_rulebook(RULEBOOK, "shop.rules", default_registry())
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
MEMBERS = ("m1", "m2", "m3")


def event(row: dict[str, Any]) -> Any:
    """An event as the reader makes it from a row, fingerprint included."""
    made = _to_event(dict(row), 0, PROGRAM.settings.tz)
    assert not isinstance(made, RowError), made
    return made


def stored_figures(db: sa.Engine) -> dict[str, Any]:
    """What the stored rows say, computed from entries, lots, lot uses and events alone."""
    with db.connect() as c:
        q = lambda sql: [tuple(r) for r in c.execute(sa.text(sql))]  # noqa: E731
        return {
            "members": {r[0]: r[1:] for r in q("SELECT id, balance, earned, redeemed, expired, reversed FROM members")},
            "sums": dict(q("SELECT member, SUM(points) FROM entries GROUP BY member")),
            "unexplained": q("SELECT e.seq, e.n FROM entries e LEFT JOIN events v ON v.id = e.event "
                             "WHERE e.rule IS NULL OR e.rule = '' OR e.event IS NULL OR v.id IS NULL"),
            "lots": dict(q("SELECT l.member, SUM(l.opening - COALESCE(u.used, 0)) FROM lots l LEFT JOIN "
                           "(SELECT lot, SUM(points) AS used FROM lot_uses GROUP BY lot) u ON u.lot = l.event "
                           "GROUP BY l.member")),
            "ids": q("SELECT id FROM events GROUP BY id HAVING COUNT(*) > 1"),
            "running": q("SELECT member, seq, n, points FROM entries ORDER BY member, seq, n"),
            "redemptions": {r[0] for r in q("SELECT event FROM redemptions")},
        }


class StoreAgainstEngine(RuleBasedStateMachine):
    new_url: Callable[[], str]

    @initialize()
    def open(self) -> None:
        self.db = open_database(self.new_url())
        self.ledger = Ledger(self.db, PROGRAM, RULEBOOK, "shop.rules")
        self.ledger.load()
        self.model = Engine(PROGRAM)
        self.clock = START
        self.n = 0
        self.sent: list[dict[str, Any]] = []  # every row sent, for resends and reused ids
        self.purchases: list[str] = []
        self.pending: list[Any] = []

    def teardown(self) -> None:
        if hasattr(self, "db"):
            self.db.dispose()

    def _send(self, row: dict[str, Any], flush: bool = False) -> None:
        self.clock += timedelta(hours=7)
        self.n += 1
        row = {"id": f"e{self.n}", "at": self.clock.isoformat(), **row}
        self._queue(row)
        if flush or len(self.pending) >= 3:
            self.flush()

    def _queue(self, row: dict[str, Any]) -> None:
        self.sent.append(row)
        e = event(row)
        self.model.process(e)
        self.pending.append(Arrival(e))

    def flush(self) -> None:
        if self.pending:
            self.ledger.apply(self.pending, batch=2)
            self.pending = []

    @rule(member=st.sampled_from(MEMBERS), referrer=st.none() | st.sampled_from(MEMBERS))
    def signup(self, member: str, referrer: str | None) -> None:
        self._send({"type": "signup", "member": member, **({"attrs": {"referred_by": referrer}} if referrer else {})})

    @rule(member=st.sampled_from(MEMBERS), amount=st.integers(0, 900_000))
    def purchase(self, member: str, amount: int) -> None:
        self._send({"type": "purchase", "member": member, "amount": amount})
        self.purchases.append((f"e{self.n}", member, amount))  # type: ignore[arg-type]

    @precondition(lambda self: self.purchases)
    @rule(data=st.data(), full=st.booleans())
    def refund(self, data: st.DataObject, full: bool) -> None:
        pid, member, amount = data.draw(st.sampled_from(self.purchases))
        part = amount if full else data.draw(st.integers(0, amount))
        self._send({"type": "refund", "member": member, "of": pid, "amount": part})

    @rule(member=st.sampled_from(MEMBERS), reward=st.sampled_from(["r10", "coupon"]))
    def redeem(self, member: str, reward: str) -> None:
        self._send({"type": "redeem", "member": member, "reward": reward})

    @rule(days=st.integers(0, 40))
    def close(self, days: int) -> None:
        self.flush()
        self.clock += timedelta(days=days)
        self.model.finish(self.clock)
        self.ledger.close(self.clock)

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def resend(self, data: st.DataObject) -> None:
        self._queue(data.draw(st.sampled_from(self.sent)))

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def reuse_id(self, data: st.DataObject) -> None:
        row = dict(data.draw(st.sampled_from(self.sent)))
        row["note"] = "changed"
        self._queue(row)

    @invariant()
    def stored_ledger_is_exact(self) -> None:
        if not hasattr(self, "db"):
            return
        self.flush()
        f = stored_figures(self.db)
        for member, (balance, *_rest) in f["members"].items():
            assert balance == f["sums"].get(member, 0), f"{member}: balance is not the sum of its entries"
            if balance >= 0:
                assert f["lots"].get(member, 0) == balance, f"{member}: open lots do not sum to the balance"
        assert not f["unexplained"], "entries without a stored event or rule"
        assert not f["ids"], "an event id stored twice"
        model = {m.id: (m.balance, m.earned, m.redeemed, m.expired, m.reversed) for m in self.model.members.values()}
        assert f["members"] == model
        _no_redemption_overdraws(f["running"], f["redemptions"], self.db)


def _no_redemption_overdraws(running: list[tuple[str, int, int, int]], redemptions: set[str], db: sa.Engine) -> None:
    """A redeem entry may only take points that were there: the balance after it is never below zero
    unless it already was (a refund may leave debt; a redemption may not create or deepen it)."""
    with db.connect() as c:
        kinds = {(r[0], r[1]): r[2] for r in c.execute(sa.text("SELECT seq, n, kind FROM entries"))}
    balance: dict[str, int] = {}
    for member, seq, n, points in running:
        after = balance.get(member, 0) + points
        if kinds[(seq, n)] == "redeem":
            assert after >= 0, f"redemption at arrival {seq} took {member} to {after}"
        balance[member] = after


@pytest.mark.filterwarnings("ignore")
def test_stored_ledger_matches_the_engine_after_every_step(new_db_url: Callable[[], str]) -> None:
    machine = type("Machine", (StoreAgainstEngine,), {"new_url": staticmethod(new_db_url)})
    machine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None,
                                         suppress_health_check=list(HealthCheck))
    machine.TestCase().runTest()
