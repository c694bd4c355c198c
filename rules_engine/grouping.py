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

Simulations also put back what time order decides: the order in which members
enrolled, which reports list them in (`Arrivals`), and the order of the events
refused (`in_time_order`). A program's plugins are not the only thing the
events may not show: an engine that already holds members (whose referrals are
in the engine) runs the events in time order too.
"""

from __future__ import annotations

from itertools import islice
from typing import Iterable, Sequence, TypeVar

from rules_engine.engine import Engine
from rules_engine.events import Event
from rules_engine.program import Program

T = TypeVar("T")
BUILTIN = "builtin."  # the prefix of the built-in plugins' names (rules_engine/plugins/manager.py)


def independent(programs: Iterable[Program], engines: Iterable[Engine] = ()) -> bool:
    """Whether members may run one after another: no program calls a plugin of its own, and no engine holds
    members from before the run (whose referrals the events would not show)."""
    return (all(plugin.startswith(BUILTIN) for program in programs for plugin in program.plugins)
            and not any(engine.members for engine in engines))


def histories(events: list[Event], apart: bool) -> list[list[Event]]:
    """`events` (in time order) grouped into histories that run one after another.

    Each history is in time order; histories come in the order of their first event. With `apart`
    false there is one history: time order itself.
    """
    if not apart:
        return [events]
    joined = _Joined()
    if len({event.id for event in events}) < len(events):  # an id comes more than once: from one member, or two
        owner: dict[str, str] = {}
        for event in events:
            first = owner.setdefault(event.id, event.member)
            if first != event.member:
                joined.join(first, event.member)
    for event in events:
        if event.type == "signup" and (referrer := event.attrs.get("referred_by")) is not None:
            joined.join(event.member, str(referrer))
    find = joined.find if joined.parent else None  # None: no two members touch, a history per member
    groups: dict[str, list[Event]] = {}
    for event in events:
        key = event.member if find is None else find(event.member)
        history = groups.get(key)
        if history is None:
            groups[key] = [event]
        else:
            history.append(event)
    return list(groups.values())


def in_time_order(met: Sequence[tuple[Event | None, T]], events: list[Event]) -> list[T]:
    """What a run met history by history, each with the event it came from, in the order those events stand in
    `events` (time order); what came from no event of theirs (the closing catch-up) goes last.

    Each pair is what one run of an event gave. An event object given twice stands in both places: its first
    run takes the first, its second the second (only a failed event runs again, so an object's runs that
    give anything are its first ones).
    """
    wanted = {id(event) for event, _ in met}
    places: dict[int, list[int]] = {}
    if wanted:
        for position, event in enumerate(events):
            if id(event) in wanted:
                places.setdefault(id(event), []).append(position)
    used: dict[int, int] = {}
    keyed = []
    for source, item in met:
        mine = places.get(id(source), ())
        k = used.get(id(source), 0)
        used[id(source)] = k + 1
        keyed.append((mine[min(k, len(mine) - 1)] if mine else len(events), item))
    keyed.sort(key=lambda pair: pair[0])  # stable: results of one event keep their order
    return [item for _, item in keyed]


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
    """The members an engine enrolled and the event that enrolled them, to list them in time order at the end.

    A member enrols at their first event, or at the purchase whose referral pays them first.
    Call `note` after each event that enrolled someone (the engine holds more members than
    `known`), then `restore` before anything lists the engine's members.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.known = len(engine.members)  # those enrolled before the run stay first, as they are
        self._by: list[tuple[Event, list[str]]] = []

    def note(self, event: Event) -> list[str]:
        """The members `event` enrolled, in the order it enrolled them."""
        members = self.engine.members
        new = list(islice(reversed(members), len(members) - self.known))[::-1]
        self.known = len(members)
        self._by.append((event, new))
        return new

    def restore(self, events: list[Event]) -> None:
        members = self.engine.members
        arrived = [member for new in in_time_order(self._by, events) for member in new]
        before = list(islice(members, len(members) - len(arrived)))
        self.engine.members = {member: members[member] for member in [*before, *arrived]}
