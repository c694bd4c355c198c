"""Designer commands: `check`, `simulate` and `explain`."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Iterable

import click

from rules_engine.calendars import parse_timestamp
from rules_engine.cli import studio
from rules_engine.dsl.compiler import compile_source
from rules_engine.dsl.diagnostics import decode, format_all, to_json
from rules_engine.events import Event
from rules_engine.ledger import Outcome
from rules_engine.plugins.manager import PluginError, default_registry
from rules_engine.plugins.registry import Registry
from rules_engine.program import Program
from rules_engine.readers import EARLIEST, LATEST, read_events
from rules_engine.simulation import Report, report_json, simulate


def plugin_registry() -> Registry:
    """The installed plugins' registry, built once per command (plugins may do work when asked, like reading a
    holiday file); a broken plugin is a one-line error naming it, not a traceback."""
    context = click.get_current_context(silent=True)
    meta = context.meta if context is not None else {}  # called from Python rather than a command: a fresh one
    if _REGISTRY not in meta:
        try:
            meta[_REGISTRY] = default_registry()
        except PluginError as err:
            raise click.ClickException(str(err)) from err
    return meta[_REGISTRY]


_REGISTRY = "loyalty.registry"


def read_rulebook(path: str, fmt: str = "text") -> str:
    """A rulebook file's text; one that is not UTF-8 is reported, located, like any rulebook error, and exits 1."""
    source = decode(Path(path).read_bytes(), path)
    if isinstance(source, str):
        return source
    click.echo(to_json([source]) if fmt == "json" else format_all([source]), err=fmt != "json")
    if fmt == "text":
        click.echo(f"\n{path}: 1 error(s); nothing was run.", err=True)
    sys.exit(1)


def load_program(path: str) -> Program:
    """Compile a rulebook file for a command, or print its diagnostics and exit 1."""
    source = read_rulebook(path)
    program, diagnostics = compile_source(source, path, plugin_registry())
    warnings = [d for d in diagnostics if d.severity == "warning"]
    if program is None:
        click.echo(format_all(diagnostics), err=True)
        errors = len(diagnostics) - len(warnings)
        click.echo(f"\n{path}: {errors} error(s); nothing was run.", err=True)
        sys.exit(1)
    if warnings:
        click.echo(format_all(warnings), err=True)
    return program


def time_option(text: str | None, program: Program, option: str = "--as-of") -> datetime | None:
    """A command's time option, read in the rulebook's zone when it has no offset; a bad one names the option."""
    if text is None:
        return None
    try:
        at = parse_timestamp(text, program.settings.tz)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint=option) from err
    if not EARLIEST <= at < LATEST:  # the years events may have: a close or a redemption beyond them is a typo
        raise click.BadParameter(f"'{text}' is outside the years {EARLIEST.year} to {LATEST.year - 1}", param_hint=option)
    return at


def _run(rulebook: str, events: str, as_of: str | None, follow: tuple[str, ...] = ()) -> tuple[Program, Report]:
    program = load_program(rulebook)
    report = simulate(program, read_file(events, program), time_option(as_of, program), follow)
    report_problems(report.problems, events)
    return program, report


def read_file(events: str, program: Program) -> tuple[Event, ...]:
    """The events of a file; rows that cannot be read are listed on stderr with their line."""
    read = read_events(events, program.settings.tz)
    for error in read.errors:
        click.echo(f"{events}:{error.line}: skipped: {error.message}", err=True)
    return read.events


def report_problems(problems: Iterable[Outcome], events: str) -> None:
    """Events read but refused as invalid, conflicting or failed, on stderr with their line."""
    for problem in problems:
        where = f"{events}:{problem.event.line}" if problem.event.line else events
        click.echo(f"{where}: event {problem.event.id} {problem.status}: {problem.reason}", err=True)


@click.command()
@click.argument("rulebook", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="How to print problems.")
def check(rulebook: str, fmt: str) -> None:
    """Check RULEBOOK and report every problem at once (exit status 1 if any)."""
    source = read_rulebook(rulebook, fmt)
    program, diagnostics = compile_source(source, rulebook, plugin_registry())
    if fmt == "json":
        click.echo(to_json(diagnostics))
    elif diagnostics:
        click.echo(format_all(diagnostics), err=True)
    if program is None:
        if fmt == "text":
            click.echo(f"\n{rulebook}: {sum(d.severity == 'error' for d in diagnostics)} error(s)", err=True)
        sys.exit(1)
    if fmt == "text":
        click.echo(f"{rulebook}: ok ({len(program.earn)} earn, {len(program.bonuses)} bonus, "
                   f"{len(program.tiers)} tiers, {len(program.rewards)} rewards, {len(program.perks)} perks, "
                   f"{len(program.offers)} offers)")


@click.command(name="simulate")
@click.argument("rulebook", type=click.Path(exists=True, dir_okay=False))
@click.argument("events", type=click.Path(exists=True, dir_okay=False))
@click.option("--as-of", help="End of the simulation (default: the last event's time).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--compare", "against", type=click.Path(exists=True, dir_okay=False),
              help="A second rulebook: run both over EVENTS and show what changes, for whom and why.")
@click.option("--html", type=click.Path(dir_okay=False, writable=True),
              help="Also write a self-contained HTML report with charts to this file.")
def simulate_command(rulebook: str, events: str, as_of: str | None, fmt: str, against: str | None,
                     html: str | None) -> None:
    """Run RULEBOOK over the EVENTS file (JSON Lines or CSV) and print the results and the economics."""
    if fmt == "json":
        if against or html:
            raise click.UsageError("--format json prints the plain simulation; use --compare and --html with the table")
        program, report = _run(rulebook, events, as_of)
        click.echo(json.dumps(report_json(report), ensure_ascii=False, indent=1))
        return
    program = load_program(rulebook)
    studio.study(rulebook, events, time_option(as_of, program), program, against, html)


@click.command()
@click.argument("rulebook", type=click.Path(exists=True, dir_okay=False))
@click.argument("events", type=click.Path(exists=True, dir_okay=False))
@click.argument("member")
@click.option("--as-of", help="End of the simulation (default: the last event's time).")
def explain(rulebook: str, events: str, member: str, as_of: str | None) -> None:
    """Explain, entry by entry, what RULEBOOK did to MEMBER over EVENTS."""
    program, report = _run(rulebook, events, as_of, follow=(member,))
    outcomes = report.followed.get(member, ())
    if not outcomes:
        raise click.ClickException(f"member {member} has no events in {events}")
    balance = 0
    for outcome in outcomes:
        event = outcome.event
        title = f"{event.at.astimezone(program.settings.tz):%Y-%m-%d %H:%M} {event.type} {event.id}"
        if event.amount is not None:
            title += f" ({event.amount:,} {program.settings.currency})"
        click.echo(title if outcome.applied else f"{title}: {outcome.status}: {outcome.reason}")
        for entry in outcome.entries:
            balance += entry.points
            click.echo(f"    {entry.kind:<8} {entry.explain()}  [{entry.rule}] → balance {balance:,}")
        for change in outcome.tier_changes:
            click.echo(f"    tier     {change.before} → {change.after}: {change.why}")
        for effect in outcome.effects:
            click.echo(f"    effect   {effect.describe()}")
        for note in outcome.notes:
            click.echo(f"    note     {note}")
    figures = next(m for m in report.members if m.id == member)
    click.echo(f"\n{member}: balance {figures.balance:,}, tier {figures.tier or '-'}, earned {figures.earned:,}, "
               f"redeemed {figures.redeemed:,}, expired {figures.expired:,}, reversed {figures.reversed:,}")
