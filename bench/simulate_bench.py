"""Simulation speed: the retail sample rulebook over a million purchases, against hand-written Python.

    python bench/simulate_bench.py [--events 1000000] [--seed 7] [--profile 50000]

Times are CPU seconds of this process (`time.process_time`), so a busy machine
does not distort the ratio. The purchases come from the generator (`rules_engine.generate`) and are built
as `Event`s in memory first, so reading files is not measured. Both sides then
run the same list: `simulate()` with the compiled rulebook (what `loyalty
simulate` does after reading), and `bench/reference.py`, the same rules written
by hand. Before any time is printed, every member's balance and tier must agree.
Goals (issue 5): at least 100,000 events/s, and at least half the reference's speed.
`--profile N` also prints where the engine spends its time on the first N events.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType

sys.path.insert(0, str(Path(__file__).parent))

from reference import TIERS, Reference  # noqa: E402

from rules_engine.dsl.compiler import compile_rulebook  # noqa: E402
from rules_engine.events import Event, Item  # noqa: E402
from rules_engine.generate import Plan, generate  # noqa: E402
from rules_engine.plugins.manager import default_registry  # noqa: E402
from rules_engine.simulation import simulate  # noqa: E402

RULEBOOK = Path(__file__).resolve().parents[1] / "rulebooks" / "online-retailer.rules"


def purchases(count: int, seed: int) -> list[Event]:
    """`count` generated purchases of one year, as events (a club of about count / 10 members)."""
    out: list[Event] = []
    plan = Plan(members=max(100, count // 10), days=365, seed=seed)
    for row in generate(plan):
        if row["type"] != "purchase":
            continue
        fields = {key: row[key] for key in ("channel", "store", "shipping_fee") if key in row}
        items = tuple(Item(sku=i["sku"], category=i["category"], qty=i["qty"], price=i["price"]) for i in row["items"])
        out.append(Event(id=row["id"], type="purchase", member=row["member"],
                         at=datetime.fromisoformat(row["at"]).astimezone(timezone.utc), amount=row["amount"],
                         items=items, fields=MappingProxyType(fields)))
        if len(out) == count:
            break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=int, default=0, help="profile the engine on this many events")
    args = parser.parse_args()

    program = compile_rulebook(RULEBOOK.read_text(encoding="utf-8"), str(RULEBOOK), default_registry())
    began = time.perf_counter()
    events = purchases(args.events, args.seed)
    print(f"generated {len(events):,} purchases in {time.perf_counter() - began:.1f} s", file=sys.stderr)

    began = time.process_time()
    report = simulate(program, events)
    ours = time.process_time() - began

    began = time.process_time()
    reference = Reference()
    for event in sorted(events, key=lambda e: e.at):
        reference.process(event)
    reference.finish(events[-1].at)
    theirs = time.process_time() - began

    mismatches = [m.id for m in report.members
                  if (m.balance, m.tier) != (reference.members[m.id].balance, TIERS[reference.members[m.id].tier])]
    if mismatches or len(report.members) != len(reference.members):
        sys.exit(f"the engine and the reference disagree on {len(mismatches):,} members, e.g. {mismatches[:5]}")

    n = len(events)
    print(f"events               {n:>12,}")
    print(f"engine (simulate)    {n / ours:>12,.0f} events/s   ({ours:.1f} s of CPU)")
    print(f"hand-written         {n / theirs:>12,.0f} events/s   ({theirs:.1f} s of CPU)")
    print(f"engine / reference   {theirs / ours:>12.2f}        (goal: >= 0.50, and >= 100,000 events/s)")
    print(f"agreement            {len(report.members):,} members: same balance and tier")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        simulate(program, events[: args.profile])
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
        print(out.getvalue())


if __name__ == "__main__":
    main()
