"""The parser facade: rulebook text in, syntax tree and syntax diagnostics out.

A rulebook is first cut into statements (at a newline or `;`, except inside
brackets, where a newline continues the statement), then each statement is parsed
on its own. A mistake therefore costs only its own statement, and every broken
line of a rulebook gets its own diagnostic in a single run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from lark import Lark, Token, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.exceptions import UnexpectedEOF, VisitError

from rules_engine.dsl import ast
from rules_engine.dsl.builder import Offset, build
from rules_engine.dsl.diagnostics import Diagnostic, DiagnosticSink, did_you_mean

MAX_RULEBOOK_CHARS = 1_000_000
MAX_STATEMENT_CHARS = 4_000
MAX_BRACKET_DEPTH = 32

STATEMENT_KEYWORDS = ("program", "currency", "calendar", "timezone", "point", "tier", "tiers",
                      "earn", "bonus", "cap", "points", "reward", "perk", "offer")

_PARSER = Lark(
    resources.files("rules_engine.dsl").joinpath("rulebook.lark").read_text(encoding="utf-8"),
    start="statement",
    parser="lalr",
    lexer="contextual",
    propagate_positions=True,
    maybe_placeholders=True,
)

# Terminal names as a designer would say them.
_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "STRING": 'a quoted text like "Gold"',
    "DATE": "a date like 1405-01-01", "UNIT": "a currency (toman or rial)",
    "DURATION_UNIT": "days, weeks, months or years", "COMP_OP": "a comparison (==, !=, <, <=, >, >=)",
    "PERCENT_SIGN": "%", "LPAR": "`(`", "RPAR": "`)`", "LSQB": "`[`", "RSQB": "`]`", "COMMA": "`,`",
    "COLON": "`:`", "DOT": "`.`", "PLUS": "`+`", "MINUS": "`-`", "TIMES": "`*`", "DIVIDE": "`/`",
    "_RANGE": "`..`", "_X": "`x` (as in 2x)", "$END": "the end of the statement", "_POINT": "`point`",
    "_POINTS": "`points`",
}
_FIRST_WORD = re.compile(r"(?:\w+\s*:\s*)?(\w+)")
# A line that starts a statement (optionally labelled) ends any statement an unclosed bracket left open.
_NEXT_STATEMENT = re.compile(r"\s*(\w+\s*:\s*)?(" + "|".join(STATEMENT_KEYWORDS) + r")(\s|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Piece:
    """The text of one statement and where it starts."""

    text: str
    line: int
    column: int


def parse(source: str, path: str = "<rulebook>") -> tuple[ast.Rulebook, list[Diagnostic]]:
    sink = DiagnosticSink(path, source)
    statements: list[ast.Statement] = []
    if len(source) > MAX_RULEBOOK_CHARS:
        sink.add(ast.Span(1, 1, 1, 2), f"this rulebook is longer than {MAX_RULEBOOK_CHARS:,} characters",
                 "split the program, or remove generated rules")
        return ast.Rulebook(path, source, ()), sink.items
    for piece in split_statements(source.lstrip("\ufeff"), sink):
        statement = _parse_piece(piece, sink)
        if statement is not None:
            statements.append(statement)
    return ast.Rulebook(path, source, tuple(statements)), sink.items


def split_statements(source: str, sink: DiagnosticSink) -> list[Piece]:
    """Cut the source into statements, blanking comments but keeping every column in place."""
    pieces: list[Piece] = []
    lines = source.splitlines()
    buf: list[str] = []
    start: tuple[int, int] | None = None
    depth = 0
    deepest = 0

    def flush() -> None:
        nonlocal buf, start, depth, deepest
        text = "".join(buf).rstrip()
        if start is not None and text.strip():
            if deepest > MAX_BRACKET_DEPTH:
                sink.add(ast.Span(start[0], start[1], start[0], start[1] + 1),
                         f"brackets are nested more than {MAX_BRACKET_DEPTH} deep",
                         "split the condition into simpler rules")
            elif len(text) > MAX_STATEMENT_CHARS:
                sink.add(ast.Span(start[0], start[1], start[0], start[1] + 1),
                         f"this statement is longer than {MAX_STATEMENT_CHARS:,} characters",
                         "split it into several rules")
            else:
                pieces.append(Piece(text, *start))
        buf, start, depth, deepest = [], None, 0, 0

    for number, line in enumerate(lines, start=1):
        if depth > 0 and _NEXT_STATEMENT.match(line):
            flush()  # an unclosed bracket must not swallow the statements after it
        in_string = False
        col = 0
        while col < len(line):
            ch = line[col]
            if start is None and not ch.isspace() and ch not in ";#":
                start = (number, col + 1)
                buf = []
            if in_string:
                if ch == "\\":
                    buf.append(line[col:col + 2])
                    col += 2
                    continue
                in_string = ch != '"'
            elif ch == '"':
                in_string = True
            elif ch == "#":
                break
            elif ch in "([":
                depth += 1
                deepest = max(deepest, depth)
            elif ch in ")]":
                depth -= 1
            elif ch == ";" and depth <= 0:
                flush()
                col += 1
                continue
            if start is not None:
                buf.append(ch)
            col += 1
        if depth <= 0:
            flush()
        elif start is not None:
            buf.append("\n")
    flush()
    return pieces


def _parse_piece(piece: Piece, sink: DiagnosticSink) -> ast.Statement | None:
    offset = Offset(piece.line, piece.column)
    try:
        tree = _PARSER.parse(piece.text)
    except UnexpectedInput as err:
        _report_syntax_error(err, piece, offset, sink)
        return None
    try:
        return build(tree, offset, sink)
    except VisitError as err:  # a literal the builder cannot represent
        sink.add(offset.span(1, 1, 1, 2), f"cannot read this statement: {err.orig_exc}")
        return None


def _report_syntax_error(err: UnexpectedInput, piece: Piece, offset: Offset, sink: DiagnosticSink) -> None:
    if isinstance(err, UnexpectedCharacters):
        span = offset.span(err.line, err.column, err.line, err.column + 1)
        char = piece.text[err.pos_in_stream]
        hint = 'close the text with `"`' if char == '"' else None
        sink.add(span, f"unexpected character `{char}`", hint)
        return
    if isinstance(err, UnexpectedEOF):
        end = piece.text.rstrip()
        last_line = end.count("\n") + 1
        last_col = len(end.rsplit("\n", 1)[-1]) + 1
        span = offset.span(last_line, last_col, last_line, last_col + 1)
        sink.add(span, f"the statement ends too early; expected {_expected(err.expected)}")
        return
    assert isinstance(err, UnexpectedToken)
    tok: Token = err.token
    if tok.type == "$END":
        end = piece.text.rstrip()
        last_line = end.count("\n") + 1
        last_col = len(end.rsplit("\n", 1)[-1]) + 1
        span = offset.span(last_line, last_col, last_line, last_col + 1)
        sink.add(span, f"the statement ends too early; expected {_expected(err.expected)}")
        return
    span = offset.span(tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + 1)
    first = _FIRST_WORD.match(piece.text)
    if first and (tok.start_pos == first.start(1) or set(err.expected) == {"COLON"}):
        word = first.group(1)
        sink.add(offset.span(1, first.start(1) + 1, 1, first.end(1) + 1), f"`{word}` does not start a statement",
                 did_you_mean(word.lower(), STATEMENT_KEYWORDS) or
                 "a statement starts with one of: " + ", ".join(STATEMENT_KEYWORDS))
        return
    sink.add(span, f"unexpected {_describe(tok)}; expected {_expected(err.expected)}")


def _describe(tok: Token) -> str:
    if tok.type in ("NAME", "NUMBER", "STRING", "DATE"):
        return f"{_WORDS[tok.type].split(' like ')[0].removeprefix('a ').removeprefix('quoted ')} `{tok}`"
    return f"`{tok}`"


_VALUE_START = {"NAME", "NUMBER", "STRING"}
_OPERATORS = {"PLUS", "TIMES", "COMP_OP"}


def _expected(names: set[str] | frozenset[str]) -> str:
    """Name what could come next; whole families of tokens are named as one idea."""
    if _VALUE_START <= set(names):
        return "a condition or a value (a name, number, text, date or list)"
    if _OPERATORS <= set(names):
        return "an operator (`and`, `or`, `==`, `+`, …) or the end of the condition"
    words = sorted({_WORDS.get(n, f"`{n.strip('_').lower()}`") for n in names})
    if len(words) > 8:
        words = words[:8] + ["…"]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
