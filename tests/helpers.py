"""Compact ways to write events and read ledgers in engine tests.

Events are written as the JSON lines an operator would feed the engine and go
through the same validation as `read_events`, so a test sees exactly the values
(UTC-aware times, exact amounts, fingerprints) the engine gets from a file.
"""

from __future__ import annotations

import json
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from rules_engine.engine import Engine
from rules_engine.events import Event
from rules_engine.ledger import Entry, Outcome
from rules_engine.readers import RowError, _json_row, _to_event

UTC = ZoneInfo("UTC")


def events(*rows: str | dict[str, Any], tz: ZoneInfo = UTC) -> list[Event]:
    """Events from JSON lines or dicts; `type` defaults to purchase, as in a CSV file."""
    built = []
    for line, row in enumerate(rows, start=1):
        raw = _json_row(row) if isinstance(row, str) else _json_row(json.dumps(row))
        event = raw if isinstance(raw, str) else _to_event(raw, line, tz)
        if isinstance(event, (str, RowError)):
            raise ValueError(f"test event {line} is not valid: {event}")
        built.append(event)
    return built


def run(engine: Engine, *rows: str | dict[str, Any]) -> list[Outcome]:
    """Process events one by one in the order given; derived referral outcomes follow their cause."""
    return flatten(engine.process(event) for event in events(*rows))


def flatten(outcomes: Iterable[Outcome]) -> list[Outcome]:
    flat: list[Outcome] = []
    for outcome in outcomes:
        flat.append(outcome)
        flat.extend(flatten(outcome.derived))
    return flat


def ledger(outcomes: Iterable[Outcome]) -> list[tuple[str, str, int, str, str]]:
    """Every entry as (member, kind, points, event, rule), in the order written."""
    return [(e.member, e.kind, e.points, e.event, e.rule) for e in entries(outcomes)]


def entries(outcomes: Iterable[Outcome]) -> list[Entry]:
    return [entry for outcome in outcomes for entry in outcome.entries]


def lots(engine: Engine, member: str) -> list[tuple[str, int]]:
    """A member's open lots as (earning event, remaining), earliest expiry first."""
    return [(lot.event, lot.remaining) for lot in engine.members[member].lots]
