"""The order a simulation runs its events in: one member's history after another.

Run in time order, consecutive events nearly always belong to different members,
so every event reaches for a member's state (windows, lots, totals) that the
processor's caches lost long ago: at a million events that waiting was a third of
a simulation's time. Members do not see each other, so running each member's
history in one go, in time order, gives every member exactly what time order
gives, with their state still warm from the previous event.

Members whose histories do touch run together, as one history in time order:

- a signup naming a referrer: the member's first purchase pays the referrer;
- an event id used by two members: the later one is a duplicate or a conflict
  of the earlier, whoever it came from.

A refund naming another member's purchase is refused the same way whenever it
runs, so it joins nothing. Plugins are the exception the engine cannot see into:
a partner with limited stock answers the first claims in time, not the first
member's. A program that calls any plugin other than the built-in ones therefore
runs in time order, as one history.

Simulations also put back what time order decides (`Arrivals`): the order in
which members enrolled, which reports list them in.
"""

from __future__ import annotations

from itertools import islice
from typing import Iterable

from rules_engine.engine import Engine
from rules_engine.events import Event
from rules_engine.program import Program

BUILTIN = "builtin."  # the prefix of the built-in plugins' names (rules_engine/plugins/manager.py)


def independent(programs: Iterable[Program]) -> bool:
    """Whether members may run one after another: no program calls a plugin of its own."""
    return all(plugin.startswith(BUILTIN) for program in programs for plugin in program.plugins)


def histories(events: list[Event], apart: bool) -> list[list[Event]]:
    """`events` (in time order) grouped into histories that run one after another.

    Each history is in time order; histories come in the order of their first event. With `apart`
    false there is one history: time order itself.
    """
    if not apart:
        return [events]
    joined = _Joined()
    ids = [event.id for event in events]
    if len(set(ids)) < len(ids):  # some id comes more than once: from one member, or from two
        owner: dict[str, str] = {}
        for event in events:
            first = owner.setdefault(event.id, event.member)
            if first != event.member:
                joined.join(first, event.member)
    del ids
    for event in [event for event in events if event.type == "signup"]:
        if (referrer := event.attrs.get("referred_by")) is not None:
            joined.join(event.member, str(referrer))
    groups: dict[str, list[Event]] = {}
    if joined.parent:
        find = joined.find
        for event in events:
            groups.setdefault(find(event.member), []).append(event)
        return list(groups.values())
    for event in events:  # no two members touch: a history per member
        history = groups.get(event.member)
        if history is None:
            groups[event.member] = [event]
        else:
            history.append(event)
    return list(groups.values())


def positions(wanted: Iterable[Event], events: list[Event]) -> dict[int, int]:
    """Where some events stand in `events` (time order), by `id()`: to put back in time order what a run met
    history by history. An event object given twice stands where it first comes."""
    ids = {id(event) for event in wanted}
    found: dict[int, int] = {}
    if not ids:
        return found
    for position, event in enumerate(events):
        if id(event) in ids and id(event) not in found:
            found[id(event)] = position
    return found


class _Joined:
    """Members that run together, as a union-find forest over the few members that touch another."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, member: str) -> str:
        parent = self.parent
        root = member
        while (up := parent.get(root)) is not None:
            root = up
        while member != root:  # point the path straight at the root, so later finds are short
            parent[member], member = root, parent[member]
        return root

    def join(self, a: str, b: str) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[b] = a


class Arrivals:
    """The members an engine enrolled and the event that enrolled each, to list them in time order at the end.

    A member enrols at their first event, or at the purchase whose referral pays them first.
    Call `note` after each event that enrolled someone (the engine holds more members than
    `known`), then `restore` before anything lists the engine's members.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.known = len(engine.members)  # those enrolled before the run stay first, as they are
        self._by: list[tuple[Event, str]] = []

    def note(self, event: Event) -> list[str]:
        """The members `event` enrolled, in the order it enrolled them."""
        members = self.engine.members
        new = list(islice(reversed(members), len(members) - self.known))[::-1]
        self.known = len(members)
        self._by.extend((event, member) for member in new)
        return new

    def restore(self, events: list[Event]) -> None:
        members = self.engine.members
        before = list(islice(members, len(members) - len(self._by)))
        where = positions((event for event, _ in self._by), events)
        self._by.sort(key=lambda arrival: where[id(arrival[0])])  # stable: one event's arrivals keep their order
        self.engine.members = {member: members[member] for member in [*before, *(m for _, m in self._by)]}
