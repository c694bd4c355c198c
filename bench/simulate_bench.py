"""Simulation speed: the retail sample rulebook over a million purchases, against hand-written Python.

    python bench/simulate_bench.py [--events 1000000] [--seed 7] [--profile 50000]

Times are CPU seconds of this process (`time.process_time`), so a busy machine
does not distort the ratio. The purchases come from the generator
(`rules_engine.generate`) and are built as `Event`s in memory first, so reading
files is not measured. Both sides then run the same list: `simulate()` with the
compiled rulebook (what `loyalty simulate` does after reading), and
`bench/reference.py`, the same rules written by hand, over the list in time order.
`simulate()` runs one member's history after another, which keeps each member's
state in the processor's caches (docs/performance.md); the reference is also timed
over the list sorted by member, the same trick by hand, so the ratio can be read
both ways. All run with Python's cycle collector paused, as `simulate()` runs (the
reference once ran with it on, which cost it a fifth of its speed at a million
events and flattered the ratio). Before any time is printed, every member's
balance and tier must agree. Goals (issue 5): at least 100,000 events/s, and at
least half the reference's speed.
`--profile N` also prints where the engine spends its time on the first N events;
a compiled engine shows as a few calls, so profile with `LOYALTY_PURE_PYTHON=1`
(docs/performance.md, "The compiled engine"). The first line says which ran.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType

sys.path.insert(0, str(Path(__file__).parent))

from reference import TIERS, Reference  # noqa: E402

import rules_engine  # noqa: E402
from rules_engine.collector import collector_paused  # noqa: E402
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

    gc.collect()
    began = time.process_time()
    report = simulate(program, events)
    ours = time.process_time() - began

    ordered = sorted(events, key=lambda e: e.at)
    theirs, reference = _reference(ordered)
    # The engine runs member by member (rules_engine/grouping.py); the same order, given to the hand-written loop:
    grouped, _ = _reference(sorted(ordered, key=lambda e: e.member))

    mismatches = [m.id for m in report.members
                  if (m.balance, m.tier) != (reference.members[m.id].balance, TIERS[reference.members[m.id].tier])]
    if mismatches or len(report.members) != len(reference.members):
        sys.exit(f"the engine and the reference disagree on {len(mismatches):,} members, e.g. {mismatches[:5]}")

    n = len(events)
    print(f"engine                     {'compiled (mypyc)' if rules_engine.COMPILED else 'from source':>12}")
    print(f"events                     {n:>12,}")
    print(f"engine (simulate)          {n / ours:>12,.0f} events/s   ({ours:.1f} s of CPU)")
    print(f"hand-written               {n / theirs:>12,.0f} events/s   ({theirs:.1f} s of CPU)")
    print(f"hand-written, by member    {n / grouped:>12,.0f} events/s   ({grouped:.1f} s of CPU)")
    print(f"engine / reference         {theirs / ours:>12.2f}        (goal: >= 0.50, and >= 100,000 events/s)")
    print(f"engine / reference by member {grouped / ours:>10.2f}")
    print(f"agreement                  {len(report.members):,} members: same balance and tier")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        simulate(program, events[: args.profile])
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
        print(out.getvalue())


def _reference(ordered: list[Event]) -> tuple[float, Reference]:
    """The hand-written rules over the events in the order given: CPU seconds, and the state they end with."""
    gc.collect()  # the previous run's state is garbage now: no side pays a collection of another's heap
    began = time.process_time()
    with collector_paused():  # as simulate() runs the engine: the same conditions for all
        reference = Reference()
        for event in ordered:
            reference.process(event)
        reference.finish(max(event.at for event in ordered))
    return time.process_time() - began, reference


if __name__ == "__main__":
    main()
