"""Operator commands on the store: `apply`, `member`, `redeem`, `expire`, `export` and `report`.

Each takes `--db URL` (or `LOYALTY_DATABASE_URL`; ./loyalty.db by default). Only
`apply` names a rulebook; the others use the rulebook the store was last applied
with, so the nightly job and the shop's redemption call cannot pick a wrong one.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import sys
import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from hashlib import sha256
from pathlib import Path
from typing import Any, Iterator, TextIO

import click
import sqlalchemy as sa

from rules_engine.cli.design import load_program, plugin_registry, time_option
from rules_engine.dsl.diagnostics import did_you_mean
from rules_engine.events import Event
from rules_engine.ledger import Outcome
from rules_engine.plugins.delivery import deliver
from rules_engine.program import Program
from rules_engine.readers import iter_events
from rules_engine.simulation import Report, report_json
from rules_engine.store import codec, queries
from rules_engine.store.database import (
    ENV_VAR, StoreError, database_url, display_url, in_memory, open_database, sqlite_file,
)
from rules_engine.store.writer import BATCH, Arrival, Ledger, Summary

_db_option = click.option("--db", "db_url", metavar="URL",
                          help=f"The store: a SQLAlchemy URL or a SQLite file path (default: ${ENV_VAR}, else ./loyalty.db).")
_MAX_WARN_DAYS = 3660  # ten years: longer than any expiry warning is useful, and far from the calendar's end


@click.command()
@click.argument("rulebook", type=click.Path(exists=True, dir_okay=False))
@click.argument("events", type=click.Path(exists=True, dir_okay=False))
@_db_option
@click.option("--rejects", type=click.Path(dir_okay=False),
              help="Where rows that fail validation are listed (default: EVENTS.rejects).")
@click.option("--batch", type=click.IntRange(min=1), default=BATCH, show_default=True,
              help="Events per transaction.")
def apply(rulebook: str, events: str, db_url: str | None, rejects: str | None, batch: int) -> None:
    """Apply RULEBOOK to the EVENTS file (JSON Lines or CSV), in file order, and write the ledger.

    Safe to run again, or after a crash: events already in the store are skipped.
    """
    url = _url(db_url)
    rejects_path = _rejects_file(rejects, events, rulebook, url)
    program = load_program(rulebook)
    ledger = _ledger(url, program, Path(rulebook).read_text(encoding="utf-8"), rulebook)
    rejects_path.unlink(missing_ok=True)  # it lists this run's rejects only; no file means none
    source = str(Path(events).resolve())
    with ExitStack() as stack:
        lines = _count_lines(events)
        bar = stack.enter_context(click.progressbar(
            length=lines or 0, hidden=lines is None, label="applying", file=sys.stderr, show_pos=True, show_eta=True,
            item_show_func=lambda rate: rate))
        rejected: TextIO | None = None
        unreadable = 0
        started = time.monotonic()

        def progress(done: int) -> None:
            bar.update(done, f"{(bar.pos + done) / max(time.monotonic() - started, 1e-9):,.0f} events/s")

        def arrivals() -> Iterator[Arrival]:
            nonlocal unreadable, rejected
            for item in iter_events(events, program.settings.tz):
                if isinstance(item, Event):
                    yield Arrival(item, source, item.line)
                    continue
                unreadable += 1
                rejected = rejected or stack.enter_context(rejects_path.open("w", encoding="utf-8"))
                rejected.write(f"{events}:{item.line}: {item.message}\n")

        send = _Delivery()
        summary = _run(lambda: ledger.apply(arrivals(), batch, progress=progress, committed=send))
        bar.update(bar.length - bar.pos if bar.length else 0)
    for problem in summary.problems:
        click.echo(f"{events}:{problem.arrival.line}: event {problem.arrival.event.id} {problem.status}: "
                   f"{problem.reason}", err=True)
    click.echo(_summary(summary, url, ledger, unreadable, rejects_path))
    if not summary.arrivals:
        _nothing_read(events, unreadable, rejects_path)
    send.check()


@click.command()
@click.argument("member")
@_db_option
def member(member: str, db_url: str | None) -> None:
    """Show MEMBER's balance, tier, open lots and history, each entry with its reason."""
    db = _open(_url(db_url))
    tz = _run(lambda: queries.rulebook_in_force(db, plugin_registry())).program.settings.tz
    found = _run(lambda: queries.account(db, member))
    if found is None:
        raise click.ClickException(f"the store has no member {member}")
    click.echo(f"{found.id}: balance {found.balance:,}, tier {found.tier or '-'} (earned {found.earned:,}, "
               f"redeemed {found.redeemed:,}, expired {found.expired:,}, reversed {found.reversed:,})")
    if found.lots:
        click.echo("\nopen lots (spent earliest expiry first):")
        for lot in found.lots:
            expiry = f"expires {lot.expires_at.astimezone(tz):%Y-%m-%d %H:%M}" if lot.expires_at else "never expires"
            click.echo(f"  {lot.event:<24} {lot.remaining:>8,} of {lot.points:,} left, {expiry}")
    if found.codes:
        click.echo("\ncodes issued:")
        for code in found.codes:
            click.echo(f"  {code.at.astimezone(tz):%Y-%m-%d %H:%M}  {code.code:<26} {code.kind} ({code.event})")
    click.echo("\nhistory:")
    for line in found.history:
        when = f"{line.at.astimezone(tz):%Y-%m-%d %H:%M}"
        if line.kind == "tier":
            click.echo(f"  {when}  tier     {line.rule}: {line.why}")
        else:
            click.echo(f"  {when}  {line.kind:<8} {line.points:>+8,}  {line.event} [{line.rule}] {line.why}")


@click.command()
@click.argument("member")
@click.argument("reward")
@_db_option
@click.option("--id", "event_id", help="The redemption's event id; give the shop's order id so a retry cannot redeem twice.")
@click.option("--at", help="When it happened (default: now).")
def redeem(member: str, reward: str, db_url: str | None, event_id: str | None, at: str | None) -> None:
    """Redeem REWARD for MEMBER now, through the ledger, and print the effect (a code, a product...)."""
    _not_blank(member, "MEMBER")
    if event_id is not None:
        _not_blank(event_id, "--id")
    db = _open(_url(db_url))
    stored = _run(lambda: queries.rulebook_in_force(db, plugin_registry()))
    when = time_option(at, stored.program, "--at") or datetime.now(timezone.utc)
    _known_member(db, member)
    event = Event(id=event_id or f"redeem-{secrets.token_hex(8)}", type="redeem", member=member, at=when, reward=reward)
    # A retry of the same request (same id, member and reward) is a duplicate whenever it comes.
    request = codec.dump({"id": event.id, "type": "redeem", "member": member, "reward": reward})
    event = replace(event, fingerprint=sha256(request.encode("utf-8")).hexdigest())
    ledger = _ledger_for(db, stored, member)
    done: list[Outcome] = []
    send = _Delivery()  # a redemption applied stays exit 0 even if its message failed: the shop must hand it over
    summary = _run(lambda: ledger.apply([Arrival(event, "loyalty redeem")],
                                        committed=lambda new: (done.extend(new), send(new))))
    if not done:
        if summary.status["conflict"]:
            raise click.ClickException(f"event id {event.id} is already in the store for another request; nothing was done")
        _repeat_first_attempt(db, event)
        return
    outcome = done[0]
    if not outcome.applied:
        raise click.ClickException(f"{member} cannot redeem {reward}: {outcome.reason}")
    spent = -sum(e.points for e in outcome.entries if e.kind == "redeem")
    balance = ledger.engine.members[member].balance
    click.echo(f"{event.id}: {member} redeemed {reward} for {spent:,} points; balance now {balance:,}")
    for effect in outcome.effects:
        click.echo(f"  {effect.describe()}")


@click.command()
@_db_option
@click.option("--as-of", help="The moment to close at (default: now).")
@click.option("--warn-days", type=click.IntRange(0, _MAX_WARN_DAYS), default=7, show_default=True,
              help="Announce (through the effect sinks) points that expire on the day this many days ahead; 0: none.")
def expire(db_url: str | None, as_of: str | None, warn_days: int) -> None:
    """The nightly job: expire lots and move tiers as due by --as-of, for every member.

    It also tells the effect sinks (the SMS outbox, …) which members' points expire
    in the day that lies --warn-days ahead, so a daily run warns of each lot once.
    """
    db = _open(_url(db_url))
    stored = _run(lambda: queries.rulebook_in_force(db, plugin_registry()))
    when = time_option(as_of, stored.program) or datetime.now(timezone.utc)
    shown, horizon, horizon_day = _close_times(when, warn_days, stored.program.settings.tz)
    ledger = _ledger_for(db, stored)
    summary = _run(lambda: ledger.close(when))
    send = _Delivery()
    send(summary.outcomes)
    if summary.known:
        click.echo(f"already closed at {shown}: nothing to do")
        return
    entries = [e for o in summary.outcomes for e in o.entries]
    changes = sum(len(o.tier_changes) for o in summary.outcomes)
    click.echo(f"closed at {shown}: {len(entries):,} expiry entries ({sum(e.points for e in entries):+,} points), "
               f"{changes:,} tier changes, {len(summary.outcomes):,} members affected")
    if warn_days:
        notices = ledger.engine.expiry_notices(horizon - timedelta(days=1), horizon)
        send(notices)
        click.echo(f"{len(notices):,} members warned of points expiring by {horizon_day}")
    send.check()


@click.command()
@_db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
def export(db_url: str | None, fmt: str) -> None:
    """Print every ledger entry, in the order written, with its event, rule, rulebook version and lots."""
    rows = queries.ledger_rows(_open(_url(db_url)))

    def write() -> None:  # the rows are read as they are written, so a damaged page can turn up on the way
        if fmt == "jsonl":
            for row in rows:
                click.echo(json.dumps(row, ensure_ascii=False))
            return
        out = csv.DictWriter(sys.stdout, fieldnames=queries.EXPORT_COLUMNS, lineterminator="\n")
        out.writeheader()
        out.writerows(rows)

    _run(write)


@click.command()
@_db_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def report(db_url: str | None, fmt: str) -> None:
    """Print the store's figures, summed from the ledger; as JSON, in the shape of `simulate --format json`."""
    db = _open(_url(db_url))
    program = _run(lambda: queries.rulebook_in_force(db, plugin_registry())).program
    figures = _run(lambda: queries.report(db, program))
    if fmt == "json":
        click.echo(json.dumps(report_json(figures), ensure_ascii=False, indent=1))
    else:
        click.echo(_report_table(program, figures))


COMMANDS = (apply, member, redeem, expire, export, report)


def _report_table(program: Program, report: Report) -> str:
    data = report_json(report)
    totals = data["totals"]
    currency = program.settings.currency
    lines = [f"{program.settings.program or 'Program'} — simulated up to {data['as_of']}", ""]
    for key in ("events", "members", "earned", "redeemed", "expired", "reversed", "balance"):
        lines.append(f"  {key:<12}{totals[key]:>14,}")
    lines.append(f"  {'liability':<12}{totals['liability']:>14,} {currency}")
    for key in ("rejected", "duplicates", "conflicts", "invalid", "failed"):
        if totals[key]:
            lines.append(f"  {key:<12}{totals[key]:>14,}")
    if totals["tiers"]:
        lines += ["", "  tiers"] + [f"    {name:<10}{count:>12,}" for name, count in totals["tiers"].items()]
    top = sorted(data["members"], key=lambda m: -m["balance"])[:10]
    if top:
        lines += ["", f"  {'top members':<16}{'balance':>10}{'earned':>10}  tier"]
        lines += [f"  {m['id']:<16}{m['balance']:>10,}{m['earned']:>10,}  {m['tier'] or '-'}" for m in top]
    return "\n".join(lines)


def _url(given: str | None) -> str:
    """The store's URL from --db or the environment. SQLite's in-memory database is refused: whatever a
    command wrote there would be gone when it exits, while its output said it was stored."""
    url: str = _run(lambda: database_url(given))
    if _run(lambda: in_memory(url)):
        raise click.BadParameter(f"{url} is an in-memory database, which is gone when the command ends: "
                                 f"give a file path or a PostgreSQL URL", param_hint="--db")
    return url


def _open(url: str) -> Any:
    """An existing store: the operator's commands never create one."""
    return _run(lambda: open_database(url, create=False))


def _ledger(url: str, program: Program, text: str, path: str) -> Ledger:
    """The ledger `apply` writes to, starting the store if there is none yet."""
    ledger = Ledger(_run(lambda: open_database(url)), program, text, path)
    _run(ledger.load)
    return ledger


def _ledger_for(db: Any, stored: queries.StoredRulebook, member: str | None = None) -> Ledger:
    ledger = Ledger(db, stored.program, stored.text, stored.path, member)
    _run(ledger.load)
    return ledger


def _run(work: Any) -> Any:
    """`work()`, with the store's errors as one-line messages. The database's own errors are caught too:
    a SQLite file can be damaged past the pages that opening it reads."""
    try:
        return work()
    except StoreError as err:
        raise click.ClickException(str(err)) from err
    except sa.exc.DatabaseError as err:
        raise click.ClickException(f"the store could not be read ({err.orig}); nothing was changed. If it is a "
                                   f"SQLite file it may be damaged: restore it from a backup") from err


def _rejects_file(given: str | None, events: str, rulebook: str, url: str) -> Path:
    """Where this run lists its unreadable rows. The file is replaced on every run, so a path that is the
    events, the rulebook or the store itself is refused before anything is touched."""
    path = Path(given or f"{events}.rejects")
    taken = {"the EVENTS file": Path(events), "the RULEBOOK": Path(rulebook)}
    store = sqlite_file(url)
    if store is not None:
        taken["the store's database file"] = store
        taken.update({f"the store's {suffix} file": Path(f"{store}{suffix}") for suffix in ("-wal", "-shm", "-journal")})
    for what, other in taken.items():
        if _same_file(path, other):
            raise click.BadParameter(f"the rejects list would go to {path}, which is {what}, and it is rewritten on "
                                     f"every run: give --rejects another path", param_hint="--rejects")
    return path


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same path once resolved, or (when both exist) one file by two names."""
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _nothing_read(events: str, unreadable: int, rejects: Path) -> None:
    """A file that gave no event at all: when it had rows, its format is wrong, and that is an error."""
    if not unreadable:
        click.echo(f"warning: {events} has no rows; nothing was applied", err=True)
        return
    raise click.ClickException(
        f"no event could be read from {events}, so nothing was applied ({unreadable:,} unreadable rows, listed in "
        f"{rejects}). Give JSON Lines, or CSV with a comma-separated header naming at least id, member and at")


def _not_blank(value: str, name: str) -> None:
    if not value.strip():
        raise click.BadParameter("is blank: give an id", param_hint=name)


def _known_member(db: Any, member: str) -> None:
    """Refuse a member the store has never seen: the engine would reject the redemption, but only after
    storing the rejected event, and with it a new, empty member under the mistyped id."""
    members = _run(lambda: queries.member_ids(db))
    if member not in members:
        hint = did_you_mean(member, members)
        raise click.ClickException(f"the store has no member {member}; nothing was done" + (f" ({hint})" if hint else ""))


def _repeat_first_attempt(db: Any, event: Event) -> None:
    """A retry of a stored redemption: say what the first attempt did, with its exit status, so a shop that
    retries after a timeout reads the answer the first call gave, not a success."""
    first = _run(lambda: queries.first_attempt(db, event.id))
    if first is None or first.status != "applied":
        why = f"{first.status} ({first.reason})" if first is not None else "not applied"
        raise click.ClickException(f"{event.id} was already tried: {why}; nothing more was done")
    click.echo(f"{event.id} was already applied: {event.member} redeemed {event.reward} for {-first.points:,} points; "
               f"nothing more was done")


def _close_times(when: datetime, warn_days: int, tz: Any) -> tuple[str, datetime, str]:
    """The close's time as shown, the warning horizon and its day. Worked out before the close commits, so a
    time near the end of the calendar is refused, rather than closed and then a crash."""
    try:
        when.astimezone(timezone.utc)
        horizon = when + timedelta(days=warn_days)
        return when.astimezone(tz).isoformat(), horizon, f"{horizon.astimezone(tz):%Y-%m-%d}"
    except OverflowError as err:
        raise click.BadParameter(f"{when.isoformat()} with --warn-days {warn_days} runs past the last date "
                                 f"there is (9999-12-31): give an earlier time or fewer days", param_hint="--as-of") from err


class _Delivery:
    """Hands committed outcomes to the plugins' effect sinks (SMS, webhooks); a failing sink is reported, and
    counted, so that a job whose messages did not all go out can say so by its exit status."""

    def __init__(self) -> None:
        self.sinks = tuple(plugin_registry().sinks.values())
        self.failed = 0

    def __call__(self, outcomes: list[Outcome]) -> None:
        for failure in deliver(outcomes, self.sinks):
            self.failed += 1
            click.echo(f"warning: {failure}", err=True)

    def check(self) -> None:
        """Exit 1 if any delivery failed: the ledger holds the events, but their messages were not sent."""
        if self.failed:
            click.echo(f"Error: {self.failed:,} deliveries to effect sinks failed (see the warnings above); the ledger "
                       "holds those events, but their messages were not sent and will not be sent again", err=True)
            sys.exit(1)


def _count_lines(path: str) -> int | None:
    """The lines of an events file, for the progress bar; None for a pipe, which can be read only once."""
    if not Path(path).is_file():
        return None
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def _summary(summary: Summary, url: str, ledger: Ledger, unreadable: int, rejects: Path) -> str:
    status = summary.status
    lines = [f"{summary.arrivals + unreadable:,} rows read; ledger at arrival {ledger.seq:,} "
             f"(rulebook version {ledger.rulebook}) in {display_url(url)}"]
    for label, count in (("applied", status["applied"]), ("rejected", status["rejected"]),
                         ("invalid", status["invalid"]), ("failed", status["failed"]),
                         ("duplicates", status["duplicate"] + status["conflict"]), ("  conflicts", status["conflict"]),
                         ("already stored", summary.known)):
        lines.append(f"  {label:<16}{count:>10,}")
    lines.append(f"  {'unreadable rows':<16}{unreadable:>10,}" + (f"  (listed in {rejects})" if unreadable else ""))
    return "\n".join(lines)
