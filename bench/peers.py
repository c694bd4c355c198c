"""Our engine against peer rule engines and hand-written Python, on one workload.

    python bench/peers.py [--events 1000000] [--members 50000] [--runs 3] [--out bench/results/peers.md]

Every contender processes the same purchases in time order and must produce,
per purchase, the points (1 per 10,000 toman, plus 2 per 10,000 toman of coffee
items, each rounded down) and the member's tier after it (silver from 2m, gold
from 5m of spend in the last 90 days). Peers are expression evaluators, so the
90-day window around them is the same plain Python the hand-written reference
uses; our engine does the windowing itself and also keeps the full ledger (lots,
entries, explanations), so it does strictly more work per event. The figures are
checked against each other before any time is reported.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections import deque
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterable

sys.path.insert(0, str(Path(__file__).parent))

from workload import RULEBOOK, Purchase, as_events, purchases  # noqa: E402

from rules_engine.collector import collector_paused  # noqa: E402
from rules_engine.dsl.compiler import compile_rulebook  # noqa: E402
from rules_engine.engine import Engine  # noqa: E402
from rules_engine.plugins.manager import default_registry  # noqa: E402

WINDOW = timedelta(days=90)
Result = tuple[int, dict[str, str]]  # total points, final tier by member


def tier_of(spend: int) -> str:
    return "gold" if spend >= 5_000_000 else "silver" if spend >= 2_000_000 else "bronze"


class Window:
    """The plain-Python 90-day spend window shared by the reference and the peers."""

    __slots__ = ("entries", "spend")

    def __init__(self) -> None:
        self.entries: deque[tuple] = deque()
        self.spend = 0

    def add(self, p: Purchase) -> int:
        self.entries.append((p.at, p.amount))
        self.spend += p.amount
        cutoff = p.at - WINDOW
        while self.entries[0][0] <= cutoff:
            self.spend -= self.entries.popleft()[1]
        return self.spend


def run_reference(batch: list[Purchase]) -> Result:
    """The hand-written limit: the rules as a plain Python function."""
    windows: dict[str, Window] = {}
    tiers: dict[str, str] = {}
    total = 0
    for p in batch:
        window = windows.get(p.member) or windows.setdefault(p.member, Window())
        coffee = sum(t for c, t in p.items if c == "coffee")
        total += p.amount // 10_000 + 2 * coffee // 10_000
        tiers[p.member] = tier_of(window.add(p))
    return total, tiers


def our_engine(batch: list[Purchase]) -> Callable[[], Result]:
    program = compile_rulebook(RULEBOOK, "bench.rules", default_registry())
    events = as_events(batch)  # built before timing: reading files is not what this compares

    def run() -> Result:
        engine = Engine(program)
        for event in events:
            engine.process(event)
        return (sum(m.earned for m in engine.members.values()),
                {m.id: program.tiers[m.tier].name for m in engine.members.values()})

    return run


def _expression_peer(points_expr: Callable[[dict], int], tier_expr: Callable[[dict], str],
                     batch: list[Purchase]) -> Result:
    windows: dict[str, Window] = {}
    tiers: dict[str, str] = {}
    total = 0
    for p in batch:
        window = windows.get(p.member) or windows.setdefault(p.member, Window())
        facts = {"amount": p.amount, "items": [{"category": c, "total": t} for c, t in p.items]}
        total += int(points_expr(facts))
        tiers[p.member] = tier_expr({"spend_90d": window.add(p)})
    return total, tiers


def run_zen(batch: list[Purchase]) -> Result:
    import zen  # GoRules zen-engine: compiled standalone expressions, its fastest path

    points = zen.compile_expression(
        'floor(amount / 10000) + floor(2 * sum(map(filter(items, #.category == "coffee"), #.total)) / 10000)')
    tier = zen.compile_expression('spend_90d >= 5000000 ? "gold" : (spend_90d >= 2000000 ? "silver" : "bronze")')
    return _expression_peer(points.evaluate, tier.evaluate, batch)


def run_rule_engine(batch: list[Purchase]) -> Result:
    import rule_engine  # the `rule-engine` package: a tree-walking evaluator

    context = rule_engine.Context(default_value=None)
    points = rule_engine.Rule(
        'amount // 10000 + (2 * $sum([item.total for item in items if item.category == "coffee"])) // 10000',
        context=context)
    tier = rule_engine.Rule('spend_90d >= 5000000 ? "gold" : (spend_90d >= 2000000 ? "silver" : "bronze")',
                            context=context)
    return _expression_peer(points.evaluate, tier.evaluate, batch)


def timed(run: Callable[[], Result], runs: int) -> tuple[float, Result]:
    times, result = [], None
    for _ in range(runs):
        # A full collection walks every live object: without this, whichever contender happens to be running
        # when one falls due pays for the heap all of them built, which can double a short run's time.
        gc.collect()
        with collector_paused():  # as `loyalty simulate` runs the engine (rules_engine/collector.py); the same for all
            start = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - start)
    return statistics.median(times), result  # type: ignore[return-value]


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peer-events", type=int, default=100_000,
                        help="slow peers run on this prefix of the events (their rate is per event, so it compares)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "peers.md")
    args = parser.parse_args(list(argv) if argv is not None else None)

    batch = purchases(args.events, args.members)
    ours = our_engine(batch)
    rows: list[tuple[str, int, float]] = []
    expected = run_reference(batch)
    contenders = [
        ("hand-written Python (reference)", lambda: run_reference(batch), args.events),
        ("loyalty engine (this project)", ours, args.events),
    ]
    prefix = batch[: args.peer_events]
    peer_expected = run_reference(prefix)
    contenders += [
        ("zen-engine 2.x compiled expressions", lambda: run_zen(prefix), len(prefix)),
        ("rule-engine (PyPI)", lambda: run_rule_engine(prefix), len(prefix)),
    ]
    for name, run, count in contenders:
        try:
            seconds, result = timed(run, args.runs)
        except ImportError as err:
            print(f"{name}: not installed ({err}); pip install -e '.[bench]'", file=sys.stderr)
            continue
        want = expected if count == args.events else peer_expected
        if result != want:
            raise SystemExit(f"{name} disagrees with the reference: {result[0]} points vs {want[0]}")
        rows.append((name, count, count / seconds))
        print(f"{name:<40}{count / seconds:>14,.0f} events/s", file=sys.stderr)

    ours_rate = next(rate for name, _, rate in rows if name.startswith("loyalty"))
    lines = ["| engine | events | events/s | vs our engine |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {count:,} | {rate:,.0f} | {rate / ours_rate:.2f}× |" for name, count, rate in rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
