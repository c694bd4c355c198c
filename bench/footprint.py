"""What a big rulebook costs to compile, and what a member costs to keep in memory.

    python bench/footprint.py [--rules 500] [--members 20000] [--runs 5] [--out bench/results/footprint.md]

Compile: a generated rulebook of `--rules` statements in the shapes real programs
use (earn rules on amounts, items, channels and custom events, bonuses in periods,
tiers, rewards with conditions and limits), taken from text to a checked, compiled
program (`compile_source`), median of `--runs`. The goal is under 0.5 s for 500.

Memory: the engine runs the benchmark workload (bench/workload.py, about 20
purchases a member over a year) and the Python heap it holds afterwards, measured
with tracemalloc against the heap before the run, is divided by the members. The
events themselves are built before the baseline is taken, so only engine state
counts: balances, lots, rolling windows, and what refunds and duplicate checks
keep per purchase.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from workload import RULEBOOK, as_events, purchases  # noqa: E402

from rules_engine.dsl.compiler import compile_rulebook, compile_source  # noqa: E402
from rules_engine.engine import Engine  # noqa: E402
from rules_engine.plugins.manager import default_registry  # noqa: E402

CHANNELS = ("app", "web", "in_store", "phone")
CATEGORIES = ("coffee", "tea", "cake", "beans", "mugs", "gifts")


def big_rulebook(rules: int, seed: int = 3) -> str:
    """A rulebook of `rules` statements after its settings and tiers, every one of them meaningful."""
    rng = random.Random(seed)
    lines = ['program "Bench Club"', "currency toman", "calendar jalali", 'timezone "Asia/Tehran"',
             "point value 100 toman", "tier bronze", "tier silver when spend_90d >= 2m or count_30d >= 8",
             "tier gold when spend_90d >= 5m", "tier platinum when spend_365d >= 40m and count_365d >= 30",
             "tiers downgrade after 90 days", "cap 20000 points per 30 days", "points expire after 12 months"]
    shapes = [
        lambda n: f"r{n}: earn {rng.randint(1, 5)} points per {rng.choice([5, 10, 20])}000 toman "
                  f'when channel == "{rng.choice(CHANNELS)}" and amount >= {rng.randint(1, 900)}k',
        lambda n: f"r{n}: earn {rng.randint(1, 4)} points per 10000 toman of items where "
                  f'category == "{rng.choice(CATEGORIES)}" and price >= {rng.randint(10, 300)}k',
        lambda n: f'r{n}: earn {rng.randint(1, 9)} points per item where category in ["{rng.choice(CATEGORIES)}", '
                  f'"{rng.choice(CATEGORIES)}"] when tier >= silver',
        lambda n: f'r{n}: earn {rng.randint(5, 200)} points on event "campaign_{n}" limit 1 per member',
        lambda n: f"r{n}: bonus {rng.choice(['1.5', '2', '3'])}x during 1405-{rng.randint(1, 6):02d}-01.."
                  f"1405-{rng.randint(7, 12):02d}-{rng.randint(10, 29)} when weekday in [friday, thursday]",
        lambda n: f"r{n}: earn {rng.randint(10, 100)} points when first_purchase and hour >= {rng.randint(0, 23)} "
                  f"and member.city == \"Tehran\"",
        lambda n: f'reward w{n} "جایزه {n}" costs {rng.randint(1, 50) * 100} points gives '
                  f"discount(percent: {rng.randint(5, 30)}%, max: {rng.randint(1, 9)}00k) "
                  f"when tier >= gold and spend_total >= {rng.randint(1, 50)}m limit 3 per 30 days",
    ]
    lines += [rng.choice(shapes)(n) for n in range(rules)]
    return "\n".join(lines) + "\n"


def compile_seconds(text: str, runs: int) -> float:
    registry = default_registry()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        program, diagnostics = compile_source(text, "big.rules", registry)
        times.append(time.perf_counter() - started)
        if program is None:
            raise SystemExit(f"the generated rulebook does not compile: {diagnostics[0]}")
    return statistics.median(times)


def bytes_per_member(members: int) -> tuple[float, int, int]:
    program = compile_rulebook(RULEBOOK, "bench.rules", default_registry())
    events = as_events(purchases(members * 20, members))
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    engine = Engine(program)
    for event in events:
        engine.process(event)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return held / len(engine.members), len(engine.members), len(events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rules", type=int, default=500)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "footprint.md")
    args = parser.parse_args()
    text = big_rulebook(args.rules)
    seconds = compile_seconds(text, args.runs)
    per_member, members, events = bytes_per_member(args.members)
    table = "\n".join([
        "| measure | value | goal |",
        "|---|---:|---:|",
        f"| parse + check + compile, {args.rules} rules ({len(text.splitlines()):,} lines), median of {args.runs} "
        f"| {seconds:.3f} s | < 0.5 s |",
        f"| engine state per member ({members:,} members after {events:,} purchases) "
        f"| {per_member / 1024:.1f} KiB | — |",
    ])
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
