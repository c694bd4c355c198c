"""The studio's work, apart from its screen: checking, simulating and explaining a rulebook.

The app calls these methods from worker threads. Everything returned is an
immutable value. The figures come from the engine's own measuring tools:
`economics.run` for one rulebook, and `compare.compare` when the text differs
from the saved version, which runs both over the same events, read once. The
two caches (events read from disk, and the compiled saved version, which only
changes on save) are guarded by a lock because a superseded worker thread may
still be finishing when the next one starts.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from rules_engine.compare import Comparison, compare
from rules_engine.dsl.compiler import compile_source
from rules_engine.dsl.diagnostics import Diagnostic, sort_key
from rules_engine.economics import Economics, run
from rules_engine.events import Event
from rules_engine.generate import Plan, shaped_by, write_events
from rules_engine.ledger import Outcome
from rules_engine.plugins.registry import Registry
from rules_engine.program import Program
from rules_engine.readers import read_events
from rules_engine.simulation import simulate

MEMBERS_COMPARED = 50  # members listed as having moved, biggest changes first
GENERATED_MEMBERS, GENERATED_DAYS = 300, 180  # the club simulated when no events are given


@dataclass(frozen=True)
class Checked:
    text: str
    program: Program | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> int:
        return sum(d.severity == "error" for d in self.diagnostics)


@dataclass(frozen=True)
class Simulation:
    text: str
    program: Program
    economics: Economics  # with per-member details
    events_label: str
    skipped_rows: int
    comparison: Comparison | None  # saved (a) against edited (b); None when the text is the saved one,
    #                                or the saved one does not compile


def sample_events(rulebook: Path | None) -> Path | None:
    """The events file that ships beside a sample rulebook (`NAME.rules` → `NAME.jsonl`), if any."""
    if rulebook is None:
        return None
    candidate = rulebook.with_suffix(".jsonl")
    return candidate if candidate.is_file() else None


def generated_plan(program: Program) -> Plan:
    """A modest synthetic club shaped by the rulebook: its rewards, point value and time zone.

    The seed is fixed, so the same rulebook always meets the same members.
    """
    return shaped_by(Plan(members=GENERATED_MEMBERS, days=GENERATED_DAYS), program)


class Workbench:
    def __init__(self, registry: Registry, path: Path | None, events: Path | None) -> None:
        self.registry = registry
        self.path = path
        self.events_path = events
        self._lock = threading.Lock()
        self._events: dict[str, tuple[str, tuple[Event, ...], int]] = {}
        self._saved: dict[str, Program | None] = {}

    @property
    def label(self) -> str:
        return str(self.path) if self.path else "untitled.rules"

    def check(self, text: str) -> Checked:
        program, diagnostics = compile_source(text, self.label, self.registry)
        return Checked(text, program, tuple(sorted(diagnostics, key=sort_key)))

    def events(self, program: Program) -> tuple[str, tuple[Event, ...], int]:
        """The events to simulate against, their label, and how many rows were skipped as unreadable.

        In order: the events file given, the sample beside the rulebook, or a synthetic
        club generated once per session (so edits are always compared on the same members).
        """
        path = self.events_path or sample_events(self.path)
        key = str(path) if path else "generated"
        with self._lock:
            if key not in self._events:
                if path is None:
                    plan = generated_plan(program)
                    label = f"generated: {plan.members} members, {plan.days} days"
                    self._events[key] = (label, *_read_generated(plan))
                else:
                    read = read_events(path, program.settings.tz)
                    self._events[key] = (path.name, read.events, len(read.errors))
            return self._events[key]

    def simulate(self, program: Program, text: str, saved_text: str | None) -> Simulation:
        label, events, skipped = self.events(program)
        saved = self._saved_program(saved_text) if saved_text is not None and saved_text != text else None
        if saved is None:
            return Simulation(text, program, run([program], events, details=True)[0], label, skipped, None)
        comparison = compare(saved, program, events, top=MEMBERS_COMPARED)
        return Simulation(text, program, comparison.b, label, skipped, comparison)

    def _saved_program(self, saved_text: str) -> Program | None:
        with self._lock:
            if saved_text in self._saved:
                return self._saved[saved_text]
        program = self.check(saved_text).program
        with self._lock:
            self._saved = {saved_text: program}  # only the latest saved version is ever compared with
        return program

    def timeline(self, program: Program, member: str) -> tuple[Outcome, ...]:
        """Everything the program did to one member, event by event."""
        _, events, _ = self.events(program)
        return simulate(program, events, follow=(member,)).followed.get(member, ())


def _read_generated(plan: Plan) -> tuple[tuple[Event, ...], int]:
    """Generated rows go through the same reader as a file, so they are validated like real data."""
    with tempfile.TemporaryDirectory(prefix="loyalty-studio-") as folder:
        path = Path(folder) / "generated.jsonl"
        with path.open("w", encoding="utf-8") as out:
            write_events(plan, out)
        read = read_events(path, plan.tz)
    return read.events, len(read.errors)
