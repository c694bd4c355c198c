"""A store replaying its history uses what partners answered the first time, and never asks them again."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from ledger_support import write_lines
from rules_engine.dsl.compiler import compile_rulebook
from rules_engine import hookimpl
from rules_engine.plugins.manager import build_registry, plugin_manager
from rules_engine.plugins.registry import DslFunction, PartnerOffer, RewardType
from rules_engine.readers import iter_events
from rules_engine.store.database import StoreError, open_database
from rules_engine.store.writer import Arrival, Ledger

RULEBOOK = """
earn 1 point per 1000 toman
reward night "A night" costs 50 points gives booking(city: "Shiraz")
offer "cinema:two-for-one" costs 10 points
"""
EVENTS = (
    {"id": "p1", "member": "m1", "at": "2026-01-01T10:00:00Z", "amount": 100000},
    {"id": "x1", "type": "redeem", "member": "m1", "at": "2026-01-02T10:00:00Z", "reward": "night"},
    {"id": "c1", "type": "claim", "member": "m1", "at": "2026-01-03T10:00:00Z", "offer": "cinema:two-for-one"},
    {"id": "c2", "type": "claim", "member": "m1", "at": "2026-01-04T10:00:00Z", "offer": "cinema:two-for-one"},
)


class City(BaseModel):
    city: str


class Partner:
    """A partner whose every call is counted, and who can be made to fail or change its mind."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.down = False
        self.declines = {"c2"}

    def _book(self, params: Any, ctx: Any) -> dict[str, Any]:
        self._call(f"book {ctx.event_id}")
        return {"city": params.city, "night": date(2026, 2, 1), "code": f"BK-{ctx.event_id}"}

    def _eligible(self, ctx: Any) -> bool:
        self._call(f"eligible {ctx.event_id}")
        return ctx.event_id not in self.declines

    def _issue(self, ctx: Any) -> dict[str, Any]:
        self._call(f"issue {ctx.event_id}")
        return {"code": "CINEMA-2026"}  # the partner's one promotion code, the same for every claim

    def _call(self, what: str) -> None:
        if self.down:
            raise ConnectionError("partner unreachable")
        self.calls.append(what)

    @hookimpl
    def loyalty_reward_types(self) -> list[RewardType]:
        return [RewardType("booking", City, self._book)]

    @hookimpl
    def loyalty_partner_offers(self) -> list[PartnerOffer]:
        return [PartnerOffer("cinema", "two-for-one", "Two for one", self._issue, self._eligible)]


@pytest.fixture
def partner() -> Partner:
    return Partner()


def _ledger(db: Any, partner: Partner) -> Ledger:
    program = compile_rulebook(RULEBOOK, "club.rules", build_registry(plugin_manager([partner], entry_points=False)))
    ledger = Ledger(db, program, RULEBOOK, "club.rules")
    ledger.load()
    return ledger


def _apply(db_url: str, partner: Partner, tmp_path: Path) -> None:
    events = write_lines(tmp_path / "e.jsonl", *EVENTS)
    db = open_database(db_url, create=True)
    try:
        ledger = _ledger(db, partner)
        ledger.apply(Arrival(e, str(events), e.line) for e in iter_events(events, ledger.program.settings.tz))
    finally:
        db.dispose()


def test_a_replay_asks_no_partner_again(db_url: str, partner: Partner, tmp_path: Path) -> None:
    _apply(db_url, partner, tmp_path)
    first = list(partner.calls)
    db = open_database(db_url)
    try:
        ledger = _ledger(db, partner)
    finally:
        db.dispose()
    assert first == ["book x1", "eligible c1", "issue c1", "eligible c2"]
    assert partner.calls == first
    assert ledger.engine.members["m1"].balance == 100 - 50 - 10


def test_a_partner_that_is_down_does_not_stop_the_store_loading(db_url: str, partner: Partner, tmp_path: Path) -> None:
    _apply(db_url, partner, tmp_path)
    partner.down = True
    db = open_database(db_url)
    try:
        assert _ledger(db, partner).engine.members["m1"].balance == 40
    finally:
        db.dispose()


def test_a_partner_that_changed_its_mind_does_not_change_the_history(db_url: str, partner: Partner,
                                                                     tmp_path: Path) -> None:
    _apply(db_url, partner, tmp_path)
    partner.declines = {"c1"}  # c1 was accepted and c2 declined the first time
    db = open_database(db_url)
    try:
        assert _ledger(db, partner).engine.members["m1"].balance == 40
    finally:
        db.dispose()


def test_a_failing_function_while_replaying_names_the_plugin_not_a_rulebook_change(db_url: str, tmp_path: Path) -> None:

    class Zones:
        broken = False

        def zone(self, store: Any) -> str:
            if self.broken:
                raise ConnectionError("zone service unreachable")
            return "north"

        @hookimpl
        def loyalty_functions(self) -> list[DslFunction]:
            return [DslFunction("zone", ("string",), "string", self.zone)]

    zones = Zones()
    registry = build_registry(plugin_manager([zones], entry_points=False))
    text = 'earn 5 points when zone(store) == "north"\n'
    program = compile_rulebook(text, "z.rules", registry)
    events = write_lines(tmp_path / "e.jsonl", {**EVENTS[0], "store": "s1"})
    db = open_database(db_url, create=True)
    try:
        ledger = Ledger(db, program, text, "z.rules")
        ledger.load()
        ledger.apply(Arrival(e, str(events), e.line) for e in iter_events(events, program.settings.tz))
        zones.broken = True
        with pytest.raises(StoreError) as refusal:
            Ledger(db, program, text, "z.rules").load()
    finally:
        db.dispose()
    assert "stored as applied, now fails:" in str(refusal.value) and "function `zone`" in str(refusal.value)
    assert "once the plugin works" in str(refusal.value) and "rulebook change" not in str(refusal.value)


def test_a_partner_may_give_every_claim_the_same_code(db_url: str, partner: Partner, tmp_path: Path) -> None:
    partner.declines = set()
    _apply(db_url, partner, tmp_path)
    db = open_database(db_url)
    try:
        assert _ledger(db, partner).engine.members["m1"].balance == 100 - 50 - 10 - 10
    finally:
        db.dispose()
