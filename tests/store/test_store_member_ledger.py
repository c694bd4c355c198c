"""A ledger loaded for one member decides that member's redemptions exactly as a full one would."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger_support import RETAIL, RETAIL_EVENTS, SMALL_RULEBOOK, apply_file, compile_file, write_lines
from rules_engine.events import Event
from rules_engine.member import Member
from rules_engine.readers import read_events
from rules_engine.store.database import StoreError, open_database
from rules_engine.store.writer import Arrival, Ledger


def _state(member: Member) -> tuple:
    return (member.balance, member.tier, member.earned, member.redeemed, member.expired, member.reversed,
            member.spend_total, member.count_total, dict(member.redemptions), member.signed_up, member.referred_by,
            [(lot.event, lot.expires_at, lot.remaining) for lot in member.lots])


def test_every_member_replayed_alone_ends_in_the_state_of_the_full_replay(db_url: str, tmp_path: Path) -> None:
    program, text = compile_file(RETAIL), RETAIL.read_text(encoding="utf-8")
    lines = RETAIL_EVENTS.read_text(encoding="utf-8").splitlines(keepends=True)
    half = len(lines) // 2
    (tmp_path / "first.jsonl").write_text("".join(lines[:half]), encoding="utf-8")
    (tmp_path / "second.jsonl").write_text("".join(lines[half:]), encoding="utf-8")
    apply_file(db_url, RETAIL, tmp_path / "first.jsonl")
    db = open_database(db_url)
    try:
        closing = Ledger(db, program, text, str(RETAIL))
        closing.load()
        closing.close(max(e.at for e in read_events(tmp_path / "first.jsonl", program.settings.tz).events))
        apply_file(db_url, RETAIL, tmp_path / "second.jsonl")
        full = Ledger(db, program, text, str(RETAIL))
        full.load()
        referrers = {m.referred_by for m in full.engine.members.values() if m.referred_by}
        chosen = sorted(referrers | set(list(full.engine.members)[::5]))  # every referrer, and a fifth of the rest
        alone = {}
        for member in chosen:
            ledger = Ledger(db, program, text, str(RETAIL), member=member)
            ledger.load()
            alone[member] = _state(ledger.engine.members[member])
    finally:
        db.dispose()

    assert alone == {member: _state(full.engine.members[member]) for member in chosen}
    assert referrers


def test_a_member_ledger_refuses_events_of_other_members(db_url: str, tmp_path: Path) -> None:
    rulebook = tmp_path / "shop.rules"
    rulebook.write_text(SMALL_RULEBOOK, encoding="utf-8")
    apply_file(db_url, rulebook, write_lines(tmp_path / "e.jsonl", {"id": "p1", "member": "m1", "at": "2025-01-02T10:00:00Z", "amount": 9000}))
    program = compile_file(rulebook)
    db = open_database(db_url)
    try:
        ledger = Ledger(db, program, SMALL_RULEBOOK, str(rulebook), member="m1")
        ledger.load()
        other = Event(id="x9", type="redeem", member="m2", at=ledger.engine.members["m1"].enrolled_at, reward="r10")
        with pytest.raises(StoreError, match="a ledger loaded for member m1 cannot apply redeem x9 of member m2"):
            ledger.apply([Arrival(other)])
    finally:
        db.dispose()
