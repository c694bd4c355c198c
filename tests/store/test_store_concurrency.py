"""Many redemptions of one member at once never overdraw the balance and never lose an entry."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import sqlalchemy as sa

from ledger_support import LOYALTY, apply_file, compile_file, write_lines
from rules_engine.events import Event
from rules_engine.calendars import parse_timestamp
from rules_engine.store.database import open_database
from rules_engine.store.writer import Arrival, Ledger

AT = "2025-01-05T12:00:00Z"


def _fund(url: str, rulebook: Path, tmp_path: Path, points: int) -> None:
    """One purchase earning `points` (1 point per 1,000 toman)."""
    apply_file(url, rulebook, write_lines(tmp_path / "fund.jsonl",
                                          {"id": "p1", "member": "m1", "at": "2025-01-01T10:00:00Z", "amount": points * 1000}))


def _ledger_state(url: str) -> dict[str, object]:
    db = open_database(url)
    try:
        with db.connect() as connection:
            one = lambda query: connection.execute(sa.text(query)).scalar()  # noqa: E731
            return {
                "balance": one("SELECT balance FROM members WHERE id = 'm1'"),
                "entries_sum": one("SELECT sum(points) FROM entries WHERE member = 'm1'"),
                "redeem_entries": one("SELECT count(*) FROM entries WHERE kind = 'redeem'"),
                "redemptions": one("SELECT count(*) FROM redemptions"),
                "applied": one("SELECT count(*) FROM events WHERE type = 'redeem' AND status = 'applied'"),
                "rejected": one("SELECT count(*) FROM events WHERE type = 'redeem' AND status = 'rejected'"),
                "lot_uses": one("SELECT sum(points) FROM lot_uses"),
            }
    finally:
        db.dispose()


def test_redemptions_from_many_threads_at_once_never_overdraw(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    _fund(db_url, rulebook, tmp_path, points=100)
    program, text = compile_file(rulebook), rulebook.read_text(encoding="utf-8")
    clients = 24
    start = threading.Barrier(clients)
    errors: list[BaseException] = []

    def client(n: int) -> None:
        db = open_database(db_url)
        try:
            ledger = Ledger(db, program, text, str(rulebook), member="m1" if n % 2 else None)  # both kinds at once
            ledger.load()
            event = Event(id=f"x{n}", type="redeem", member="m1", at=parse_timestamp(AT, program.settings.tz),
                          reward="r10", fingerprint=f"x{n}")
            start.wait()
            ledger.apply([Arrival(event, "thread", n)])
        except BaseException as err:  # reported below: a thread's exception would otherwise vanish
            errors.append(err)
        finally:
            db.dispose()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert _ledger_state(db_url) == {"balance": 0, "entries_sum": 0, "redeem_entries": 10, "redemptions": 10,
                                     "applied": 10, "rejected": clients - 10, "lot_uses": 100}


def test_redemptions_from_many_processes_at_once_never_overdraw(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    _fund(db_url, rulebook, tmp_path, points=20)
    clients = 4
    processes = [subprocess.Popen([LOYALTY, "redeem", "m1", "r10", "--db", db_url, "--at", AT, "--id", f"x{n}"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(clients)]
    results = [(process.wait(), process.stdout.read(), process.stderr.read()) for process in processes]  # type: ignore[union-attr]

    refused = [err for code, _, err in results if code == 1]
    assert sorted(code for code, _, _ in results) == [0] * 2 + [1] * (clients - 2)
    assert all("insufficient_points" in err for err in refused)
    assert _ledger_state(db_url) == {"balance": 0, "entries_sum": 0, "redeem_entries": 2, "redemptions": 2,
                                     "applied": 2, "rejected": clients - 2, "lot_uses": 20}
