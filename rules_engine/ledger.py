"""The values the engine produces: ledger entries, lots, tier changes and outcomes.

Entries are append-only facts; a correction is a new entry, never an edit. Each
names the event and the rule it came from, and carries what is needed to explain
it in words. Earnings and expiries, nearly all the entries of a run, keep that as
figures and format it only when someone asks (`why`, `explain`), so the hot path
builds no text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from rules_engine.events import Amount, Event
from rules_engine.plugins.registry import Effect
from rules_engine.windows import Record

EntryKind = Literal["earn", "redeem", "expire", "reverse"]
Status = Literal["applied", "duplicate", "conflict", "rejected", "invalid", "failed"]
Reason = tuple[Any, ...]  # a `str.format` template and the figures it takes, in order

# The most points one member may earn in all. No club comes near it; a rate written with a few zeros too many
# does, and past 2**63 a store could not write the entry at all. An earning beyond it fails its event.
MAX_POINTS = 10**15


class Lot(Record):
    """Points earned by one event, spent and expired independently of other lots.

    A lot is also the entry its points make in the earnings windows that caps read (`value`
    is the points earned), so that an earning keeps one object rather than two.
    """

    __slots__ = ("event", "expires_at", "points", "remaining")

    def __init__(self, event: str, at: datetime, expires_at: datetime | None, points: int, remaining: int) -> None:
        self.at, self.value, self.counts = at, points, True  # as Record.__init__ would, without the call
        self.event = event
        self.expires_at = expires_at
        self.points = points
        self.remaining = remaining


class Entry:
    """One signed movement of a member's points. `lots` lists the lots a debit consumed.

    `why` may be given as a list of `(template, figures…)` reasons rather than as text,
    formatted (`template.format(*figures)`) on the first read: a simulation writes millions
    of entries and explains a handful, and formatting was a sixth of the cost of a simple
    purchase. Those reasons stay readable as given (`reasons`) for reports that count figures. An entry is never changed once made; it is a plain slotted class rather than
    a frozen dataclass only because a frozen one pays a call per field when it is built.
    """

    __slots__ = ("member", "at", "kind", "points", "event", "rule", "lots", "_why", "_text")

    def __init__(self, member: str, at: datetime, kind: EntryKind, points: int, event: str, rule: str,
                 why: tuple[str, ...] | list[Reason] = (), lots: tuple[tuple[str, int], ...] = ()) -> None:
        self.member = member
        self.at = at
        self.kind = kind
        self.points = points
        self.event = event
        self.rule = rule
        self.lots = lots
        self._why = why
        self._text: tuple[str, ...] | None = None

    @property
    def why(self) -> tuple[str, ...]:
        text = self._text
        if text is None:
            why = self._why
            text = self._text = tuple(t.format(*figures) for t, *figures in why) if isinstance(why, list) else why
        return text

    @property
    def reasons(self) -> list[Reason]:
        """The reasons as templates and figures, for an entry the engine made from them (none once stored)."""
        return self._why if isinstance(self._why, list) else []

    def explain(self) -> str:
        """The signed points and why, without saying the total twice when one reason already starts with it."""
        why = self.why
        total = f"{'+' if self.points >= 0 else '−'}{abs(self.points):,}"
        reason = "; ".join(why) if why else self.rule
        return reason if reason.startswith(f"{total}:") and len(why) == 1 else f"{total}: {reason}"

    def _fields(self) -> tuple[object, ...]:
        return self.member, self.at, self.kind, self.points, self.event, self.rule, self.why, self.lots

    def __eq__(self, other: object) -> bool:
        return self._fields() == other._fields() if isinstance(other, Entry) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return _shown("Entry", ("member", "at", "kind", "points", "event", "rule", "why", "lots"), self._fields())


class TierChange:
    """A member's move on the tier ladder; `upgrade` says which way, for sinks that word the two differently.

    `why` may be given as a `(template, figures…)` reason and is then worded on the first read, as an entry's
    is: a tier condition's figures are part of the reason, and a run that moves members often (a tier on
    90-day spend moves some member on most days) spent more on wording them than on moving the members.
    """

    __slots__ = ("member", "at", "before", "after", "upgrade", "_why", "_text")

    def __init__(self, member: str, at: datetime, before: str | None, after: str, why: str | Reason,
                 upgrade: bool) -> None:
        self.member = member
        self.at = at
        self.before = before
        self.after = after
        self.upgrade = upgrade
        self._text: str | None = None
        self._why: Reason = ()
        if isinstance(why, str):
            self._text = why
        else:
            self._why = why

    @property
    def why(self) -> str:
        text = self._text
        if text is None:
            template, *figures = self._why
            text = self._text = template.format(*figures)
        return text

    def _fields(self) -> tuple[object, ...]:
        return self.member, self.at, self.before, self.after, self.why, self.upgrade

    def __eq__(self, other: object) -> bool:
        return self._fields() == other._fields() if isinstance(other, TierChange) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return _shown("TierChange", ("member", "at", "before", "after", "why", "upgrade"), self._fields())


class Outcome:
    """Everything one event did. A refused event has a reason, and only the expiries its catch-up found due.

    `amount` is the money an applied purchase or refund moved: a refund asking for more than its purchase had
    left moves only what was left, which is what revenue must lose.

    Never changed once made, like an entry, and a plain slotted class for the same reason: one is built for
    every event, and a dataclass's generated `__init__` stays interpreted Python even in the compiled engine,
    where it was a twelfth of a purchase's time.
    """

    __slots__ = ("event", "status", "reason", "entries", "effects", "tier_changes", "notes", "derived", "amount")

    def __init__(self, event: Event, status: Status, reason: str | None = None, entries: tuple[Entry, ...] = (),
                 effects: tuple[Effect, ...] = (), tier_changes: tuple[TierChange, ...] = (),
                 notes: tuple[str, ...] = (), derived: tuple["Outcome", ...] = (), amount: Amount | None = None) -> None:
        self.event = event
        self.status = status
        self.reason = reason
        self.entries = entries
        self.effects = effects
        self.tier_changes = tier_changes
        self.notes = notes
        self.derived = derived
        self.amount = amount

    @property
    def applied(self) -> bool:
        return self.status == "applied"

    def _fields(self) -> tuple[object, ...]:
        return (self.event, self.status, self.reason, self.entries, self.effects, self.tier_changes, self.notes,
                self.derived, self.amount)

    def __eq__(self, other: object) -> bool:
        return self._fields() == other._fields() if isinstance(other, Outcome) else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal by value and not frozen, as the dataclass it was

    def __repr__(self) -> str:
        return _shown("Outcome", ("event", "status", "reason", "entries", "effects", "tier_changes", "notes",
                                  "derived", "amount"), self._fields())


def _shown(kind: str, names: tuple[str, ...], values: tuple[object, ...]) -> str:
    """The repr of a value class that is plain rather than a dataclass (Entry, TierChange, Outcome), as a
    dataclass words it."""
    return f"{kind}({', '.join(f'{name}={value!r}' for name, value in zip(names, values))})"
