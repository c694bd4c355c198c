"""The ledger's tables, all of them, in one place.

Rows are written once and never changed, except `members` (running figures kept
for quick look-ups, always equal to what the entries sum to) and `ledger_head`
(the last arrival number and the rulebook in force). Everything an event wrote is
keyed by the arrival number `seq` of that event and its position `n` in the
outcome, so two stores fed the same arrivals hold identical rows, and a resumed
run cannot be told from an uninterrupted one.

Times are stored in UTC. Money and spend figures are exact decimal text, because
SQLite has no exact numeric type.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

_NOT_GENERATED = {"autoincrement": False}
_POINTS = sa.BigInteger  # points and balances can outgrow 32 bits in a big club


_NOT_FAILED = sa.text("status <> 'failed'")


def _when(nullable: bool = False) -> sa.Column:
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable)


class Rulebook(SQLModel, table=True):
    """One version of a rulebook's text, as it was when it was used."""

    __tablename__ = "rulebooks"
    id: int = Field(primary_key=True, sa_column_kwargs=_NOT_GENERATED)
    sha256: str = Field(max_length=64, unique=True)
    path: str
    text: str


class LedgerHead(SQLModel, table=True):
    """The single row every writer locks: the last arrival number handed out, and the rulebook in force."""

    __tablename__ = "ledger_head"
    id: int = Field(primary_key=True, sa_column_kwargs=_NOT_GENERATED)
    last_seq: int = 0
    rulebook_id: int | None = Field(default=None, foreign_key="rulebooks.id")


class StoredEvent(SQLModel, table=True):
    """An event the store received and ran, in arrival order (`seq`).

    `kind` is `event` for an arrival, `derived` for an event the engine derived from
    another (a referral; `parent` is the arrival that caused it) and `as_of` for a
    nightly close (`loyalty expire`). `payload` is the event as JSON, enough to run it
    again; `points` is the net change its own entries made, so a replay can check it
    comes out the same. An id appears once, unless attempts of it failed
    (`status` failed): those are kept, for the record, and leave the id free.
    """

    __tablename__ = "events"
    # An id is used once, except by failed attempts: one may be followed by another attempt, or by the event applied.
    __table_args__ = (sa.Index("uq_events_id", "id", unique=True, sqlite_where=_NOT_FAILED,
                               postgresql_where=_NOT_FAILED),)
    seq: int = Field(primary_key=True, sa_column_kwargs=_NOT_GENERATED)
    id: str
    kind: str
    parent: int | None = None
    type: str
    member: str = Field(index=True)
    at: datetime = Field(sa_column=_when())
    status: str
    reason: str | None = None
    points: int = Field(default=0, sa_type=_POINTS)
    fingerprint: str
    payload: str
    source: str | None = None
    line: int | None = None
    rulebook_id: int = Field(foreign_key="rulebooks.id")


class Repeat(SQLModel, table=True):
    """An arrival of an id the store already had: a duplicate (same content) or a conflict (different content).

    Keyed by where it came from, so running the same file again records nothing new.
    """

    __tablename__ = "repeats"
    __table_args__ = (sa.UniqueConstraint("source", "line", "event_id", "fingerprint", name="uq_repeats_arrival"),)
    seq: int = Field(primary_key=True, sa_column_kwargs=_NOT_GENERATED)
    event_id: str = Field(index=True)
    fingerprint: str
    status: str
    source: str | None = None
    line: int | None = None


class Entry(SQLModel, table=True):
    """One signed movement of points: `event` is the event it is about, `seq` the arrival that wrote it."""

    __tablename__ = "entries"
    __table_args__ = (
        sa.CheckConstraint("(kind = 'earn' AND points > 0) OR (kind <> 'earn' AND points < 0)", name="ck_entries_sign"),
        sa.CheckConstraint("kind IN ('earn', 'redeem', 'expire', 'reverse')", name="ck_entries_kind"),
    )
    seq: int = Field(primary_key=True, foreign_key="events.seq", sa_column_kwargs=_NOT_GENERATED)
    n: int = Field(primary_key=True, sa_column_kwargs=_NOT_GENERATED)
    member: str = Field(index=True)
    at: datetime = Field(sa_column=_when())
    kind: str
    points: int = Field(sa_type=_POINTS)
    event: str = Field(index=True)
    rule: str
    why: str  # JSON list of sentences
    rulebook_id: int = Field(foreign_key="rulebooks.id")


class Lot(SQLModel, table=True):
    """Points earned by one event; `opening` is what was left after repaying any debt."""

    __tablename__ = "lots"
    event: str = Field(primary_key=True)
    seq: int = Field(foreign_key="events.seq", index=True)
    member: str = Field(index=True)
    at: datetime = Field(sa_column=_when())
    expires_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    points: int = Field(sa_type=_POINTS)
    opening: int = Field(sa_type=_POINTS)


class LotUse(SQLModel, table=True):
    """How much of a lot a debit entry (redeem, expire, reverse) took."""

    __tablename__ = "lot_uses"
    __table_args__ = (sa.CheckConstraint("points > 0", name="ck_lot_uses_positive"),)
    seq: int = Field(primary_key=True, sa_column_kwargs=_NOT_GENERATED)
    n: int = Field(primary_key=True, sa_column_kwargs=_NOT_GENERATED)
    k: int = Field(primary_key=True, sa_column_kwargs=_NOT_GENERATED)
    lot: str = Field(index=True)
    points: int = Field(sa_type=_POINTS)


class TierChange(SQLModel, table=True):
    __tablename__ = "tier_history"
    seq: int = Field(primary_key=True, foreign_key="events.seq", sa_column_kwargs=_NOT_GENERATED)
    n: int = Field(primary_key=True, sa_column_kwargs=_NOT_GENERATED)
    member: str = Field(index=True)
    at: datetime = Field(sa_column=_when())
    before: str | None = None
    after: str
    why: str
    rulebook_id: int = Field(foreign_key="rulebooks.id")


class IssuedEffect(SQLModel, table=True):
    """What a redemption, claim or perk produced outside the points; `code` is indexed, and may repeat (a
    partner's promotion code is the same for every member)."""

    __tablename__ = "effects"
    seq: int = Field(primary_key=True, foreign_key="events.seq", sa_column_kwargs=_NOT_GENERATED)
    n: int = Field(primary_key=True, sa_column_kwargs=_NOT_GENERATED)
    member: str = Field(index=True)
    event: str
    kind: str
    plugin: str
    data: str  # JSON object
    code: str | None = Field(default=None, index=True)


class Redemption(SQLModel, table=True):
    """A reward redeemed or an offer claimed, with what it cost."""

    __tablename__ = "redemptions"
    seq: int = Field(primary_key=True, foreign_key="events.seq", sa_column_kwargs=_NOT_GENERATED)
    event: str = Field(unique=True)
    member: str = Field(index=True)
    reward: str
    points: int = Field(sa_type=_POINTS)


class MemberRow(SQLModel, table=True):
    """A member's current figures, kept in step with the entries by the writer that writes them."""

    __tablename__ = "members"
    id: str = Field(primary_key=True)
    balance: int = Field(sa_type=_POINTS)
    tier: str | None = None
    earned: int = Field(sa_type=_POINTS)
    redeemed: int = Field(sa_type=_POINTS)
    expired: int = Field(sa_type=_POINTS)
    reversed: int = Field(sa_type=_POINTS)
    spend_total: str
    last_seq: int


TABLES: tuple[sa.Table, ...] = tuple(
    model.__table__  # type: ignore[attr-defined]
    for model in (Rulebook, LedgerHead, StoredEvent, Repeat, Entry, Lot, LotUse, TierChange, IssuedEffect,
                  Redemption, MemberRow)
)
