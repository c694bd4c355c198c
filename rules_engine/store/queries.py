"""Reading the store: the rulebook in force, a member's account, the report and the ledger export.

Every figure here is summed from stored rows (entries, events, repeats), never
from a replayed engine, so `loyalty report` is an independent check on the engine
that `loyalty simulate` runs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine as Database

from rules_engine.events import exact
from rules_engine.dsl.compiler import CompileError, compile_rulebook
from rules_engine.dsl.diagnostics import format_all
from rules_engine.plugins.registry import Registry
from rules_engine.program import Program
from rules_engine.simulation import MemberFigures, Report
from rules_engine.store import codec
from rules_engine.store.database import StoreError, read
from rules_engine.store.models import (
    Entry, IssuedEffect, LedgerHead, Lot, LotUse, MemberRow, Repeat, Rulebook, StoredEvent, TierChange,
)

_EVENTS, _REPEATS, _ENTRIES = StoredEvent.__table__, Repeat.__table__, Entry.__table__  # type: ignore[attr-defined]
_LOTS, _USES, _TIERS = Lot.__table__, LotUse.__table__, TierChange.__table__  # type: ignore[attr-defined]
_MEMBERS, _HEAD, _RULEBOOKS = MemberRow.__table__, LedgerHead.__table__, Rulebook.__table__  # type: ignore[attr-defined]
_EFFECTS = IssuedEffect.__table__  # type: ignore[attr-defined]

# Which report figure each kind of entry adds to, and with which sign (debits are stored negative).
_FIGURES = {"earn": ("earned", 1), "redeem": ("redeemed", -1), "expire": ("expired", -1), "reverse": ("reversed", -1)}


@dataclass(frozen=True, slots=True)
class StoredRulebook:
    id: int
    path: str
    text: str
    program: Program


def rulebook_in_force(db: Database, registry: Registry) -> StoredRulebook:
    """The rulebook the last writer applied, compiled: commands that take no RULEBOOK use it."""
    with read(db) as connection:
        row = connection.execute(
            sa.select(_RULEBOOKS.c.id, _RULEBOOKS.c.path, _RULEBOOKS.c.text)
            .join(_HEAD, _HEAD.c.rulebook_id == _RULEBOOKS.c.id)).one_or_none()
    if row is None:
        raise StoreError("the store is empty: apply a rulebook to it first (loyalty apply RULEBOOK EVENTS)")
    try:
        program = compile_rulebook(row.text, row.path, registry)
    except CompileError as err:
        raise StoreError(f"the stored rulebook {row.path} (version {row.id}) no longer compiles, probably because a "
                         f"plugin it uses is missing:\n{format_all(err.diagnostics)}") from err
    return StoredRulebook(row.id, row.path, row.text, program)


def report(db: Database, program: Program) -> Report:
    """The figures of `simulate`'s report, summed from the ledger."""
    with read(db) as connection:
        sums: dict[str, Counter[str]] = defaultdict(Counter)
        for member, kind, points in connection.execute(
                sa.select(_ENTRIES.c.member, _ENTRIES.c.kind, sa.func.sum(_ENTRIES.c.points))
                .group_by(_ENTRIES.c.member, _ENTRIES.c.kind)):
            figure, sign = _FIGURES[kind]
            sums[member][figure] += sign * int(points)
            sums[member]["balance"] += int(points)
        members = tuple(
            MemberFigures(row.id, s["balance"], row.tier, s["earned"], s["redeemed"], s["expired"], s["reversed"],
                          exact(Decimal(row.spend_total)))
            for row in connection.execute(sa.select(_MEMBERS.c.id, _MEMBERS.c.tier, _MEMBERS.c.spend_total)
                                          .order_by(_MEMBERS.c.id))
            for s in (sums[row.id],))
        status: Counter[str] = Counter()
        for table, kind in ((_EVENTS, _EVENTS.c.kind == "event"), (_REPEATS, sa.true())):
            for name, count in connection.execute(sa.select(table.c.status, sa.func.count()).where(kind)
                                                  .group_by(table.c.status)):
                status[name] += count
        last = connection.execute(sa.select(sa.func.max(_EVENTS.c.at)).where(_EVENTS.c.kind != "derived")).scalar()
    tiers = {tier.name: 0 for tier in program.tiers}
    for member in members:
        if member.tier is not None:
            tiers[member.tier] += 1
    as_of = codec.as_utc(last).astimezone(program.settings.tz) if last is not None else None
    return Report(as_of, sum(status.values()), dict(status), members, tiers, program.settings.point_value)


@dataclass(frozen=True, slots=True)
class OpenLot:
    event: str
    at: datetime
    expires_at: datetime | None
    points: int
    remaining: int


@dataclass(frozen=True, slots=True)
class HistoryLine:
    seq: int
    at: datetime
    event: str
    kind: str  # an entry kind, or "tier"
    points: int
    rule: str
    why: str


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A code a redemption or claim gave the member, for an operator answering 'where is my coupon?'."""

    at: datetime
    event: str
    kind: str
    code: str


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    balance: int
    tier: str | None
    earned: int
    redeemed: int
    expired: int
    reversed: int
    lots: tuple[OpenLot, ...]
    history: tuple[HistoryLine, ...]
    codes: tuple[IssuedCode, ...] = ()


def account(db: Database, member: str) -> Account | None:
    """One member's figures, open lots and every entry and tier change, each with its reason."""
    with read(db) as connection:
        row = connection.execute(sa.select(_MEMBERS).where(_MEMBERS.c.id == member)).one_or_none()
        if row is None:
            return None
        used = sa.select(_USES.c.lot, sa.func.sum(_USES.c.points).label("used")).group_by(_USES.c.lot).subquery()
        lots = tuple(
            OpenLot(lot.event, codec.as_utc(lot.at), codec.as_utc(lot.expires_at), lot.points, lot.opening - int(lot.used or 0))
            for lot in connection.execute(
                sa.select(_LOTS, used.c.used).outerjoin(used, used.c.lot == _LOTS.c.event)
                .where(_LOTS.c.member == member).order_by(_LOTS.c.seq)))
        history = [
            HistoryLine(e.seq, codec.as_utc(e.at), e.event, e.kind, e.points, e.rule, "; ".join(codec.load(e.why)))
            for e in connection.execute(sa.select(_ENTRIES).where(_ENTRIES.c.member == member))]
        history += [
            HistoryLine(t.seq, codec.as_utc(t.at), "", "tier", 0, f"{t.before} → {t.after}", t.why)
            for t in connection.execute(sa.select(_TIERS).where(_TIERS.c.member == member))]
        codes = tuple(
            IssuedCode(codec.as_utc(c.at), c.event, c.kind, c.code)
            for c in connection.execute(
                sa.select(_EFFECTS.c.event, _EFFECTS.c.kind, _EFFECTS.c.code, _EVENTS.c.at)
                .join(_EVENTS, _EVENTS.c.seq == _EFFECTS.c.seq)
                .where(_EFFECTS.c.member == member, _EFFECTS.c.code.is_not(None)).order_by(_EFFECTS.c.seq)))
    history.sort(key=lambda line: line.seq)
    return Account(row.id, row.balance, row.tier, row.earned, row.redeemed, row.expired, row.reversed,
                   tuple(lot for lot in lots if lot.remaining > 0), tuple(history), codes)


EXPORT_COLUMNS = ("seq", "n", "member", "at", "kind", "points", "event", "rule", "rulebook", "lots", "why")


def ledger_rows(db: Database) -> Iterator[dict[str, Any]]:
    """Every entry in the order it was written, with the lots it consumed."""
    with read(db) as connection:
        uses: dict[tuple[int, int], list[str]] = defaultdict(list)
        for use in connection.execute(sa.select(_USES).order_by(_USES.c.seq, _USES.c.n, _USES.c.k)):
            uses[(use.seq, use.n)].append(f"{use.lot}:{use.points}")
        entries = connection.execute(
            sa.select(_ENTRIES).order_by(_ENTRIES.c.seq, _ENTRIES.c.n).execution_options(yield_per=5000))
        for e in entries:
            yield {"seq": e.seq, "n": e.n, "member": e.member, "at": codec.as_utc(e.at).isoformat(), "kind": e.kind,
                   "points": e.points, "event": e.event, "rule": e.rule, "rulebook": e.rulebook_id,
                   "lots": " ".join(uses.get((e.seq, e.n), ())), "why": "; ".join(codec.load(e.why))}


def member_ids(db: Database) -> list[str]:
    """Every member the store knows, so a command can refuse an unknown one before writing anything for it."""
    with read(db) as connection:
        return list(connection.execute(sa.select(_MEMBERS.c.id)).scalars())


@dataclass(frozen=True, slots=True)
class Attempt:
    status: str
    reason: str | None
    points: int


def first_attempt(db: Database, event_id: str) -> Attempt | None:
    """How the event that holds `event_id` came out when it arrived, to repeat to a retry of it.

    A failed attempt leaves its id free for the event to be sent again, so it is not the answer.
    """
    with read(db) as connection:
        row = connection.execute(
            sa.select(_EVENTS.c.status, _EVENTS.c.reason, _EVENTS.c.points)
            .where(_EVENTS.c.id == event_id, _EVENTS.c.status != "failed")).one_or_none()
    return None if row is None else Attempt(row.status, row.reason, row.points)
