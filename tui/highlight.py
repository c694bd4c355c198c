"""Colouring rulebook text in the editor, without a tree-sitter grammar.

Textual's TextArea highlights through tree-sitter, and the rule language has no
tree-sitter grammar. A rulebook holds one statement per line and its tokens are
few and regular (comments, strings, numbers, dates, words, operators), so a
regular-expression scanner over a single line gives the same colours with far
less machinery. The editor applies these spans in `TextArea.get_line`, the place
Textual documents for styling a line, so nothing private of TextArea is touched.

Spans are character offsets into the line (not bytes), which keeps Persian titles
and Persian digits exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rich.style import Style

Kind = Literal["comment", "string", "number", "keyword", "constant", "label", "function", "operator"]

KEYWORDS = frozenset({
    "program", "currency", "calendar", "timezone", "point", "points", "value", "tier", "tiers", "downgrade",
    "after", "when", "earn", "per", "of", "items", "item", "where", "bonus", "on", "during", "cap", "expire",
    "reward", "costs", "gives", "limit", "member", "perk", "offer", "or", "and", "not", "in", "purchase",
    "signup", "referral", "event",
})
CONSTANTS = frozenset({"true", "false", "toman", "rial", "day", "days", "week", "weeks", "month", "months",
                       "year", "years"})

_DIGITS = r"0-9\u06F0-\u06F9\u0660-\u0669"  # ASCII, Persian and Arabic-Indic, as the grammar allows
_DIGIT = f"[{_DIGITS}]"
_TOKEN = re.compile(
    rf"""
    (?P<comment>\#.*)
  | (?P<string>"(?:[^"\\]|\\.)*"?)
  | (?P<number>{_DIGIT}{{4}}-{_DIGIT}{{1,2}}-{_DIGIT}{{1,2}}(?!\w)
      | {_DIGIT}(?:[{_DIGITS}_\u066C]*{_DIGIT})?(?:[.\u066B]{_DIGIT}+)?(?:[kmbx×](?!\w)|[%٪])?)
  | (?P<word>(?!{_DIGIT})\w+)
  | (?P<operator>==|!=|<=|>=|\.\.|[<>+\-*/×])
    """,
    re.VERBOSE,
)
_LABEL = re.compile(r"\s*(?!\d)(\w+)\s*:")

STYLES: dict[Kind, Style] = {
    "comment": Style(color="#7f8c8d", italic=True),
    "string": Style(color="#e6db74"),
    "number": Style(color="#ae81ff"),
    "keyword": Style(color="#f92672", bold=True),
    "constant": Style(color="#66d9ef"),
    "label": Style(color="#a6e22e", bold=True),
    "function": Style(color="#66d9ef", italic=True),
    "operator": Style(color="#fd971f"),
}


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int  # exclusive
    kind: Kind


def spans(line: str) -> list[Span]:
    """The coloured stretches of one line of a rulebook, left to right."""
    found: list[Span] = []
    label = _LABEL.match(line)
    if label and label.group(1).lower() not in KEYWORDS:
        found.append(Span(label.start(1), label.end(1), "label"))
    for match in _TOKEN.finditer(line, label.end() if label and found else 0):
        kind = match.lastgroup
        start, end = match.span()
        if kind == "word":
            word = match.group().lower()
            if word in KEYWORDS:
                found.append(Span(start, end, "keyword"))
            elif word in CONSTANTS:
                found.append(Span(start, end, "constant"))
            elif line[end:end + 1] == "(":
                found.append(Span(start, end, "function"))
        else:
            found.append(Span(start, end, kind))  # type: ignore[arg-type]
    return found
