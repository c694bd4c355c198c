"""A `loyalty apply` killed at any moment and run again leaves the ledger an uninterrupted run leaves."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable

import sqlalchemy as sa

from ledger_support import LOYALTY, RETAIL, apply_file, loyalty, snapshot, write_stream

KILLS = 3


def _committed(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("ledger_head"):
                return 0
            return connection.execute(sa.text("SELECT last_seq FROM ledger_head")).scalar() or 0
    except sa.exc.OperationalError:
        return 0  # the store is being created
    finally:
        engine.dispose()


def _apply_and_kill(url: str, events: Path, after: int) -> bool:
    """Start `loyalty apply` and SIGKILL it once more than `after` arrivals are committed; False if it finished first."""
    command = [LOYALTY, "apply", str(RETAIL), str(events), "--db", url, "--batch", "40"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while process.poll() is None:
            if _committed(url) > after:
                time.sleep(random.uniform(0, 0.05))  # land anywhere in a later batch, commit included
                process.send_signal(signal.SIGKILL)
                process.wait()
                return True
            time.sleep(0.01)
        return False
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_killed_apply_resumed_leaves_the_ledger_of_an_uninterrupted_run(new_db_url: Callable[[], str], tmp_path: Path) -> None:
    events = tmp_path / "club.jsonl"
    total = write_stream(events, members=400, days=200, seed=11)
    killed, clean = new_db_url(), new_db_url()
    points = sorted(random.sample(range(total // 10, total - total // 10), KILLS))
    kills = sum(_apply_and_kill(killed, events, after) for after in points)
    loyalty("apply", str(RETAIL), str(events), "--db", killed)
    apply_file(clean, RETAIL, events)

    assert kills >= 1
    assert snapshot(killed) == snapshot(clean)
    if killed.startswith("sqlite"):
        engine = sa.create_engine(killed)
        with engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
        engine.dispose()
