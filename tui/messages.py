"""Messages the studio's parts send each other: past tense, each carrying what happened.

Workers post `RulebookChecked`, `SimulationFinished`, `SimulationFailed` and
`TimelineBuilt` from their threads (posting is thread-safe); widgets post
`DiagnosticChosen` and `MemberChosen` when the designer picks something.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from rules_engine.dsl.diagnostics import Diagnostic
from rules_engine.ledger import Outcome
from tui.workbench import Checked, Simulation


@dataclass
class RulebookChecked(Message):
    checked: Checked


@dataclass
class SimulationFinished(Message):
    simulation: Simulation


@dataclass
class SimulationFailed(Message):
    title: str
    error: str


@dataclass
class TimelineBuilt(Message):
    member: str
    outcomes: tuple[Outcome, ...]


@dataclass
class DiagnosticChosen(Message):
    diagnostic: Diagnostic


@dataclass
class MemberChosen(Message):
    member: str
