"""Applied events per second: the retail sample rulebook on a generated club, into SQLite and PostgreSQL.

    python bench/apply_bench.py [--members 3000] [--days 365] [--pg URL] [--runs 1] [--batch 1000]

Four figures per run, so the store's own cost can be told apart from the engine's:
`engine` reads the file and runs the engine with no store at all; `apply` is what
`loyalty apply` does on an empty store (read, run, write every row, commit per
batch); `re-apply` runs the same file again (every event recognised, nothing
written); `load` rebuilds the engine from the store (the start of every command).
The PostgreSQL run needs `--pg` or LOYALTY_TEST_DATABASE_URL; it uses a schema of
its own and drops it afterwards. `apply` minus `engine` is what the store costs;
with `--runs N` each figure is the best of N, since other work on the machine only
ever slows a run down.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from schemas import create_schema, drop_schema  # noqa: E402

from rules_engine.dsl.compiler import compile_rulebook
from rules_engine.engine import Engine
from rules_engine.generate import Plan, write_events
from rules_engine.plugins.manager import default_registry
from rules_engine.program import Program
from rules_engine.readers import RowError, iter_events
from rules_engine.store.database import open_database
from rules_engine.store.writer import BATCH, Arrival, Ledger

RULEBOOK = Path(__file__).resolve().parents[1] / "rulebooks" / "online-retailer.rules"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--pg", default=os.environ.get("LOYALTY_TEST_DATABASE_URL"))
    parser.add_argument("--batch", type=int, default=BATCH, help="events per transaction, as `loyalty apply --batch`")
    args = parser.parse_args()
    text = RULEBOOK.read_text(encoding="utf-8")
    program = compile_rulebook(text, str(RULEBOOK), default_registry())
    with tempfile.TemporaryDirectory() as work:
        events = Path(work) / "club.jsonl"
        with events.open("w", encoding="utf-8") as out:
            count = write_events(Plan(members=args.members, days=args.days, seed=42), out)
        print(f"{count:,} events, {args.members:,} members, {args.days} days; rulebook {RULEBOOK.name}; "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        rows = [("engine only (no store)", _best(args.runs, lambda: _engine(program, events)))]
        targets = [("SQLite", lambda: f"sqlite:///{Path(work) / f'{uuid.uuid4().hex}.db'}", lambda url: None)]
        if args.pg:
            targets.append(("PostgreSQL", lambda: create_schema(args.pg, "bench"), drop_schema))
        for name, make, drop in targets:
            applied, reapplied, loaded = [], [], []
            for _ in range(args.runs):
                url = make()
                try:
                    applied.append(_apply(url, program, text, events, args.batch))
                    reapplied.append(_apply(url, program, text, events, args.batch))
                    loaded.append(_load(url, program, text))
                finally:
                    drop(url)
            rows += [(f"{name}: apply", min(applied)), (f"{name}: re-apply (all known)", min(reapplied)),
                     (f"{name}: load (replay the store)", min(loaded))]
    width = max(len(label) for label, _ in rows)
    for label, seconds in rows:
        print(f"  {label:<{width}}  {count / seconds:>10,.0f} events/s  ({seconds:.2f} s)")


def _best(runs: int, work: Callable[[], float]) -> float:
    return min(work() for _ in range(runs))


def _engine(program: Program, events: Path) -> float:
    start = time.perf_counter()
    engine = Engine(program)
    for item in iter_events(events, program.settings.tz):
        if not isinstance(item, RowError):
            engine.process(item)
    return time.perf_counter() - start


def _apply(url: str, program: Program, text: str, events: Path, batch: int) -> float:
    db = open_database(url)
    try:
        start = time.perf_counter()
        ledger = Ledger(db, program, text, str(RULEBOOK))
        ledger.load()
        ledger.apply((Arrival(item, str(events), item.line) for item in iter_events(events, program.settings.tz)
                      if not isinstance(item, RowError)), batch)
        return time.perf_counter() - start
    finally:
        db.dispose()


def _load(url: str, program: Program, text: str) -> float:
    db = open_database(url)
    try:
        start = time.perf_counter()
        Ledger(db, program, text, str(RULEBOOK)).load()
        return time.perf_counter() - start
    finally:
        db.dispose()




if __name__ == "__main__":
    sys.exit(main())
