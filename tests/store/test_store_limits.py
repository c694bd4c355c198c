"""Limits per period hold in the store: each `loyalty apply` rebuilds the uses of earlier runs by replaying them."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from ledger_support import write_lines
from rules_engine.cli import main
from rules_engine.store.database import open_database

RULEBOOK = """\
currency toman
timezone "UTC"
per_toman: earn 1 point per 1000 toman
reward coffee "Coffee" costs 10 points gives product(sku: "COF-1") limit 2 per member per 30 days
"""


def _redeem(id_: str, day: str) -> dict:
    return {"id": id_, "type": "redeem", "member": "m1", "at": f"2025-{day}T10:00:00Z", "reward": "coffee"}


def test_a_period_limit_holds_across_two_apply_runs(db_url: str, tmp_path: Path) -> None:
    rulebook = tmp_path / "cafe.rules"
    rulebook.write_text(RULEBOOK, encoding="utf-8")
    first = write_lines(tmp_path / "monday.jsonl", {"id": "p1", "member": "m1", "at": "2025-01-01T09:00:00Z",
                                                    "amount": 500000}, _redeem("x1", "01-02"), _redeem("x2", "01-03"))
    second = write_lines(tmp_path / "tuesday.jsonl", _redeem("x3", "01-04"), _redeem("x4", "02-01"))
    for events in (first, second):
        assert CliRunner().invoke(main, ["apply", str(rulebook), str(events), "--db", db_url]).exit_code == 0

    db = open_database(db_url)
    try:
        with db.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, status, reason FROM events WHERE type = 'redeem' ORDER BY seq"))
            assert [tuple(row) for row in rows] == [
                ("x1", "applied", None), ("x2", "applied", None),
                ("x3", "rejected", "limit_reached: coffee may be redeemed 2 time(s) per member per 30 days; "
                                   "again from 2025-02-01T10:00:00+00:00"),
                ("x4", "applied", None)]
    finally:
        db.dispose()
