"""The terminal studio: edit a rulebook, see its mistakes as you type, and see what it does.

Every change of the text is checked in a worker thread; a rulebook that compiles
is simulated a quiet moment after the last keystroke (or at once with F5), in
another worker, so typing never waits for either. Workers report back with
messages (`tui.messages`), and a result that no longer matches the text in the
editor is shown as such rather than dropped, so the results always describe the
last version that compiled.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane, TextArea
from textual.worker import get_current_worker

from rules_engine.plugins.registry import Registry
from rules_engine.program import Program
from tui.files import read_rulebook, recent_rulebooks, remember, save_rulebook
from tui.messages import (
    DiagnosticChosen, MemberChosen, RulebookChecked, SimulationFailed, SimulationFinished, TimelineBuilt,
)
from tui.screens.error import ErrorModal
from tui.screens.help import HelpScreen
from tui.screens.path import PathScreen
from tui.widgets.comparison import ComparisonView
from tui.widgets.diagnostics import DiagnosticsPanel
from tui.widgets.editor import RulebookEditor
from tui.widgets.members import MembersView
from tui.widgets.overview import Catalogue, RulePointsView, TierChart, TotalsView
from tui.workbench import Checked, Simulation, Workbench

QUIET_PAUSE = 0.8  # seconds without typing before a rulebook that compiles is simulated again


class StudioApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "Loyalty studio"
    BINDINGS = [
        Binding("f5,ctrl+r", "simulate", "Simulate", priority=True),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+o", "open", "Open", priority=True),
        Binding("f1", "help", "Help", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, path: Path | None, registry: Registry, events: Path | None = None,
                 quiet_pause: float = QUIET_PAUSE) -> None:
        super().__init__()
        self.workbench = Workbench(registry, path, events)
        self.quiet_pause = quiet_pause
        self.saved_text: str | None = None  # the text on disk as last opened or saved
        self.checked: Checked | None = None
        self.simulation: Simulation | None = None
        self._quiet: Timer | None = None
        self._simulate_when_checked = False
        self._confirm: str | None = None  # an action that discards unsaved text, asked for once already

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="workspace"):
            with Vertical(id="left"):
                yield RulebookEditor(id="editor")
                yield DiagnosticsPanel(id="diagnostics")
            with TabbedContent(id="results"):
                with TabPane("Overview", id="overview"):
                    with VerticalScroll():
                        yield TotalsView("Nothing simulated yet.", id="totals")
                        yield TierChart(id="tier-chart")
                        yield RulePointsView(id="rule-points")
                        yield Catalogue(id="catalogue")
                with TabPane("Members", id="members"):
                    yield MembersView(id="members-view")
                with TabPane("Compare", id="compare"):
                    with VerticalScroll():
                        yield ComparisonView(id="comparison")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#tier-chart").border_title = "Tiers"
        self.query_one("#rule-points").border_title = "Points by rule"
        self.query_one("#catalogue").border_title = "Rewards"
        self.query_one(ComparisonView).show(None)
        path = self.workbench.path
        if path is not None and path.exists():
            self.open_rulebook(path)
        elif path is not None:
            self.sub_title = f"{path.name} (new)"  # Ctrl+S creates it
        self.query_one(RulebookEditor).focus()

    @property
    def editor(self) -> RulebookEditor:
        return self.query_one(RulebookEditor)

    def set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    # --- files ---------------------------------------------------------------------------

    def open_rulebook(self, path: Path) -> None:
        try:
            text = read_rulebook(path)
        except (OSError, UnicodeDecodeError) as err:
            self.push_screen(ErrorModal("Cannot open the rulebook", f"{path}: {err}"))
            return
        self.workbench.path = path
        self.saved_text = text
        self.sub_title = path.name
        self.simulation = None
        remember(path)
        self._simulate_when_checked = True
        self.editor.load_text(text)

    def action_open(self) -> None:
        if self._discards_changes("open"):
            return
        self.push_screen(PathScreen("Open a rulebook", recent_rulebooks()), self._opened)

    def _opened(self, path: Path | None) -> None:
        if path is not None:
            self.open_rulebook(path)

    def action_save(self) -> None:
        if self.workbench.path is None:
            self.push_screen(PathScreen("Save the rulebook as", None, "rulebook.rules"), self._save_to)
        else:
            self._save_to(self.workbench.path)

    def _save_to(self, path: Path | None) -> None:
        if path is None:
            return
        text = self.editor.text
        try:
            backup = save_rulebook(path, text)
        except OSError as err:
            self.push_screen(ErrorModal("Cannot save the rulebook", f"{path}: {err}\nNothing was lost: the text "
                                        "is still in the editor; save it somewhere else with another path."))
            return
        self.workbench.path = path
        self.saved_text = text
        self.sub_title = path.name
        remember(path)
        kept = f"; the previous version is in {backup.name}" if backup else ""
        self.notify(f"Saved {path.name}{kept}.")
        if self.checked is not None and self.checked.program is not None:
            self.action_simulate()  # the saved version is now the one to compare with

    def _discards_changes(self, action: str) -> bool:
        """Whether to hold back an action that would lose unsaved text; a second request goes ahead."""
        if self.saved_text is None or self.editor.text == self.saved_text or self._confirm == action:
            self._confirm = None
            return False
        self._confirm = action
        self.notify("The rulebook has unsaved changes. Ctrl+S saves them; do it again to discard them.",
                    severity="warning")
        return True

    async def action_quit(self) -> None:
        if not self._discards_changes("quit"):
            self.exit()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    # --- checking ------------------------------------------------------------------------

    @on(TextArea.Changed, "#editor")
    def rulebook_edited(self) -> None:
        self._confirm = None
        if self._quiet is not None:
            self._quiet.stop()
        self.set_status("Checking…")
        self.check_rulebook(self.editor.text)

    @work(thread=True, exclusive=True, group="check")
    def check_rulebook(self, text: str) -> None:
        checked = self.workbench.check(text)
        if not get_current_worker().is_cancelled:
            self.post_message(RulebookChecked(checked))

    def on_rulebook_checked(self, message: RulebookChecked) -> None:
        checked = message.checked
        if checked.text != self.editor.text:
            return  # a newer check is on its way
        self.checked = checked
        self.editor.show_diagnostics(checked.diagnostics)
        self.query_one(DiagnosticsPanel).show(checked.diagnostics)
        if checked.program is None:
            self.set_status(f"{checked.errors} error(s): fix them to simulate again."
                            + (" The results are for the last version that compiled." if self.simulation else ""))
            return
        self.set_status("No problems." if not checked.diagnostics else f"{len(checked.diagnostics)} warning(s).")
        if self._simulate_when_checked:
            self.action_simulate()
        else:
            self._quiet = self.set_timer(self.quiet_pause, self.action_simulate)

    def on_diagnostic_chosen(self, message: DiagnosticChosen) -> None:
        self.editor.jump_to(message.diagnostic)

    # --- simulating ----------------------------------------------------------------------

    def action_simulate(self) -> None:
        checked = self.checked
        if checked is None or checked.text != self.editor.text:
            self._simulate_when_checked = True  # run as soon as the check in progress finishes
            return
        self._simulate_when_checked = False
        if checked.program is None:
            self.set_status(f"{checked.errors} error(s): fix them first; see Problems.")
            return
        self.set_status("Simulating…")
        self.simulate_rulebook(checked.program, checked.text, self.saved_text)

    @work(thread=True, exclusive=True, group="simulate")
    def simulate_rulebook(self, program: Program, text: str, saved_text: str | None) -> None:
        try:
            simulation = self.workbench.simulate(program, text, saved_text)
        except (OSError, UnicodeDecodeError) as err:
            self.post_message(SimulationFailed("Cannot read the events", str(err)))
        except Exception as err:  # noqa: BLE001 - a bug must reach the designer as a message, not end the app
            self.post_message(SimulationFailed("The simulation failed", f"{type(err).__name__}: {err}"))
        else:
            if not get_current_worker().is_cancelled:
                self.post_message(SimulationFinished(simulation))

    def on_simulation_finished(self, message: SimulationFinished) -> None:
        simulation = message.simulation
        self.simulation = simulation
        self.query_one(TotalsView).show(simulation)
        self.query_one(TierChart).show(simulation)
        self.query_one(Catalogue).show(simulation)
        self.query_one(RulePointsView).show(simulation)
        self.query_one(MembersView).show(simulation.economics.details)
        self.query_one(ComparisonView).show(simulation.comparison)
        fresh = "" if simulation.text == self.editor.text else " (an earlier version: the text changed since)"
        self.set_status(f"Simulated {simulation.economics.events:,} events ({simulation.events_label}){fresh}.")

    def on_simulation_failed(self, message: SimulationFailed) -> None:
        self.set_status(message.title)
        self.push_screen(ErrorModal(message.title, message.error))

    # --- members -------------------------------------------------------------------------

    def on_member_chosen(self, message: MemberChosen) -> None:
        if self.simulation is not None:
            self.build_timeline(self.simulation.program, message.member)

    @work(thread=True, exclusive=True, group="timeline")
    def build_timeline(self, program: Program, member: str) -> None:
        outcomes = self.workbench.timeline(program, member)
        if not get_current_worker().is_cancelled:
            self.post_message(TimelineBuilt(member, outcomes))

    def on_timeline_built(self, message: TimelineBuilt) -> None:
        if self.simulation is not None:
            self.query_one(MembersView).show_timeline(message.member, message.outcomes,
                                                      self.simulation.program.settings.tz)
