"""Proof at scale that every way of applying a history gives the same ledger.

    python bench/agreement.py [--members 6600] [--days 365] [--postgres URL]

Generates a synthetic club (just over 100,000 events for the defaults, with resent
duplicates), then applies it to fresh ledgers four ways, through the `loyalty`
command exactly as an operator would: in one run; the same file again (nothing
may change); in four chunks; and killed with SIGKILL three times at random points
and resumed. Each ledger is closed at the last event's time, then its entries
(`loyalty export`) and figures (`loyalty report --format json`) are compared with
one another and with `loyalty simulate --format json`. Runs on SQLite, and on
PostgreSQL too when given a server URL (it creates and drops its own databases).
The suite checks the same on small streams (tests/store); this is the full-size run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RETAIL = Path(__file__).resolve().parents[1] / "rulebooks" / "online-retailer.rules"
LOYALTY = [str(Path(sys.executable).with_name("loyalty"))]  # the command of this environment


def loyalty(*args: str, stdout=subprocess.PIPE) -> str:
    done = subprocess.run([*LOYALTY, *args], stdout=stdout, stderr=subprocess.DEVNULL, text=True, check=True)
    return done.stdout or ""


def chunks(stream: Path, parts: int) -> list[Path]:
    lines = stream.read_text(encoding="utf-8").splitlines(keepends=True)
    size = -(-len(lines) // parts)
    paths = []
    for k in range(parts):
        path = stream.with_name(f"{stream.stem}-part{k}.jsonl")
        path.write_text("".join(lines[k * size:(k + 1) * size]), encoding="utf-8")
        paths.append(path)
    return paths


def killed_and_resumed(db: str, stream: Path, kills: int, rng: random.Random) -> None:
    for _ in range(kills):
        process = subprocess.Popen([*LOYALTY, "apply", str(RETAIL), str(stream), "--db", db],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(3, 12))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
    loyalty("apply", str(RETAIL), str(stream), "--db", db)


def closed(db: str, as_of: str) -> tuple[list[dict], dict]:
    loyalty("expire", "--db", db, "--as-of", as_of, "--warn-days", "0")
    entries = [json.loads(line) for line in loyalty("export", "--db", db, "--format", "jsonl").splitlines()]
    return entries, json.loads(loyalty("report", "--db", db, "--format", "json"))


def agree(kind: str, urls: dict[str, str], stream: Path, simulated: dict, as_of: str) -> bool:
    rng = random.Random(11)
    loyalty("apply", str(RETAIL), str(stream), "--db", urls["one run"])
    before = loyalty("export", "--db", urls["one run"], "--format", "jsonl")
    loyalty("apply", str(RETAIL), str(stream), "--db", urls["one run"])
    reapplied_changed_nothing = loyalty("export", "--db", urls["one run"], "--format", "jsonl") == before
    for part in chunks(stream, 4):
        loyalty("apply", str(RETAIL), str(part), "--db", urls["in chunks"])
    killed_and_resumed(urls["killed and resumed"], stream, 3, rng)
    results = {name: closed(url, as_of) for name, url in urls.items()}
    reference_entries, _ = results["one run"]
    ok = reapplied_changed_nothing
    print(f"{kind}: re-apply changed nothing: {reapplied_changed_nothing}")
    for name, (entries, report) in results.items():
        same_entries = _comparable(entries) == _comparable(reference_entries)
        same_report = report == simulated
        ok = ok and same_entries and same_report
        print(f"{kind}: {name:<20} entries {'=' if same_entries else '≠'} one run, report {'=' if same_report else '≠'} simulate")
    return ok


def _comparable(entries: list[dict]) -> list[tuple]:
    """Entries as plain values, arrival numbers included: a resumed run must be indistinguishable."""
    return [tuple(sorted((k, str(v)) for k, v in e.items())) for e in entries]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=6600)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--postgres", help="a server URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        stream = work / "club.jsonl"
        with stream.open("w", encoding="utf-8") as out:
            subprocess.run([*LOYALTY, "generate", "--members", str(args.members), "--days", str(args.days),
                            "--seed", str(args.seed), "--rulebook", str(RETAIL)], stdout=out, check=True)
        lines = stream.read_text(encoding="utf-8").splitlines()
        stream.write_text("\n".join(lines + lines[:: 50]) + "\n", encoding="utf-8")  # resent events: duplicates
        print(f"{len(lines) + len(lines[::50]):,} events")
        simulated = json.loads(loyalty("simulate", str(RETAIL), str(stream), "--format", "json"))
        as_of = simulated["as_of"]
        ways = ("one run", "in chunks", "killed and resumed")
        ok = agree("sqlite", {w: f"sqlite:///{work / (w.replace(' ', '-') + '.db')}" for w in ways},
                   stream, simulated, as_of)
        if args.postgres:
            ok = _on_postgres(args.postgres, ways, stream, simulated, as_of) and ok
    print("all agree" if ok else "DISAGREEMENT")
    sys.exit(0 if ok else 1)


def _on_postgres(url: str, ways: tuple[str, ...], stream: Path, simulated: dict, as_of: str) -> bool:
    import psycopg

    server, _, _ = url.rpartition("/")
    admin = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)
    names = {w: f"loyalty_agreement_{w.replace(' ', '_')}_{os.getpid()}" for w in ways}
    try:
        for name in names.values():
            admin.execute(f'CREATE DATABASE "{name}"')
        return agree("postgresql", {w: f"{server}/{name}" for w, name in names.items()}, stream, simulated, as_of)
    finally:
        for name in names.values():
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
