"""The problems panel: every diagnostic of the rulebook, choosing one jumps to its line."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from rules_engine.dsl.diagnostics import Diagnostic
from tui.messages import DiagnosticChosen


class DiagnosticsPanel(OptionList):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.diagnostics: tuple[Diagnostic, ...] = ()

    def on_mount(self) -> None:
        self.show(())

    def show(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        self.diagnostics = diagnostics
        self.clear_options()
        errors = sum(d.severity == "error" for d in diagnostics)
        self.border_title = f"Problems: {errors} error(s), {len(diagnostics) - errors} warning(s)" \
            if diagnostics else "Problems: none"
        self.add_options(Option(_describe(d), id=str(index)) for index, d in enumerate(diagnostics))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(DiagnosticChosen(self.diagnostics[event.option_index]))


def _describe(diagnostic: Diagnostic) -> Text:
    colour = "red" if diagnostic.severity == "error" else "yellow"
    text = Text.assemble((f"{diagnostic.line}:{diagnostic.column} ", "bold"),
                         (diagnostic.severity, colour), f": {diagnostic.message}")
    if diagnostic.hint:
        text.append(f"  ({diagnostic.hint})", style="dim")
    return text
