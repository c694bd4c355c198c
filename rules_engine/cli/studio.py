"""Simulation studio commands: `generate` and `import` make event files; `study` backs
`loyalty simulate --compare/--html` and its economics table."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any, Callable, TextIO

import click

from rules_engine.cli import design
from rules_engine.compare import Comparison, compare
from rules_engine.economics import Economics, run
from rules_engine.events import EVENT_TYPES
from rules_engine.generate import MAX_DAYS, MAX_MEMBERS, Plan, shaped_by, write_events
from rules_engine.html_report import comparison_page, simulation_page
from rules_engine.importing import Import, MapError, import_rows, parse_delimiter, parse_map, parse_scale
from rules_engine.program import Program
from rules_engine.readers import RowError


@click.command()
@click.option("--members", type=click.IntRange(1, MAX_MEMBERS), required=True, help="How many members the club has.")
@click.option("--days", type=click.IntRange(1, MAX_DAYS), required=True, help="How many days of history.")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed always gives the same events.")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default="2025-03-21", show_default=True,
              help="First day (Gregorian), midnight in the rulebook's time zone.")
@click.option("--rulebook", type=click.Path(exists=True, dir_okay=False),
              help="Take reward ids and costs, point value and time zone from this rulebook.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
def generate(members: int, days: int, seed: int, start: datetime, rulebook: str | None, output: str | None) -> None:
    """Write synthetic club events (JSON Lines), in time order, for trying a rulebook."""
    _check_output(output, "--output", rulebook)
    try:
        plan = Plan(members=members, days=days, seed=seed, start=start.date())
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--start") from None
    if rulebook is not None:
        program = design.load_program(rulebook)
        if not any(r.cost > 0 for r in program.rewards.values()):
            raise click.ClickException("the rulebook has no rewards with a cost; redemptions need at least one")
        plan = shaped_by(plan, program)
    began = time.perf_counter()
    count = _write(output, lambda out: write_events(plan, out))
    click.echo(f"{count:,} events for {members:,} members over {days:,} days "
               f"in {time.perf_counter() - began:.1f} s", err=True)


@click.command(name="import")
@click.argument("export", type=click.Path(exists=True, dir_okay=False))
@click.option("--map", "mapping", required=True,
              help="Our field = their column, e.g. member=customer_id,at=date,amount=dollar_value.")
@click.option("--date-format", help="strptime format of their dates, e.g. %d/%m/%Y (default: ISO, 19970101, 1997/01/01).")
@click.option("--calendar", type=click.Choice(["gregorian", "jalali"]), default="gregorian", show_default=True,
              help="The calendar their dates are written in.")
@click.option("--scale", default="1", show_default=True, help="Multiply amounts, e.g. 60000 for dollars into toman.")
@click.option("--type", "event_type", type=click.Choice(EVENT_TYPES), default="purchase", show_default=True,
              help="Event type of rows without one.")
@click.option("--delimiter", default=",", show_default=True,
              help="Cell separator: one character, 'tab', or 'space' for whitespace-separated files.")
@click.option("--no-header", is_flag=True, help="The file has no header row; map columns by number (1, 2, …).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
def import_command(export: str, mapping: str, date_format: str | None, calendar: str, scale: str, event_type: str,
                   delimiter: str, no_header: bool, output: str | None) -> None:
    """Convert EXPORT (any CSV of transactions) to events `loyalty simulate` reads."""
    try:
        columns = parse_map(mapping)
    except MapError as error:
        raise click.BadParameter(str(error), param_hint="--map") from None
    spec = Import(columns, date_format, calendar, _option(parse_scale, scale, "--scale"), event_type,
                  _option(parse_delimiter, delimiter, "--delimiter"), not no_header)
    _check_output(output, "--output", export)
    rows = import_rows(export, spec)
    try:  # the header is checked against the map here, before the output is opened and emptied
        first = next(rows, None)
    except MapError as error:
        raise click.BadParameter(str(error), param_hint="--map") from None
    skipped = 0

    def convert(out: TextIO) -> int:
        nonlocal skipped
        written = 0
        for row in chain([first] if first is not None else [], rows):
            if isinstance(row, RowError):
                skipped += 1
                click.echo(f"{export}:{row.line}: skipped: {row.message}", err=True)
                continue
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            written += 1
        return written

    count = _write(output, convert)
    click.echo(f"{count:,} events written, {skipped:,} rows skipped", err=True)
    if skipped:
        sys.exit(1)


def study(rulebook: str, events: str, as_of: datetime | None, program: Program, against: str | None,
          html: str | None) -> None:
    """`loyalty simulate` with economics: a table on stdout, and optionally a what-if and an HTML page."""
    _check_output(html, "--html", rulebook, events, against)
    read = design.read_file(events, program)
    began = time.perf_counter()
    if against is None:
        (economics,) = run([program], read, as_of)
        design.report_problems(economics.problems, events)
        click.echo(economics_table(economics))
        page = simulation_page(economics)
    else:
        result = compare(program, design.load_program(against), read, as_of)
        design.report_problems(result.a.problems, events)
        click.echo(comparison_table(result, Path(rulebook).name, Path(against).name))
        page = comparison_page(result, Path(rulebook).name, Path(against).name)
    click.echo(f"simulated {len(read):,} events in {time.perf_counter() - began:.1f} s", err=True)
    if html is not None:
        _write(html, lambda out: out.write(page))
        click.echo(f"wrote {html}", err=True)


def economics_table(e: Economics) -> str:
    cur = e.currency
    lines = [f"{e.program} — simulated up to {e.when}" if e.as_of else e.program, ""]
    lines += [f"  {name:<24}{value}" for name, value in (
        ("events", f"{e.events:,}"), ("members", f"{e.members:,}"), ("revenue", f"{e.revenue:,.0f} {cur}"),
        ("points earned", f"{e.earned:,}  (the rules below)"), ("taken back by refunds", f"{e.reversed:,}"),
        ("points issued (net)", f"{e.issued:,}"), ("redeemed", f"{e.redeemed:,}"),
        ("expired (breakage)", f"{e.expired:,} ({e.breakage_share:.1%} of issued)"),
        ("outstanding", f"{e.outstanding:,} points = {e.liability:,.0f} {cur} liability"),
        *((("owed by members", f"{e.debt:,} points (refunds of points already spent)"),) if e.debt else ()),
        ("program cost", f"{e.cost:,.0f} {cur} = {e.cost_share:.2%} of revenue"),
    )]
    for status in ("rejected", "duplicate", "conflict", "invalid", "failed", "after_as_of"):
        if e.status.get(status):
            lines.append(f"  {status:<24}{e.status[status]:,}")
    tiers = list(e.tiers)
    if e.months:
        lines += ["", "  month     " + "".join(f"{t:>10}" for t in tiers) + f"{'issued':>12}{'redeemed':>12}"
                  f"{'expired':>10}{'liability':>16}"]
        for m in e.months:
            lines.append(f"  {m.label:<10}" + "".join(f"{m.tiers.get(t, 0):>10,}" for t in tiers)
                         + f"{m.issued:>12,}{m.redeemed:>12,}{m.expired:>10,}{m.outstanding * e.point_value:>16,.0f}")
    if e.rules:
        lines += ["", f"  {'rule':<20}{'points':>14}{'entries':>10}  statement"]
        lines += [f"  {r.label:<20}{r.points:>14,}{r.entries:>10,}  {r.text}" for r in e.rules]
    if e.rewards or e.rejections:
        lines += ["", f"  {'redeemed or claimed':<28}{'times':>10}"]
        lines += [f"  {reward:<28}{n:>10,}" for reward, n in e.rewards.items()]
        lines += [f"  refused: {reason:<19}{n:>10,}" for reason, n in e.rejections.items()]
    if e.near:
        counts = ", ".join(f"{n:,} → {tier}" for tier, n in e.near_counts.items())
        lines += ["", f"  near the next tier (within one typical order: {counts or 'none'})"]
        lines += [f"  {n.id:<14}{n.tier:>10} → {n.next_tier:<10} one purchase of "
                  f"{'any size' if n.gap == 0 else f'{n.gap:,} {cur}'}" for n in e.near[:10]]
    return "\n".join(lines)


def comparison_table(c: Comparison, name_a: str, name_b: str) -> str:
    a, b = c.a, c.b
    lines = [f"{a.program}: A = {name_a}, B = {name_b}, {a.events:,} events", ""]
    if c.rule_changes:
        lines.append("  changed statements")
        for r in c.rule_changes:
            lines.append(f"    {r.label}:  A: {r.before or '(none)'}")
            lines.append(f"    {'':{len(r.label)}}   B: {r.after or '(none)'}")
        lines.append("")
    lines.append(f"  {'':<32}{'A':>18}{'B':>18}{'B − A':>16}")
    lines += [f"  {name:<32}{x:>18,.0f}{y:>18,.0f}{y - x:>+16,.0f}" for name, x, y in c.figures]
    lines.append(f"  {'cost / revenue':<32}{a.cost_share:>18.2%}{b.cost_share:>18.2%}"
                 f"{(b.cost_share - a.cost_share) * 100:>+13.2f} pt")
    lines.append(f"  {'breakage / issued':<32}{a.breakage_share:>18.1%}{b.breakage_share:>18.1%}"
                 f"{(b.breakage_share - a.breakage_share) * 100:>+14.1f} pt")
    if c.tier_moves:
        lines += ["", "  tier moves (A → B)"] + [f"    {x or '-'} → {y or '-'}: {n:,}" for (x, y), n in c.tier_moves.items()]
    if c.members:
        lines += ["", "  members who change most"]
        for m in c.members[:15]:
            lines.append(f"    {m.id:<12}{m.tier_a or '-':>10} → {m.tier_b or '-':<10}"
                         f"{m.balance_a:>10,} → {m.balance_b:<10,}  {'; '.join(m.reasons)}")
    return "\n".join(lines)


def _option(parse: Callable[[str], Any], text: str, option: str) -> Any:
    """An option's value read by `parse`, whose ValueError becomes the option's usage error."""
    try:
        return parse(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None


def _check_output(output: str | None, option: str, *inputs: str | None) -> None:
    """Refuse an output file before any work is done: one that is also an input would be emptied before it
    is read (or overwritten after), and one in a folder that does not exist would fail only after the run."""
    if output is None:
        return
    target = Path(output)
    for given in filter(None, inputs):
        if target.exists() and os.path.samefile(target, given):
            raise click.BadParameter(f"'{output}' is also an input ({given}); write to another file",
                                     param_hint=option)
    if not target.absolute().parent.is_dir():
        raise click.BadParameter(f"the folder '{target.parent}' does not exist; create it first or write elsewhere",
                                 param_hint=option)


def _write(output: str | None, produce: Callable[[TextIO], int]) -> int:
    if output is None:
        return produce(sys.stdout)
    try:
        with open(output, "w", encoding="utf-8") as out:
            return produce(out)
    except OSError as error:
        raise click.ClickException(f"cannot write {output}: {error.strerror or error}") from None


commands = (generate, import_command)
