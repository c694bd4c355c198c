"""Applying events to the store: a live engine kept in step with the ledger it writes.

The engine is pure and lives in memory, so its state is rebuilt from the store:
every stored arrival is run again, in arrival order, through a fresh engine and
its outcome is checked against what was stored (same status, same net points)
rather than written again. New arrivals are then processed and their outcomes
written.

Writers take one lock per batch: `BEGIN IMMEDIATE` on SQLite, `SELECT … FOR UPDATE`
on the `ledger_head` row on PostgreSQL. The lock is global, not per member, because
the engine's state is: a referral pays another member, event ids are unique across
the club, and the arrival order is the replay order. Under the lock a writer first
runs whatever other writers committed since it last looked, so its engine sees
every balance as stored before it checks a redemption. A batch holds whole events
only and commits as one transaction, so a crash loses whole events, which the next
run applies.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from hashlib import sha256
from itertools import islice
from typing import Any, Callable, Iterable, NamedTuple, NoReturn, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine as Database

from rules_engine.collector import collector_paused
from rules_engine.engine import Engine, Recorded
from rules_engine.events import Event
from rules_engine.ledger import Outcome
from rules_engine.program import Program
from rules_engine.store import codec
from rules_engine.store.database import StoreError, read
from rules_engine.store.models import (
    Entry, IssuedEffect, LedgerHead, Lot, LotUse, MemberRow, Redemption, Repeat, Rulebook, StoredEvent, TierChange,
)

# Events per transaction. Each commit writes every page the batch touched, and the indexes on member and event
# ids touch pages all over: a bigger batch writes a page once for more rows. A batch also holds the write lock
# for as long as it runs (about half a second at this size), which is how long a redemption may wait behind it.
BATCH = 5000

_EVENTS, _REPEATS, _ENTRIES = StoredEvent.__table__, Repeat.__table__, Entry.__table__  # type: ignore[attr-defined]
_LOTS, _USES, _TIERS = Lot.__table__, LotUse.__table__, TierChange.__table__  # type: ignore[attr-defined]
_EFFECTS, _REDEMPTIONS = IssuedEffect.__table__, Redemption.__table__  # type: ignore[attr-defined]
_MEMBERS, _HEAD, _RULEBOOKS = MemberRow.__table__, LedgerHead.__table__, Rulebook.__table__  # type: ignore[attr-defined]


# What a batch writes to each table, in the order its row tuples hold the values, and the order the tables
# are written in: entries, lots and the rest refer to their event, so events go first.
_COLUMNS: dict[sa.Table, tuple[str, ...]] = {
    _EVENTS: ("seq", "id", "kind", "parent", "type", "member", "at", "status", "reason", "points", "fingerprint",
              "payload", "source", "line", "rulebook_id"),
    _REPEATS: ("seq", "event_id", "fingerprint", "status", "source", "line"),
    _ENTRIES: ("seq", "n", "member", "at", "kind", "points", "event", "rule", "why", "rulebook_id"),
    _LOTS: ("event", "seq", "member", "at", "expires_at", "points", "opening"),
    _USES: ("seq", "n", "k", "lot", "points"),
    _TIERS: ("seq", "n", "member", "at", "before", "after", "why", "rulebook_id"),
    _EFFECTS: ("seq", "n", "member", "event", "kind", "plugin", "data", "code"),
    _REDEMPTIONS: ("seq", "event", "member", "reward", "points"),
}
_MEMBER_COLUMNS = ("id", "balance", "tier", "earned", "redeemed", "expired", "reversed", "spend_total", "last_seq")
_ADVANCE = _HEAD.update().where(_HEAD.c.id == 1).values(last_seq=sa.bindparam("seq"), rulebook_id=sa.bindparam("rulebook"))


class Arrival(NamedTuple):
    """An event as it arrived: from which file (`source`) and line, so a re-run is recognised as one.

    A named tuple rather than a frozen dataclass: one is made for every line applied, and a tuple is built in C.
    """

    event: Event
    source: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """An arrival that was not applied for a reason the operator should see."""

    arrival: Arrival
    status: str
    reason: str


@dataclass
class Summary:
    """What one run did. `known` counts arrivals the store had already recorded (a re-run)."""

    status: Counter[str] = field(default_factory=Counter)
    known: int = 0
    problems: list[Problem] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)  # what a nightly close did

    @property
    def arrivals(self) -> int:
        return sum(self.status.values()) + self.known


def _nothing(_: object) -> None:
    pass


class Ledger:
    """One program's engine, in step with one store.

    With `member`, only that member's history is run again (their own events, the
    referrals paid to them and the nightly closes): enough to decide a redemption
    exactly, at a cost that does not grow with the club. Such a ledger may only
    apply that member's redemptions and claims.
    """

    def __init__(self, db: Database, program: Program, rulebook_text: str, rulebook_path: str,
                 member: str | None = None) -> None:
        self.db = db
        self.program = program
        self.text = rulebook_text
        self.path = rulebook_path
        self.member = member
        self.sha256 = sha256(rulebook_text.encode("utf-8")).hexdigest()
        self.rulebook: int | None = None
        self._reset()

    def _reset(self) -> None:
        self.engine = Engine(self.program)
        self.seq = 0
        self.known: dict[str, tuple[str, str | None, int | None]] = {}  # id -> (fingerprint, source, line)
        self.repeats: set[tuple[str | None, int | None, str, str]] = set()

    # --- reading the store back ----------------------------------------------------------

    def load(self) -> None:
        """Run every stored arrival again, outside any lock, so a big store does not stall other writers."""
        with read(self.db) as connection:
            self._catch_up(connection, connection.execute(sa.select(_HEAD.c.last_seq)).scalar_one())

    def _catch_up(self, connection: Connection, upto: int) -> None:
        """Run the arrivals after `self.seq` up to `upto` (bounded: other writers may be committing meanwhile)."""
        window = sa.and_(_EVENTS.c.seq > self.seq, _EVENTS.c.seq <= upto)
        if self.member is not None:
            window = sa.and_(window, sa.or_(_EVENTS.c.member == self.member, _EVENTS.c.kind == "as_of"))
        # What failed once is not tried again here, since the rule or plugin may work now: the stored attempt did only
        # what came before the failure. Arrivals say so by their status; a referral an arrival derives, by this.
        failed_before: dict[str, str] = {}
        if self.member is None:  # a one-member replay runs a member's own referrals on their own, below
            failed_before = dict(connection.execute(
                sa.select(_EVENTS.c.id, _EVENTS.c.reason)
                .where(window, _EVENTS.c.kind == "derived", _EVENTS.c.status == "failed")).all())
        # What the plugins of stored redemptions and claims gave: the replay uses it rather than asking them again.
        issued = dict(connection.execute(
            sa.select(_EFFECTS.c.seq, _EFFECTS.c.data).join(_EVENTS, _EVENTS.c.seq == _EFFECTS.c.seq)
            .where(window, _EVENTS.c.type.in_(("redeem", "claim")))).all())
        events = connection.execute(
            sa.select(_EVENTS.c.seq, _EVENTS.c.id, _EVENTS.c.kind, _EVENTS.c.type, _EVENTS.c.at, _EVENTS.c.status,
                      _EVENTS.c.reason, _EVENTS.c.points, _EVENTS.c.fingerprint, _EVENTS.c.payload, _EVENTS.c.source,
                      _EVENTS.c.line)
            .where(window).order_by(_EVENTS.c.seq).execution_options(yield_per=5000))
        derived: deque[Outcome] = deque()  # what the last arrival derived, in the order its rows follow it
        for row in events:
            if derived and row.kind != "derived":
                self._unstored(derived[0])
            if row.status != "failed":  # a failed attempt leaves its id free: the event may arrive again, fixed
                self.known[row.id] = (row.fingerprint, row.source, row.line)
            if row.kind == "as_of":
                outcomes = self.engine.finish(codec.as_utc(row.at))
                if self.member is None:  # the stored total covers every member; a one-member replay cannot check it
                    self._check(row, "applied", sum(map(_net, outcomes)))
            elif row.kind == "derived" and self.member is None:
                outcome = derived.popleft() if derived else None
                self._check(row, outcome.status if outcome else "not derived", _net(outcome) if outcome else 0,
                            outcome.reason if outcome else None)
            else:
                event = codec.load_event(row.payload, row.fingerprint)
                if row.status == "failed":
                    outcome = self.engine.settle(event, row.reason)
                elif row.kind == "derived":  # a referral paid to this member, replayed without its cause
                    outcome = self.engine.process_derived(event)
                elif row.type in ("redeem", "claim"):
                    data = codec.load(issued[row.seq]) if row.seq in issued else None
                    outcome = self.engine.replay(event, failed_before, Recorded(row.status, row.reason, data))
                else:
                    outcome = self.engine.process(event, failed_before)
                self._check(row, outcome.status, _net(outcome), outcome.reason)
                if self.member is None:
                    derived.extend(_stored_derived(outcome))
        if derived:
            self._unstored(derived[0])
        if self.member is None:
            for row in connection.execute(sa.select(_REPEATS.c.source, _REPEATS.c.line, _REPEATS.c.event_id,
                                                    _REPEATS.c.fingerprint)
                                          .where(_REPEATS.c.seq > self.seq, _REPEATS.c.seq <= upto)):
                self.repeats.add((row.source, row.line, row.event_id, row.fingerprint))
        self.seq = upto

    def _check(self, row: Any, status: str, points: int, reason: str | None = None) -> None:
        if status == "failed" and row.status != "failed" and "plugin " in (reason or ""):
            self._reset()
            raise StoreError(
                f"the store cannot replay its history under {self.path}: event {row.id} (arrival {row.seq}), stored as "
                f"{row.status}, now fails: {reason}. Nothing was changed; the store can be used again once "
                "the plugin works (a plugin's functions must give the same answer for the same event every time).")
        if status != row.status or points != row.points:
            self._refuse(f"event {row.id} (arrival {row.seq}) was stored as {row.status} with {row.points:+,} points, "
                         f"and now comes out {status} with {points:+,}")

    def _unstored(self, outcome: Outcome) -> NoReturn:
        """The engine derived an event (a referral) that the store holds no row for."""
        self._refuse(f"event {outcome.event.id} now comes out {outcome.status} with {_net(outcome):+,} points, "
                     f"and the store has no row for it")

    def _refuse(self, difference: str) -> NoReturn:
        self._reset()
        raise StoreError(
            f"the store does not replay under {self.path}: {difference}. A rulebook change may only affect events "
            f"still to come (give new rules a `during` that starts later), or apply this rulebook to a new store.")

    # --- writing -----------------------------------------------------------------------------

    def apply(self, arrivals: Iterable[Arrival], batch: int = BATCH, progress: Callable[[int], None] = _nothing,
              committed: Callable[[list[Outcome]], None] = _nothing) -> Summary:
        """Apply arrivals in order, `batch` events per transaction.

        After each commit, `committed` gets the batch's new outcomes (for effect sinks: only
        what is stored is announced) and `progress` the number of arrivals it held.
        """
        summary = Summary()
        stream = iter(arrivals)
        while True:
            with collector_paused():  # a batch's arrivals, outcomes and rows are freed by their counts
                chunk = list(islice(stream, batch))
                if not chunk:
                    return summary
                outcomes = self._transaction(lambda writer: [writer.arrive(a) for a in chunk], summary)
                committed([o for o in outcomes if o is not None])
                progress(len(chunk))
                del chunk, outcomes  # freed before the collector is back on, so it never scans them

    def close(self, as_of: datetime) -> Summary:
        """The nightly job: expiries and tier changes due by `as_of`, for every member. Running it twice is a no-op.

        The summary's `outcomes` hold what it did, one per member affected.
        """
        summary = Summary()
        self._transaction(lambda writer: [writer.finish(as_of.astimezone(timezone.utc))], summary)
        return summary

    def _transaction(self, work: Callable[["_Batch"], list[Outcome | None]], summary: Summary) -> list[Outcome | None]:
        try:
            with self.db.begin() as connection:
                head = self._lock(connection)
                if head.last_seq > self.seq:
                    self._catch_up(connection, head.last_seq)
                writer = _Batch(self, connection, summary)
                outcomes = work(writer)
                writer.write()
                if (self.seq, self.rulebook) != (head.last_seq, head.rulebook_id):  # a batch of known arrivals writes nothing
                    connection.execute(_ADVANCE, {"seq": self.seq, "rulebook": self.rulebook})
        except sa.exc.DBAPIError as err:
            self._reset()  # the engine ran events that were not stored: rebuild it from the store next time
            raise StoreError(
                f"the store stopped taking writes ({err.orig}). Nothing of the batch in progress was stored; "
                f"the batches before it were. Fix the cause (free disk space, check the connection) and run "
                f"the same input again: what is stored is recognised and skipped.") from err
        except BaseException:
            self._reset()
            raise
        return outcomes

    def _lock(self, connection: Connection) -> Any:
        query = sa.select(_HEAD.c.last_seq, _HEAD.c.rulebook_id).where(_HEAD.c.id == 1)
        if connection.dialect.name != "sqlite":  # SQLite: BEGIN IMMEDIATE already holds the write lock
            query = query.with_for_update()
        head = connection.execute(query).one()
        if self.rulebook is None or head.rulebook_id != self.rulebook:
            self.rulebook = self._version(connection)
        return head

    def _version(self, connection: Connection) -> int:
        found = connection.execute(sa.select(_RULEBOOKS.c.id).where(_RULEBOOKS.c.sha256 == self.sha256)).scalar()
        if found is not None:
            return found
        number = (connection.execute(sa.select(sa.func.max(_RULEBOOKS.c.id))).scalar() or 0) + 1
        connection.execute(_RULEBOOKS.insert().values(id=number, sha256=self.sha256, path=self.path, text=self.text))
        return number


class _Batch:
    """The rows of one transaction, gathered while the engine runs and written at the end.

    A row is a tuple in its table's `_COLUMNS` order, the shape the drivers take: a
    dict per row cost a dict and then a tuple for every one of the thousands of rows.
    """

    def __init__(self, ledger: Ledger, connection: Connection, summary: Summary) -> None:
        self.ledger = ledger
        self.connection = connection
        self.summary = summary
        self.rows: dict[sa.Table, list[tuple[Any, ...]]] = {table: [] for table in _COLUMNS}
        self.touched: dict[str, int] = {}
        self.convert = _sqlite_time if connection.dialect.name == "sqlite" else codec.as_utc  # rows go to the driver as they are
        self.times: dict[tuple[datetime, int], Any] = {}
        self.last: tuple[datetime | None, Any] = (None, None)

    def time(self, at: datetime | None) -> Any:
        """`at` as the driver takes it, converted once per instant: an event's time recurs in its entries and lots.

        The key holds `fold` because two times of one zone compare equal without it
        when they are an hour apart around the end of summer time.
        """
        if at is self.last[0]:  # most times are the event's own, recurring in its entries, lot and tier change
            return self.last[1]
        if at is None:
            return None
        key = (at, at.fold)
        converted = self.times.get(key)
        if converted is None:
            converted = self.times[key] = self.convert(at)
        self.last = (at, converted)
        return converted

    def arrive(self, arrival: Arrival) -> Outcome | None:
        ledger, event = self.ledger, arrival.event
        if ledger.member is not None:
            self._own(event)
        known = ledger.known.get(event.id)
        if known is not None:
            return self._repeat(arrival, known)
        outcome = ledger.engine.process(event)
        self.summary.status[outcome.status] += 1
        if outcome.status in ("invalid", "failed"):
            self.summary.problems.append(Problem(arrival, outcome.status, outcome.reason or ""))
        self._record(outcome, "event", arrival, None)
        return outcome

    def _own(self, event: Event) -> None:
        """A one-member ledger knows only that member's ids, so it looks others up, and touches no one else."""
        ledger = self.ledger
        if event.member != ledger.member or event.type not in ("redeem", "claim"):
            raise StoreError(f"a ledger loaded for member {ledger.member} cannot apply {event.type} {event.id} "
                             f"of member {event.member}")
        stored = self.connection.execute(sa.select(_EVENTS.c.fingerprint, _EVENTS.c.source, _EVENTS.c.line)
                                         .where(_EVENTS.c.id == event.id, _EVENTS.c.status != "failed")).one_or_none()
        if stored is not None:
            ledger.known[event.id] = (stored.fingerprint, stored.source, stored.line)

    def finish(self, as_of: datetime) -> Outcome | None:
        ledger = self.ledger
        if ledger.member is not None:
            raise StoreError("the nightly close needs every member: use a ledger loaded without `member`")
        marker = f"as-of:{as_of.isoformat()}"
        if marker in ledger.known:
            self.summary.known += 1
            return None
        seq = self._next()
        ledger.known[marker] = ("", None, None)
        n = _Counter()
        points = 0
        for outcome in ledger.engine.finish(as_of):
            points += self._outcome(seq, outcome, n)
            self.summary.outcomes.append(outcome)
        self.rows[_EVENTS].append((seq, marker, "as_of", None, "event", "", self.time(as_of), "applied", None, points,
                                   "", codec.dump({"as_of": as_of}), None, None, ledger.rulebook))
        return None

    def _repeat(self, arrival: Arrival, known: tuple[str, str | None, int | None]) -> None:
        event = arrival.event
        fingerprint, source, line = known
        key = (arrival.source, arrival.line, event.id, event.fingerprint)
        if (arrival.source is not None and (source, line) == (arrival.source, arrival.line)
                and fingerprint == event.fingerprint) or key in self.ledger.repeats:
            self.summary.known += 1
            return None
        conflict = bool(fingerprint and event.fingerprint and fingerprint != event.fingerprint)
        status = "conflict" if conflict else "duplicate"
        self.summary.status[status] += 1
        if conflict:
            self.summary.problems.append(Problem(arrival, status, f"event id {event.id} was already applied with different content"))
        self.ledger.repeats.add(key)
        self.rows[_REPEATS].append((self._next(), event.id, event.fingerprint, status, arrival.source, arrival.line))
        return None

    def _record(self, outcome: Outcome, kind: str, arrival: Arrival, parent: int | None) -> None:
        ledger, event = self.ledger, outcome.event
        seq = self._next()
        if outcome.status != "failed":
            ledger.known[event.id] = (event.fingerprint, arrival.source, arrival.line)
        points = self._outcome(seq, outcome, _Counter())
        self.rows[_EVENTS].append((seq, event.id, kind, parent, event.type, event.member, self.time(event.at),
                                   outcome.status, outcome.reason, points, event.fingerprint, codec.dump_event(event),
                                   arrival.source, arrival.line, ledger.rulebook))
        for derived in _stored_derived(outcome):
            self._record(derived, "derived", Arrival(derived.event), seq)

    def _outcome(self, seq: int, outcome: Outcome, n: "_Counter") -> int:
        """Rows for what one outcome did; returns the net points of its entries."""
        members = self.ledger.engine.members
        version = self.ledger.rulebook
        time, dump, rows, touched = self.time, codec.dump, self.rows, self.touched
        entries, uses, lots = rows[_ENTRIES], rows[_USES], rows[_LOTS]
        event = outcome.event
        if event.member in members:
            touched[event.member] = seq
        net = 0
        for entry in outcome.entries:
            k = n.next()
            net += entry.points
            entries.append((seq, k, entry.member, time(entry.at), entry.kind, entry.points, entry.event, entry.rule,
                            codec.dump_texts(entry.why), version))
            for j, (lot, used) in enumerate(entry.lots):
                uses.append((seq, k, j, lot, used))
            if entry.member in members:
                touched[entry.member] = seq
            if entry.kind == "earn":
                for opened in reversed(members[entry.member].lots):  # the lot it opened, if any is left: nearly always last
                    if opened.event == entry.event:
                        lots.append((opened.event, seq, entry.member, time(opened.at), time(opened.expires_at),
                                     opened.points, opened.remaining))
                        break
        for change in outcome.tier_changes:
            rows[_TIERS].append((seq, n.next(), change.member, time(change.at), change.before, change.after, change.why,
                                 version))
            if change.member in members:
                touched[change.member] = seq
        for effect in outcome.effects:
            code = effect.data.get("code")
            rows[_EFFECTS].append((seq, n.next(), effect.member, effect.event_id, effect.kind, effect.plugin,
                                   dump(effect.data), str(code) if code is not None else None))
        if outcome.applied and event.type in ("redeem", "claim"):
            spent = -sum(e.points for e in outcome.entries if e.kind == "redeem")
            rows[_REDEMPTIONS].append((seq, event.id, event.member, event.reward or event.offer or "", spent))
        return net

    def _next(self) -> int:
        self.ledger.seq += 1
        return self.ledger.seq

    def write(self) -> None:
        """Send the gathered rows straight through the driver, one statement per table, then the members' figures:
        SQLAlchemy's per-row parameter handling cost more than the database's own work."""
        statements = _statements(self.connection.dialect)
        for table, rows in self.rows.items():
            if rows:
                statements.insert(self.connection, table, rows)
        if self.touched:
            program, members = self.ledger.program, self.ledger.engine.members
            figures = []
            for member_id, seq in self.touched.items():
                m = members[member_id]
                figures.append((m.id, m.balance, program.tier_name(m.tier), m.earned, m.redeemed, m.expired,
                                m.reversed, str(m.spend_total), seq))
            statements.upsert_members(self.connection, figures)


def _net(outcome: Outcome) -> int:
    """The net points of an outcome's own entries, as the store keeps them in `events.points`."""
    return sum(e.points for e in outcome.entries)


def _stored_derived(outcome: Outcome) -> list[Outcome]:
    """The derived outcomes the store keeps a row for, in the order of their rows: a repeated derived id has none."""
    return [derived for derived in outcome.derived if derived.status not in ("duplicate", "conflict")]


class _Counter:
    """Positions of the rows one event writes, so each row has a stable key (seq, n)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = -1

    def next(self) -> int:
        self.value += 1
        return self.value


def _sqlite_time(at: datetime | None) -> str | None:
    """A time in UTC as SQLAlchemy's SQLite DateTime type stores it, so that it reads it back."""
    return None if at is None else codec.as_utc(at).replace(tzinfo=None).isoformat(" ", "microseconds")


class _Statements(Protocol):
    """How a batch's rows reach one kind of database: one statement per table, each written once per dialect."""

    def insert(self, connection: Connection, table: sa.Table, rows: list[tuple[Any, ...]]) -> None: ...

    def upsert_members(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None: ...


_UPDATE_MEMBER = ", ".join(f"{c} = excluded.{c}" for c in _MEMBER_COLUMNS[1:])


class _SQLite:
    """`executemany` of one prepared INSERT per table: sqlite3 binds each tuple as it is, so what is left is
    SQLite's own work (a multi-row VALUES list measured within the noise of it: SQLite inserts row by row).
    """

    def __init__(self) -> None:
        self.inserts = {table: _values_insert(table.name, columns, "?") for table, columns in _COLUMNS.items()}
        self.members = f"{_values_insert(_MEMBERS.name, _MEMBER_COLUMNS, '?')} ON CONFLICT (id) DO UPDATE SET {_UPDATE_MEMBER}"

    def insert(self, connection: Connection, table: sa.Table, rows: list[tuple[Any, ...]]) -> None:
        connection.exec_driver_sql(self.inserts[table], rows)

    def upsert_members(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        connection.exec_driver_sql(self.members, rows)


class _PostgreSQL:
    """One INSERT … SELECT FROM unnest(arrays) per table: a batch's rows of a table in one statement.

    `executemany` costs the server a statement per row; this costs one per table and
    made the writes twice as fast. The arrays go in binary (`%b`): as text, every
    quote in a JSON payload is escaped and parsed again, which was slower than
    `executemany`. COPY measured no faster in `apply` (the server's index and foreign
    key work is the rest), and unlike COPY this is an INSERT that goes through
    SQLAlchemy like every other statement of the transaction.
    """

    def __init__(self, dialect: sa.Dialect) -> None:
        self.inserts = {table: _unnest_insert(table, columns, dialect) for table, columns in _COLUMNS.items()}
        self.members = (f"{_unnest_insert(_MEMBERS, _MEMBER_COLUMNS, dialect)} "
                        f"ON CONFLICT (id) DO UPDATE SET {_UPDATE_MEMBER}")

    def insert(self, connection: Connection, table: sa.Table, rows: list[tuple[Any, ...]]) -> None:
        connection.exec_driver_sql(self.inserts[table], tuple(list(column) for column in zip(*rows)))

    def upsert_members(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        connection.exec_driver_sql(self.members, tuple(list(column) for column in zip(*rows)))


def _values_insert(table: str, columns: tuple[str, ...], mark: str) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"


def _unnest_insert(table: sa.Table, columns: tuple[str, ...], dialect: sa.Dialect) -> str:
    arrays = ", ".join(f"%b::{table.c[name].type.compile(dialect)}[]" for name in columns)
    return f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"


_BY_DIALECT: dict[str, _Statements] = {}


def _statements(dialect: sa.Dialect) -> _Statements:
    found = _BY_DIALECT.get(dialect.name)
    if found is None:
        found = _BY_DIALECT[dialect.name] = _SQLite() if dialect.name == "sqlite" else _PostgreSQL(dialect)
    return found
