"""Sustained concurrent load: appliers and redeemers in separate processes on one ledger, then the proof.

    python bench/load.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test --seconds 60 --appliers 3 --redeemers 3
    python bench/load.py --sqlite --seconds 60

A club history is generated for the retail sample rulebook and split by member,
one slice per applier. Each applier is an OS process streaming its slice through
`Ledger.apply` as `loyalty apply` does, in small batches; its slice also resends
some of its own recent events (as feeds do) and carries a share of the next
applier's events at about the same point of that stream, so two processes race
to store the same event. Each redeemer is an OS process redeeming as
`loyalty redeem` does (a one-member ledger per request, the shop's id as the
event id) for the club's busiest buyers while the appliers are still funding
them, and sends some requests twice (a shop's retry). All start together and
stop at the deadline.

Then the proof, read back from the store: every event id sent is stored exactly
once and every arrival is accounted for (as an event, a repeat or a recognised
retry); the clients were told exactly what the store holds; no entry is doubled;
every balance is the sum of its entries and of its lots' remainders; no
redemption took a balance below zero; and every table equals what one process
writes when it applies the same arrivals in the stored arrival order. The
figures and the checks are printed as markdown and written to
bench/results/load.md; the exit status is 1 if any check fails.

Each run gets fresh ledgers (the load's and the replay's): PostgreSQL schemas of
their own, dropped afterwards, or temporary SQLite files.
tests/store/test_store_load.py runs this harness for a few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256
from pathlib import Path
from statistics import quantiles
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine as Database

sys.path.insert(0, str(Path(__file__).resolve().parent))

from schemas import create_schema, drop_schema  # noqa: E402

from rules_engine.dsl.compiler import compile_rulebook
from rules_engine.events import Event
from rules_engine.generate import Plan, generate
from rules_engine.ledger import Outcome
from rules_engine.plugins.manager import default_registry
from rules_engine.program import Program
from rules_engine.readers import RowError, iter_events
from rules_engine.store import codec
from rules_engine.store.database import open_database, read
from rules_engine.store.models import TABLES
from rules_engine.store.writer import Arrival, Ledger

ROOT = Path(__file__).resolve().parents[1]
RULEBOOK = ROOT / "rulebooks" / "online-retailer.rules"
RESULTS = ROOT / "bench" / "results" / "load.md"
REWARDS = ("cashback_20k", "free_ship", "coupon_50k")  # no tier condition and no limit: only the balance decides
NEW = ("applied", "rejected", "invalid", "failed")  # statuses of an arrival stored as an event of its own
REPEATED = ("duplicate", "conflict")  # statuses of an arrival stored as a repeat
MEMBERS_PER_SECOND = 350  # history for about 2,500 arrivals/s, well above what two CPUs hold, so it lasts the run
GRACE = 150.0  # seconds past the deadline before a silent process counts as hung: SQLite waits 120 s for its lock


@dataclass(frozen=True)
class Settings:
    """One load run. The defaults are the documented 60-second measurement."""

    seconds: float = 60.0
    appliers: int = 3
    redeemers: int = 3
    members: int = 21_000  # with `days`, enough history that the appliers do not run out before the deadline
    days: int = 180  # under the rulebook's 12-month expiry, so no lot expires within the history
    seed: int = 7
    batch: int = 100  # events per transaction: a live feed commits small batches, letting redemptions in between
    resend: float = 0.02  # share of an applier's events it sends again a little later
    overlap: float = 0.02  # share of an applier's events the next applier sends too, at about the same moment
    retry: float = 0.1  # share of redemptions sent twice with the same id
    hot: int = 12  # the busiest buyers, whom the redeemers drain while they are being funded

    def __post_init__(self) -> None:
        if self.appliers < 1 or self.redeemers < 0 or self.members < self.appliers or self.seconds <= 0:
            raise ValueError("need at least one applier, no fewer members than appliers, and a positive duration")


@dataclass(frozen=True)
class Workload:
    """What the processes are given, kept by the parent so it can tell exactly what each one sent."""

    slices: list[Path]
    ids: list[list[str]]  # the event id of each line of each slice
    hot: list[str]
    redeem_at: str  # just after the history: redemptions happen now, while a backlog of purchases streams in
    events: int  # distinct events in the history


@dataclass(frozen=True)
class Check:
    """One claim of the proof, with the figures it rests on, so a pass can be read as well as a failure."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Result:
    """A run's figures (one report per process, as it printed it) and the checks of the proof."""

    backend: str
    settings: Settings
    workload: Workload
    reports: list[dict[str, Any]]
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def window(self) -> float:
        """From the first process's start to the last one's end, on the wall clock all processes share."""
        started = [r for r in self.reports if r["start"]]
        return max(r["end"] for r in started) - min(r["start"] for r in started) if started else 0.0

    def role(self, role: str) -> list[dict[str, Any]]:
        return [r for r in self.reports if r["role"] == role]


# --- the workload ------------------------------------------------------------------------------


def prepare(settings: Settings, folder: Path) -> Workload:
    """Write one slice file per applier: its members' events in time order, its resends and its share of overlaps."""
    rng = random.Random(settings.seed)
    history = list(generate(Plan(members=settings.members, days=settings.days, seed=settings.seed)))
    owner: dict[str, int] = {}
    own: list[list[dict[str, Any]]] = [[] for _ in range(settings.appliers)]
    for event in history:
        own[owner.setdefault(event["member"], len(owner) % settings.appliers)].append(event)
    streams = []
    for events in own:
        stream = []
        for n, event in enumerate(events):
            stream.append(event)
            if n > 10 and rng.random() < settings.resend:
                stream.append(events[rng.randrange(n - 10, n)])
        streams.append(stream)
    if settings.appliers > 1:
        streams = _overlap(streams, settings.overlap, rng)
    slices = []
    for k, stream in enumerate(streams):
        path = folder / f"slice-{k + 1}.jsonl"
        path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in stream), encoding="utf-8")
        slices.append(path)
    busiest = Counter(e["member"] for e in history if e["type"] == "purchase").most_common(settings.hot)
    redeem_at = datetime.fromisoformat(history[-1]["at"]) + timedelta(minutes=1)
    return Workload(slices, [[e["id"] for e in s] for s in streams], [m for m, _ in busiest], redeem_at.isoformat(),
                    len(history))


def _overlap(streams: list[list[dict[str, Any]]], share: float, rng: random.Random) -> list[list[dict[str, Any]]]:
    """Copy a share of each stream into the next one at the same relative position: both processes
    reach the copy at about the same moment, so either may be the one that stores it."""
    copies: list[dict[int, list[dict[str, Any]]]] = [defaultdict(list) for _ in streams]
    for k, stream in enumerate(streams):
        nxt = (k + 1) % len(streams)
        for n, event in enumerate(stream):
            if rng.random() < share:
                copies[nxt][n * len(streams[nxt]) // len(stream)].append(event)
    return [[e for n, event in enumerate(stream) for e in (event, *copies[k].get(n, ()))]
            for k, stream in enumerate(streams)]


# --- the processes -----------------------------------------------------------------------------


def run(url: str, replay_url: str, settings: Settings, folder: Path, backend: str = "") -> Result:
    """The load on the empty store at `url`, then the proof (the single-process replay goes to `replay_url`)."""
    workload = prepare(settings, folder)
    open_database(url).dispose()  # migrated once, by the operator's first command, before the writers start
    common = {"url": url, "rulebook": str(RULEBOOK), "seconds": settings.seconds}
    specs = [{**common, "role": "applier", "name": f"applier {k + 1}", "slice": str(path), "batch": settings.batch}
             for k, path in enumerate(workload.slices)]
    specs += [{**common, "role": "redeemer", "name": f"redeemer {k + 1}", "members": workload.hot,
               "at": workload.redeem_at, "prefix": f"load-redeem-{k + 1}", "seed": settings.seed + k,
               "retry": settings.retry} for k in range(settings.redeemers)]
    processes = [_launch(spec, folder) for spec in specs]
    try:
        for spec, process in zip(specs, processes):
            said = process.stdout.readline().strip()  # type: ignore[union-attr]
            if said != "ready":  # a process that failed to set up prints its report, with the traceback, instead
                raise RuntimeError(f"{spec['name']} did not start: {said or _stderr(folder, spec)}")
        for process in processes:
            process.stdin.write("go\n")  # type: ignore[union-attr]
            process.stdin.flush()  # type: ignore[union-attr]
        hang = time.monotonic() + settings.seconds + GRACE
        reports = [_collect(spec, process, folder, hang) for spec, process in zip(specs, processes)]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return Result(backend or sa.engine.make_url(url).get_backend_name(), settings, workload, reports,
                  verify(url, replay_url, workload, reports))


def _launch(spec: dict[str, Any], folder: Path) -> subprocess.Popen[str]:
    log = (folder / f"{spec['name'].replace(' ', '-')}.stderr").open("w", encoding="utf-8")
    with log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, __file__, "--worker", json.dumps(spec)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=log, text=True)


def _stderr(folder: Path, spec: dict[str, Any]) -> str:
    text = (folder / f"{spec['name'].replace(' ', '-')}.stderr").read_text(encoding="utf-8").strip()
    return text[-2000:] or "no output"


def _collect(spec: dict[str, Any], process: subprocess.Popen[str], folder: Path, hang: float) -> dict[str, Any]:
    """The process's report; a process still running long after the deadline is hung (a deadlock, a lost lock)."""
    try:
        out, _ = process.communicate(timeout=max(hang - time.monotonic(), 1.0))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return {"role": spec["role"], "name": spec["name"], "start": 0.0, "end": 0.0, "committed": 0,
                "error": f"still running {GRACE:.0f} s after the deadline; killed"}
    lines = out.strip().splitlines()
    if not lines:
        return {"role": spec["role"], "name": spec["name"], "start": 0.0, "end": 0.0, "committed": 0,
                "error": f"exited with status {process.returncode} and no report: {_stderr(folder, spec)}"}
    return json.loads(lines[-1])


def worker(spec: dict[str, Any]) -> int:
    """One process of the load: set up, say ready, wait for go, work until the deadline, print a JSON report.

    The report is filled in as the work goes, so a process that fails still says what it had committed.
    """
    report: dict[str, Any] = {"role": spec["role"], "name": spec["name"], "start": 0.0, "end": 0.0, "committed": 0}
    db: Database | None = None
    try:
        text = Path(spec["rulebook"]).read_text(encoding="utf-8")
        program = compile_rulebook(text, spec["rulebook"], default_registry())
        db = open_database(spec["url"])
        (_apply_slice if spec["role"] == "applier" else _redeem)(db, program, text, spec, report)
    except Exception:
        report["error"] = traceback.format_exc()
    finally:
        report["end"] = report["end"] or time.time()
        if db is not None:
            db.dispose()
    print(json.dumps(report), flush=True)
    return 1 if "error" in report else 0


def _start(report: dict[str, Any]) -> float:
    """Wait for the parent's go, so that every process's clock starts together; returns the deadline."""
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise RuntimeError("the parent went away before the start")
    report["start"] = time.time()
    return time.monotonic()


def _apply_slice(db: Database, program: Program, text: str, spec: dict[str, Any], report: dict[str, Any]) -> None:
    """Stream the slice file through the store, as `loyalty apply` does, until the slice or the time runs out."""
    ledger = Ledger(db, program, text, spec["rulebook"])
    ledger.load()
    source = str(Path(spec["slice"]).resolve())
    deadline = _start(report) + spec["seconds"]

    def arrivals() -> Iterator[Arrival]:
        for item in iter_events(spec["slice"], program.settings.tz):
            if time.monotonic() >= deadline:
                return
            if isinstance(item, RowError):
                raise ValueError(f"the harness wrote an unreadable row: line {item.line}: {item.message}")
            yield Arrival(item, source, item.line)

    report["commits"] = []  # (wall time, arrivals committed so far): whether the rate held, not just its mean

    def progress(done: int) -> None:
        report["committed"] += done
        report["commits"].append((time.time(), report["committed"]))

    summary = ledger.apply(arrivals(), spec["batch"], progress=progress)
    report["end"] = time.time()
    report.update(status=dict(summary.status), known=summary.known)


def _redeem(db: Database, program: Program, text: str, spec: dict[str, Any], report: dict[str, Any]) -> None:
    """Redeem for the busiest buyers as fast as the store answers, each request as `loyalty redeem` makes it."""
    rng = random.Random(spec["seed"])
    at = datetime.fromisoformat(spec["at"])
    told: dict[str, str] = {}  # request id -> what the client was told: applied, or the rejection reason
    status: Counter[str] = Counter()
    latencies: list[float] = []
    report.update(told=told, status=status, latencies=latencies, known=0, retries=0)
    deadline = _start(report) + spec["seconds"]
    while time.monotonic() < deadline:
        member, reward = rng.choice(spec["members"]), rng.choice(REWARDS)
        event = _redemption(f"{spec['prefix']}-{len(told) + 1:06d}", member, reward, at)
        for attempt in range(2 if rng.random() < spec["retry"] else 1):
            began = time.perf_counter()
            ledger = Ledger(db, program, text, spec["rulebook"], member)
            ledger.load()
            outcomes: list[Outcome] = []
            summary = ledger.apply([Arrival(event, "loyalty redeem")], committed=outcomes.extend)
            latencies.append(time.perf_counter() - began)
            report["committed"] += 1
            report["known"] += summary.known
            report["retries"] += attempt
            status.update(summary.status)
            if attempt == 0:  # what the shop hears: applied, or the refusal's reason code
                told[event.id] = _told(outcomes)
    report["end"] = time.time()


def _told(outcomes: list[Outcome]) -> str:
    if not outcomes:
        return "nothing (already in the store)"
    return outcomes[0].status if outcomes[0].applied else (outcomes[0].reason or outcomes[0].status).split(":")[0]


def _redemption(event_id: str, member: str, reward: str, at: datetime) -> Event:
    """The event `loyalty redeem --id` builds: a retry of the same request has the same fingerprint whenever it comes."""
    request = codec.dump({"id": event_id, "type": "redeem", "member": member, "reward": reward})
    return Event(id=event_id, type="redeem", member=member, at=at, reward=reward,
                 fingerprint=sha256(request.encode("utf-8")).hexdigest())


# --- the proof ---------------------------------------------------------------------------------


def verify(url: str, replay_url: str, workload: Workload, reports: list[dict[str, Any]]) -> list[Check]:
    """Every check, each read from the store itself rather than from what the processes believe."""
    db = open_database(url)
    try:
        with read(db) as connection:
            checks = [_no_errors(reports), _stored_once(connection, workload, reports),
                      _accounted(connection, reports), _clients_told(connection, reports),
                      _no_doubles(connection), _balances(connection), _no_overdraw(connection),
                      _lots(connection)]
    finally:
        db.dispose()
    checks.append(_replayed(url, replay_url))
    return checks


def _rows(connection: sa.Connection, query: str) -> list[Any]:
    return list(connection.execute(sa.text(query)))


def _some(items: Any, limit: int = 5) -> str:
    items = sorted(items, key=str)
    return ", ".join(map(str, items[:limit])) + (f" … ({len(items):,} in all)" if len(items) > limit else "")


def _no_errors(reports: list[dict[str, Any]]) -> Check:
    failed = [f"{r['name']}: {r['error'].strip().splitlines()[-1]}" for r in reports if "error" in r]
    return Check("every process ran to the deadline without an error", not failed,
                 "; ".join(failed) or f"{len(reports)} processes")


def _sent(workload: Workload, reports: list[dict[str, Any]]) -> set[str]:
    """The ids the processes committed: an applier's first `committed` lines, and every redemption request."""
    appliers = [r for r in reports if r["role"] == "applier"]
    ids = {i for k, r in enumerate(appliers) for i in workload.ids[k][:r["committed"]]}
    return ids | {i for r in reports if r["role"] == "redeemer" for i in r["told"]}


def _stored_once(connection: sa.Connection, workload: Workload, reports: list[dict[str, Any]]) -> Check:
    sent = _sent(workload, reports)
    stored = [row.id for row in _rows(connection, "SELECT id FROM events WHERE kind = 'event'")]
    lost, unexpected, distinct = sent - set(stored), set(stored) - sent, len(set(stored))
    detail = f"{len(sent):,} distinct ids sent, {len(stored):,} stored ({distinct:,} distinct)"
    if lost:
        detail += f"; lost: {_some(lost)}"
    if unexpected:
        detail += f"; stored but never sent: {_some(unexpected)}"
    return Check("every event id sent is stored exactly once", not lost and not unexpected
                 and distinct == len(stored) == len(sent), detail)


def _accounted(connection: sa.Connection, reports: list[dict[str, Any]]) -> Check:
    """What the processes were told of each arrival (new, repeat, already known) matches the rows stored."""
    status: Counter[str] = sum((Counter(r.get("status", {})) for r in reports), Counter())
    new, repeated = sum(status[s] for s in NEW), sum(status[s] for s in REPEATED)
    known, retries = sum(r.get("known", 0) for r in reports), sum(r.get("retries", 0) for r in reports)
    arrivals = sum(r["committed"] for r in reports)
    events = connection.execute(sa.text("SELECT count(*) FROM events WHERE kind = 'event'")).scalar_one()
    repeats = connection.execute(sa.text("SELECT count(*) FROM repeats")).scalar_one()
    ok = (new == events and repeated == repeats and known == retries and status["conflict"] == 0
          and arrivals == new + repeated + known)
    return Check("every arrival is stored once: as an event, as a repeat, or recognised as a retry", ok,
                 f"{arrivals:,} arrivals: {new:,} new (stored events {events:,}), {repeated:,} repeats (stored "
                 f"{repeats:,}, {status['conflict']} conflicts), {known:,} recognised retries of {retries:,} sent")


def _clients_told(connection: sa.Connection, reports: list[dict[str, Any]]) -> Check:
    told = {i: outcome for r in reports if r["role"] == "redeemer" for i, outcome in r["told"].items()}
    stored = {row.id: row.status for row in _rows(connection, "SELECT id, status FROM events WHERE type = 'redeem' "
                                                              "AND id LIKE 'load-redeem-%'")}
    redeemed = {row.event for row in _rows(connection, "SELECT event FROM redemptions WHERE event LIKE 'load-redeem-%'")}
    accepted = {i for i, outcome in told.items() if outcome == "applied"}
    wrong = {i for i in told if stored.get(i) != ("applied" if i in accepted else "rejected")}
    ok = not wrong and redeemed == accepted
    return Check("each redemption is stored as the client was told: accepted ones once, refused ones with no effect",
                 ok, f"{len(accepted):,} accepted, {len(told) - len(accepted):,} refused, {len(redeemed):,} "
                     f"redemption rows" + (f"; differ: {_some(wrong | (redeemed ^ accepted))}" if not ok else ""))


def _no_doubles(connection: sa.Connection) -> Check:
    """An event earns, redeems or reverses once, a lot expires once, and every entry belongs to the arrival it names."""
    doubled = _rows(connection, "SELECT kind, event, count(*) AS n FROM entries GROUP BY kind, event HAVING count(*) > 1")
    strays = _rows(connection, "SELECT e.seq, e.n FROM entries e JOIN events v ON v.seq = e.seq "
                               "WHERE e.kind <> 'expire' AND e.event <> v.id")
    redeemed = connection.execute(sa.text(
        "SELECT (SELECT count(*) FROM events WHERE type IN ('redeem', 'claim') AND status = 'applied'), "
        "(SELECT count(*) FROM redemptions), (SELECT count(*) FROM entries WHERE kind = 'redeem')")).one()
    ok = not doubled and not strays and redeemed[0] == redeemed[1] == redeemed[2]
    detail = (f"{redeemed[0]:,} applied redemptions, {redeemed[1]:,} redemption rows, {redeemed[2]:,} redeem entries"
              + (f"; doubled: {_some(f'{r.kind} {r.event} ×{r.n}' for r in doubled)}" if doubled else "")
              + (f"; entries under another event's arrival: {_some((r.seq, r.n) for r in strays)}" if strays else ""))
    return Check("no ledger entry is doubled", ok, detail)


def _balances(connection: sa.Connection) -> Check:
    rows = _rows(connection, "SELECT m.id, m.balance, m.earned - m.redeemed - m.expired - m.reversed AS figures, "
                             "coalesce(s.total, 0) AS total FROM members m LEFT JOIN (SELECT member, sum(points) "
                             "AS total FROM entries GROUP BY member) s ON s.member = m.id")
    off = [r.id for r in rows if not r.balance == r.figures == r.total]
    orphans = [r[0] for r in _rows(connection, "SELECT DISTINCT member FROM entries "
                                               "WHERE member NOT IN (SELECT id FROM members)")]
    return Check("every balance equals the sum of the member's entries", not off and not orphans,
                 f"{len(rows):,} members" + (f"; differ: {_some(off)}" if off else "")
                 + (f"; entries of no member: {_some(orphans)}" if orphans else ""))


def _no_overdraw(connection: sa.Connection) -> Check:
    """Walk every entry in the order written: after each redemption the running balance is still zero or more."""
    balance: Counter[str] = Counter()
    overdrawn, redemptions, lowest = [], 0, None
    for row in connection.execute(sa.text("SELECT seq, member, kind, points FROM entries ORDER BY seq, n")):
        balance[row.member] += row.points
        if row.kind == "redeem":
            redemptions += 1
            lowest = balance[row.member] if lowest is None else min(lowest, balance[row.member])
            if balance[row.member] < 0:
                overdrawn.append((row.member, row.seq, balance[row.member]))
    return Check("no redemption takes a balance below zero", not overdrawn,
                 f"{redemptions:,} redemptions, lowest balance left by one: {lowest}"
                 + (f"; overdrawn: {_some(overdrawn)}" if overdrawn else ""))


def _lots(connection: sa.Connection) -> Check:
    lots = _rows(connection, "SELECT l.member, l.event, l.opening - coalesce(u.used, 0) AS remaining FROM lots l "
                             "LEFT JOIN (SELECT lot, sum(points) AS used FROM lot_uses GROUP BY lot) u "
                             "ON u.lot = l.event")
    remaining: Counter[str] = Counter()
    for lot in lots:
        remaining[lot.member] += lot.remaining
    negative = [lot.event for lot in lots if lot.remaining < 0]
    balances = {r.id: r.balance for r in _rows(connection, "SELECT id, balance FROM members")}
    off = [m for m, balance in balances.items() if remaining[m] != max(balance, 0)]
    return Check("every member's lot remainders add up to the balance", not negative and not off,
                 f"{len(lots):,} lots" + (f"; overdrawn lots: {_some(negative)}" if negative else "")
                 + (f"; members whose lots differ: {_some(off)}" if off else ""))


def _replayed(url: str, replay_url: str) -> Check:
    """Apply the stored arrivals again, in stored arrival order, in one process to an empty store: same tables.

    The repeats are sent again too (as the event they repeat, with the fingerprint they came with),
    so every arrival number comes out the same and the stores can be compared row for row.
    """
    text = RULEBOOK.read_text(encoding="utf-8")
    program = compile_rulebook(text, str(RULEBOOK), default_registry())
    source, target = open_database(url), open_database(replay_url)
    try:
        with read(source) as connection:
            events = _rows(connection, "SELECT seq, id, payload, fingerprint, source, line FROM events "
                                       "WHERE kind = 'event'")
            repeats = _rows(connection, "SELECT seq, event_id, fingerprint, source, line FROM repeats")
        payload = {e.id: e.payload for e in events}
        arrivals = sorted([(e.seq, Arrival(codec.load_event(e.payload, e.fingerprint), e.source, e.line))
                           for e in events]
                          + [(r.seq, Arrival(codec.load_event(payload[r.event_id], r.fingerprint), r.source, r.line))
                             for r in repeats], key=lambda pair: pair[0])
        ledger = Ledger(target, program, text, str(RULEBOOK))
        ledger.load()
        ledger.apply(arrival for _, arrival in arrivals)
        differences = [d for table in TABLES if (d := _difference(source, target, table))]
    finally:
        source.dispose()
        target.dispose()
    return Check("the ledger equals one process's replay of its arrivals in stored order", not differences,
                 "; ".join(differences) or f"{len(arrivals):,} arrivals replayed; all {len(TABLES)} tables equal")


def _difference(source: Database, target: Database, table: sa.Table) -> str | None:
    """The first row where the two stores' `table` differs, or None. Coupon codes are random, so they are left out."""
    columns = [c for c in table.columns if c.name != "code"]
    query = sa.select(*columns).order_by(*table.primary_key.columns)
    with read(source) as a, read(target) as b:
        left, right = ([_comparable(table, row) for row in c.execute(query)] for c in (a, b))
    if left == right:
        return None
    at = next((k for k, (x, y) in enumerate(zip(left, right)) if x != y), min(len(left), len(right)))
    return (f"{table.name}: {len(left):,} rows vs {len(right):,} in the replay, first difference at row {at}: "
            f"{left[at] if at < len(left) else '-'} vs {right[at] if at < len(right) else '-'}")


def _comparable(table: sa.Table, row: sa.Row[Any]) -> tuple[Any, ...]:
    if table.name != "effects":
        return tuple(row)
    data = json.loads(row.data)
    data.pop("code", None)
    return tuple(json.dumps(data, sort_keys=True) if key == "data" else value for key, value in row._mapping.items())


# --- the table ---------------------------------------------------------------------------------


def markdown(result: Result) -> str:
    s, w = result.settings, result.workload
    window = result.window
    appliers, redeemers = result.role("applier"), result.role("redeemer")
    applied = sum(r["committed"] for r in appliers)
    requests = sum(r["committed"] for r in redeemers)
    ran_out = [r["name"] for k, r in enumerate(appliers) if r["committed"] == len(w.ids[k])]
    lines = [
        f"## {result.backend}: {s.appliers} applier{'s' * (s.appliers != 1)} and {s.redeemers} "
        f"redeemer{'s' * (s.redeemers != 1)} for {s.seconds:g} s",
        "",
        f"{w.events:,} events generated ({s.members:,} members, {s.days} days, seed {s.seed}), "
        f"{sum(map(len, w.ids)):,} arrivals in the slices with resends and overlaps; batches of {s.batch}; "
        f"{len(w.hot)} members redeemed for; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the end.",
        "",
        f"**Held: {(applied + requests) / window:,.0f} arrivals/s** over {window:.1f} s "
        f"({applied / window:,.0f}/s applied from the slices, {requests / window:,.0f}/s redemption requests).",
        "",
        "Applied from the slices, per sixth of the run: "
        + " · ".join(f"{rate:,.0f}" for rate in _sixths(result)) + " arrivals/s.",
        "",
        "| process | arrivals | new events | repeats | s | arrivals/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in appliers:
        status = Counter(r.get("status", {}))
        lines.append(f"| {r['name']} | {r['committed']:,} | {sum(status[x] for x in NEW):,} | "
                     f"{sum(status[x] for x in REPEATED):,} | {r['end'] - r['start']:.1f} | "
                     f"{r['committed'] / max(r['end'] - r['start'], 1e-9):,.0f} |")
    lines += ["", "| process | requests | accepted | refused | retries (recognised) | s | requests/s | p50 ms | p99 ms |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in redeemers:
        accepted = sum(1 for outcome in r["told"].values() if outcome == "applied")
        latency = quantiles(r["latencies"], n=100) if len(r["latencies"]) > 1 else [0.0] * 99
        lines.append(f"| {r['name']} | {r['committed']:,} | {accepted:,} | {len(r['told']) - accepted:,} | "
                     f"{r['retries']:,} ({r['known']:,}) | {r['end'] - r['start']:.1f} | "
                     f"{r['committed'] / max(r['end'] - r['start'], 1e-9):,.0f} | {latency[49] * 1000:,.0f} | "
                     f"{latency[98] * 1000:,.0f} |")
    refusals = Counter(o for r in redeemers for o in r["told"].values() if o != "applied")
    if refusals:
        lines += ["", "Refusals: " + ", ".join(f"{reason} {count:,}" for reason, count in refusals.most_common()) + "."]
    if ran_out:
        lines += ["", f"Note: {', '.join(ran_out)} ran out of history before the deadline; raise --members."]
    lines += ["", "| check | result | detail |", "|---|---|---|"]
    lines += [f"| {c.name} | {'pass' if c.ok else '**FAIL**'} | {c.detail.replace('|', '/')} |" for c in result.checks]
    return "\n".join(lines) + "\n"


def _sixths(result: Result) -> list[float]:
    """The appliers' combined rate over each sixth of the run, from their commit times."""
    appliers = [r for r in result.role("applier") if r.get("commits")]
    if not appliers:
        return []
    start, width = min(r["start"] for r in result.reports if r["start"]), result.window / 6

    def done_by(report: dict[str, Any], t: float) -> int:
        return max((n for at, n in report["commits"] if at <= t), default=0)

    marks = [sum(done_by(r, start + k * width) for r in appliers) for k in range(7)]
    return [(b - a) / width for a, b in zip(marks, marks[1:])]


# --- the command -------------------------------------------------------------------------------




def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", metavar="URL", help="run on this PostgreSQL server (in schemas of its own)")
    parser.add_argument("--sqlite", action="store_true", help="run on a SQLite file (the default without --pg)")
    defaults = Settings()
    for name in ("seconds", "appliers", "redeemers", "days", "seed", "batch"):
        parser.add_argument(f"--{name}", type=type(getattr(defaults, name)), default=getattr(defaults, name))
    parser.add_argument("--members", type=int, help=f"default: {MEMBERS_PER_SECOND} per second of the run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # how the harness starts its processes
    args = parser.parse_args()
    if args.worker:
        return worker(json.loads(args.worker))
    settings = Settings(members=args.members or round(MEMBERS_PER_SECOND * args.seconds),
                        **{k: getattr(args, k) for k in ("seconds", "appliers", "redeemers", "days", "seed", "batch")})
    results = []
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        if args.sqlite or not args.pg:
            results.append(run(f"sqlite:///{folder / 'load.db'}", f"sqlite:///{folder / 'replay.db'}", settings,
                               folder, "SQLite"))
        if args.pg:
            urls = [create_schema(args.pg, "load"), create_schema(args.pg, "load")]
            try:
                results.append(run(urls[0], urls[1], settings, folder, "PostgreSQL"))
            finally:
                for url in urls:
                    drop_schema(url)
    text = "# Sustained concurrent load (bench/load.py)\n\n" + "\n".join(markdown(r) for r in results)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
