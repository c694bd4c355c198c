"""The rulebook editor: a TextArea that colours the rule language and underlines mistakes."""

from __future__ import annotations

from collections import defaultdict

from rich.style import Style
from rich.text import Text
from textual.widgets import TextArea

from rules_engine.dsl.diagnostics import Diagnostic
from tui.highlight import STYLES, spans

ERROR_STYLE = Style(color="#ff5f5f", underline=True, bold=True)
WARNING_STYLE = Style(color="#ffd75f", underline=True)


class RulebookEditor(TextArea):
    """Highlighting comes from `tui.highlight` through `get_line`, Textual's hook for styling a line.

    Diagnostics are drawn the same way: the stretch a diagnostic points at is
    underlined in red (yellow for a warning), and a diagnostic past the end of its
    line underlines the last character so an empty or short line still shows it.
    """

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(text, soft_wrap=False, show_line_numbers=True, tab_behavior="indent", **kwargs)
        self._marks: dict[int, list[Diagnostic]] = defaultdict(list)

    @property
    def marked_lines(self) -> list[int]:
        """The 1-based lines that carry a diagnostic."""
        return sorted(line for line, found in self._marks.items() if found)

    def show_diagnostics(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        self._marks = defaultdict(list)
        for diagnostic in diagnostics:
            self._marks[diagnostic.line].append(diagnostic)
        self.notify_style_update()  # drops the cached lines so the marks are drawn anew
        self.refresh()

    def jump_to(self, diagnostic: Diagnostic) -> None:
        self.move_cursor((diagnostic.line - 1, max(0, diagnostic.column - 1)), center=True)
        self.focus()

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        plain = line.plain
        for span in spans(plain):
            line.stylize(STYLES[span.kind], span.start, span.end)
        for diagnostic in self._marks.get(line_index + 1, ()):
            start = min(diagnostic.column - 1, max(0, len(plain) - 1))
            end = max(start + 1, min(diagnostic.end_column - 1, len(plain)))
            style = ERROR_STYLE if diagnostic.severity == "error" else WARNING_STYLE
            line.stylize(style, start, end)
        return line
