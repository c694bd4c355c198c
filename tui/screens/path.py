"""Asking for a rulebook path: typed, or picked from the recent rulebooks (for Open)."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option


class PathScreen(ModalScreen[Path | None]):
    """Dismisses with the chosen path, or None when cancelled; `recent` is None when there is nothing to pick."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, recent: list[Path] | None, initial: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.recent = recent
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(id="path-box") as box:
            box.border_title = self.title_text
            yield Input(self.initial, placeholder="path/to/rulebook.rules", id="path-input")
            if self.recent is not None:
                yield Label("Recent rulebooks" if self.recent else "No recent rulebooks yet.")
                yield OptionList(*(Option(str(path), id=str(path)) for path in self.recent), id="path-recent")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(Path(event.value.strip()).expanduser())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(Path(event.option.id or ""))

    def action_cancel(self) -> None:
        self.dismiss(None)
