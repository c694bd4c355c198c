"""The values the engine produces: ledger entries, lots, tier changes and outcomes.

Entries are append-only facts; a correction is a new entry, never an edit. Each
names the event and the rule it came from, and carries what is needed to explain
it in words, formatted only when someone asks (`explain`), so the hot path never
builds text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from rules_engine.events import Event
from rules_engine.plugins.registry import Effect

EntryKind = Literal["earn", "redeem", "expire", "reverse"]
Status = Literal["applied", "duplicate", "conflict", "rejected", "invalid", "failed"]


class Lot:
    """Points earned by one event, spent and expired independently of other lots."""

    __slots__ = ("event", "at", "expires_at", "points", "remaining")

    def __init__(self, event: str, at: datetime, expires_at: datetime | None, points: int, remaining: int) -> None:
        self.event = event
        self.at = at
        self.expires_at = expires_at
        self.points = points
        self.remaining = remaining


@dataclass(frozen=True, slots=True)
class Entry:
    """One signed movement of a member's points. `lots` lists the lots a debit consumed."""

    member: str
    at: datetime
    kind: EntryKind
    points: int
    event: str
    rule: str
    why: tuple[str, ...] = ()
    lots: tuple[tuple[str, int], ...] = ()

    def explain(self) -> str:
        """The signed points and why, without saying the total twice when one reason already starts with it."""
        total = f"{'+' if self.points >= 0 else '−'}{abs(self.points):,}"
        reason = "; ".join(self.why) if self.why else self.rule
        return reason if reason.startswith(f"{total}:") and len(self.why) == 1 else f"{total}: {reason}"


@dataclass(frozen=True, slots=True)
class TierChange:
    member: str
    at: datetime
    before: str | None
    after: str
    why: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything one event did. A refused event has a reason, and only the expiries its catch-up found due."""

    event: Event
    status: Status
    reason: str | None = None
    entries: tuple[Entry, ...] = ()
    effects: tuple[Effect, ...] = ()
    tier_changes: tuple[TierChange, ...] = ()
    notes: tuple[str, ...] = ()
    derived: tuple["Outcome", ...] = field(default=())

    @property
    def applied(self) -> bool:
        return self.status == "applied"
