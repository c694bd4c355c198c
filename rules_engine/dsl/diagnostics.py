"""Diagnostics: problems in a rulebook, as values.

Every stage (splitting, parsing, checking) collects these instead of raising, so a
designer sees every mistake of a rulebook in one run. Formatting follows the
compiler convention `file:line:col: error: message`, then the source line with a
caret under the problem, then a hint.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass
from typing import Iterable, Literal

from rules_engine.dsl.ast import Span

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    path: str
    line: int
    column: int
    end_column: int  # exclusive; equal to column + 1 for a point
    message: str
    source_line: str
    hint: str | None = None
    severity: Severity = "error"

    def format(self) -> str:
        shown, column = self.source_line, self.column
        if len(shown) > _SHOWN:  # a line of thousands of characters is shown around the problem only
            start = max(0, column - 1 - _SHOWN // 2)
            shown = ("…" if start else "") + shown[start:start + _SHOWN] + ("…" if start + _SHOWN < len(shown) else "")
            column -= start - (1 if start else 0)
        width = max(1, min(self.end_column - self.column, len(shown) - column + 1))
        gutter = f"{self.line:>4} | "
        # Tabs stay tabs under the source line, so the caret lines up however wide they show.
        indent = "".join(ch if ch == "\t" else " " for ch in shown[:column - 1])
        caret = " " * len(gutter) + indent + "^" * width
        text = [
            f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}",
            f"{gutter}{shown}",
            caret,
        ]
        if self.hint:
            text.append(f"     = hint: {self.hint}")
        return "\n".join(text)


_SHOWN = 160  # characters of a source line shown under a diagnostic, at most


def lines_of(source: str) -> list[str]:
    """The lines of a rulebook as an editor numbers them.

    Only `\n`, `\r\n` and `\r` end a line: `str.splitlines` would also break at a
    form feed or U+2028, and every line number after one would then be off.
    """
    return source.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def decode(data: bytes, path: str) -> str | Diagnostic:
    """A rulebook file's text, or where it stops being UTF-8, located like any other problem.

    Editors on Windows still save Persian text as UTF-16 or as the Windows-1256 code page, and a
    designer who did so needs to be told which file, where, and how to save it instead.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        start = data.rfind(b"\n", 0, error.start) + 1
        end = data.find(b"\n", error.start)
        utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
        shown = data.decode("utf-16", "replace") if utf16 else data[start:end if end >= 0 else len(data)].decode(
            "utf-8", "replace")
        line = lines_of(shown)[0]
        column = len(data[start:error.start].decode("utf-8", "replace")) + 1
        message = ("the file is UTF-16 text, not UTF-8" if utf16 else
                   f"the file is not UTF-8 text (byte 0x{data[error.start]:02X} cannot be read)")
        return Diagnostic(path, data.count(b"\n", 0, error.start) + 1, column, column + 1, message, line,
                          "save the rulebook as UTF-8 (most editors offer it under Save As › Encoding)")


class DiagnosticSink:
    """Collects diagnostics for one rulebook source, turning spans into located values."""

    def __init__(self, path: str, source: str) -> None:
        self.path = path
        self._lines = lines_of(source)
        self.items: list[Diagnostic] = []

    def line_text(self, line: int) -> str:
        return self._lines[line - 1] if 0 < line <= len(self._lines) else ""

    def add(self, span: Span, message: str, hint: str | None = None, severity: Severity = "error") -> None:
        end = span.end_column if span.end_line == span.line else len(self.line_text(span.line)) + 1
        self.items.append(
            Diagnostic(
                path=self.path,
                line=span.line,
                column=span.column,
                end_column=max(end, span.column + 1),
                message=message,
                source_line=self.line_text(span.line),
                hint=hint,
                severity=severity,
            )
        )

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)


# How alike (difflib's ratio) two names must be for one to be offered as what the other meant, and, stricter,
# for a condition's bare name to be taken as a misspelt built-in rather than a field of the purchase data:
# `spend_90`, `gld`, `chanel` and `AMOUNT` are typos, while `payment` (0.62 of `amount`), `source` (0.73 of
# `store`) and `total` are the fields they look like.
HINT = 0.6
TYPO = 0.8


def nearest(word: str, candidates: Iterable[str], cutoff: float = HINT) -> str | None:
    """The closest valid name to a misspelt one, if any is at least `cutoff` alike.

    Case is ignored in the comparison: keywords are case-insensitive, so a designer who writes `AMOUNT`
    or `GOLD` expects to be pointed at `amount` or `gold`, not to get a field that is never there.
    """
    folded: dict[str, str] = {}
    for candidate in sorted(set(candidates)):
        folded.setdefault(candidate.casefold(), candidate)
    matches = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=cutoff)
    return folded[matches[0]] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    match = nearest(word, candidates)
    return f"did you mean `{match}`?" if match else None


def sort_key(d: Diagnostic) -> tuple[int, int]:
    return (d.line, d.column)


def format_all(diagnostics: Iterable[Diagnostic]) -> str:
    return "\n\n".join(d.format() for d in sorted(diagnostics, key=sort_key))


def to_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([asdict(d) for d in sorted(diagnostics, key=sort_key)], ensure_ascii=False, indent=2)
