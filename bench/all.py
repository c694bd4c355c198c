"""Every benchmark in one run, written to one markdown file.

    python bench/all.py [--quick] [--pg URL] [--out bench/results/all.md]

Runs, one after another so that they do not compete for the CPU: the peer
comparison (bench/peers.py), compile time and memory (bench/footprint.py), the
million-purchase simulation against its hand-written reference
(bench/simulate_bench.py) and live apply into SQLite and PostgreSQL
(bench/apply_bench.py; PostgreSQL with `--pg` or LOYALTY_TEST_DATABASE_URL).
`--quick` runs each on a tenth of its workload, to check that they all work.
Install the peers first: `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import rules_engine

HERE = Path(__file__).resolve().parent


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{script} failed:\n{done.stderr}")
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pg", default=os.environ.get("LOYALTY_TEST_DATABASE_URL"))
    parser.add_argument("--out", type=Path, default=HERE / "results" / "all.md")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    with tempfile.TemporaryDirectory() as scratch:
        peers = run("peers.py", "--events", str(1_000_000 // scale), "--members", str(50_000 // scale),
                    "--peer-events", str(100_000 // scale), "--out", str(Path(scratch) / "peers.md"))
        footprint = run("footprint.py", "--members", str(20_000 // scale), "--out", str(Path(scratch) / "fp.md"))
    simulated = run("simulate_bench.py", "--events", str(1_000_000 // scale))
    applied = run("apply_bench.py", "--members", str(3_000 // scale), "--runs", "3", *(["--pg", args.pg] if args.pg else []))
    sections = [
        "# Benchmarks",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the end, "
        f"engine {'compiled with mypyc' if rules_engine.COMPILED else 'running from source'}"
        + (" (quick: a tenth of each workload)" if args.quick else ""),
        "## Our engine against peers and hand-written Python (bench/peers.py)", peers,
        "## Compile time and memory (bench/footprint.py)", footprint,
        "## A million purchases through the retail rulebook (bench/simulate_bench.py)", f"```\n{simulated}\n```",
        "## Live apply (bench/apply_bench.py)", f"```\n{applied}\n```",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
