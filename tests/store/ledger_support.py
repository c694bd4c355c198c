"""Shared pieces of the store tests: rulebooks, generated event files and a comparable snapshot of a store."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from rules_engine.dsl.compiler import compile_rulebook
from rules_engine.generate import Plan, generate
from rules_engine.plugins.manager import default_registry
from rules_engine.program import Program
from rules_engine.readers import RowError, iter_events
from rules_engine.store.database import open_database
from rules_engine.store.models import TABLES
from rules_engine.store.writer import Arrival, Ledger, Summary

ROOT = Path(__file__).resolve().parents[2]
RETAIL = ROOT / "rulebooks" / "online-retailer.rules"
RETAIL_EVENTS = ROOT / "rulebooks" / "online-retailer.jsonl"

# Columns that say where a row came from or hold a random code: they differ between equal ledgers.
_INCIDENTAL = {"source", "line", "path", "code"}


def compile_file(path: Path) -> Program:
    return compile_rulebook(path.read_text(encoding="utf-8"), str(path), default_registry())


def apply_file(url: str, rulebook: Path, events: Path, batch: int = 1000) -> Summary:
    """What `loyalty apply` does, in this process."""
    program = compile_file(rulebook)
    db = open_database(url)
    try:
        ledger = Ledger(db, program, rulebook.read_text(encoding="utf-8"), str(rulebook))
        ledger.load()
        arrivals = (Arrival(e, str(events), e.line) for e in iter_events(events, program.settings.tz)
                    if not isinstance(e, RowError))
        return ledger.apply(arrivals, batch)
    finally:
        db.dispose()


LOYALTY = str(Path(sys.executable).with_name("loyalty"))


def loyalty(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real command, as an operator would."""
    return subprocess.run([LOYALTY, *args], capture_output=True, text=True, check=check)


def write_stream(path: Path, members: int, days: int, seed: int = 5, repeats: float = 0.02) -> int:
    """A generated club history in time order, with some events sent again later (as feeds do)."""
    rng = random.Random(seed)
    lines = [json.dumps(event, ensure_ascii=False) for event in generate(Plan(members=members, days=days, seed=seed))]
    out = []
    for n, line in enumerate(lines):
        out.append(line)
        if n > 10 and rng.random() < repeats:
            out.append(lines[rng.randrange(n - 10, n)])  # a resend of a recent event: a duplicate
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return len(out)


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, minus where they came from and random codes: equal ledgers give equal snapshots."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            result = {}
            for table in TABLES:
                columns = [c for c in table.columns if c.name not in _INCIDENTAL]
                rows = connection.execute(sa.select(*columns).order_by(*table.primary_key.columns)).all()
                result[table.name] = [tuple(_plain(c.name, v) for c, v in zip(columns, row)) for row in rows]
            return result
    finally:
        engine.dispose()


def _plain(column: str, value: Any) -> Any:
    """Times compare as UTC instants whichever database returned them; coupon codes are random."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(timezone.utc).replace(tzinfo=None)
    if column == "data":
        return json.dumps({k: v for k, v in json.loads(value).items() if k != "code"}, sort_keys=True)
    return value


SMALL_RULEBOOK = """\
program "Corner Shop"
currency toman
timezone "UTC"
tier basic
tier plus when spend_30d >= 500k
per_toman: earn 1 point per 1000 toman
welcome: earn 50 points on signup
points expire after 30 days
reward r10 "Ten" costs 10 points gives product(sku: "X")
reward coupon "Coupon" costs 20 points gives coupon(amount: 5k)
"""
# The first events of most tests of SMALL_RULEBOOK: m1 signs up, then buys.
SIGNUP = {"id": "s1", "type": "signup", "member": "m1", "at": "2025-01-01T10:00:00Z"}
BUY = {"id": "p1", "member": "m1", "at": "2025-01-02T10:00:00Z", "amount": 120000}


def write_lines(path: Path, *rows: dict[str, Any] | str) -> Path:
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows), encoding="utf-8")
    return path
