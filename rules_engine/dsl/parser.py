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
from rules_engine.dsl.diagnostics import Diagnostic, DiagnosticSink, did_you_mean, lines_of

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
_FIRST_WORD = re.compile(r"(?:\w+\s*:\s*)?(\w+)[^\S\n]*(\w*)")
# A line that starts a statement (optionally labelled) ends any statement an unclosed
# bracket left open. The pattern looks past the keyword, so that lines inside brackets
# are not taken for statements: `sku: "x")` is a named argument and `points > 100)`
# part of a condition, while `points expire` and `gold: bonus 2x` start statements.
_NEXT_STATEMENT = re.compile(
    r"""\s*(?:\w+\s*:\s*)?(?:
        program\s*" | (?:currency|calendar)\s+\w | timezone\s*" | point\s+value\b | tiers\s+downgrade\b
      | tier\s+(?!(?:in|not|and|or)\b)\w | (?:earn|bonus|cap)\s+[0-9\u06F0-\u06F9\u0660-\u0669]
      | points\s+expire\b | reward\s+\w+\s*" | perk\s+\w+\s+gives\b | offer\s*"
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# The words a terminal stands for, to suggest one when a designer misspells it.
_KEYWORDS = {t.name: [t.pattern.value] for t in _PARSER.terminals
             if t.pattern.type == "str" and t.pattern.value.isalpha()}
_KEYWORDS.update({"UNIT": ["toman", "rial"], "DURATION_UNIT": ["days", "weeks", "months", "years"], "_X": ["x"]})
# Characters that mean something else in the rule language than where designers know them from.
_QUOTES_HINT = 'write texts in plain double quotes, like "app"'
_CHARACTER_HINTS = {
    "=": "to compare, write `==`", "&": "write `and`", "|": "write `or`", "!": "write `not`, or `!=` to compare",
    "'": _QUOTES_HINT, "\u2018": _QUOTES_HINT, "\u2019": _QUOTES_HINT, "\u201c": _QUOTES_HINT, "\u201d": _QUOTES_HINT,
    "\u00ab": _QUOTES_HINT, "\u00bb": _QUOTES_HINT,
}


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
    lines = lines_of(source)
    buf: list[str] = []
    start: tuple[int, int] | None = None
    depth = 0
    deepest = 0
    broken = False  # the statement has an unclosed text or bracket, already reported
    opened: list[tuple[int, int, str]] = []  # brackets still open: line, column, character

    def flush() -> None:
        nonlocal buf, start, depth, deepest, broken
        text = "".join(buf).rstrip()
        if start is not None and text.strip() and not broken:
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
        buf, start, depth, deepest, broken = [], None, 0, 0, False
        opened.clear()

    def unclosed() -> None:
        """Report the bracket that left the statement open: its end is unknown, so it is not parsed."""
        nonlocal broken
        if opened and not broken:
            line, column, char = opened[-1]
            closer = ")" if char == "(" else "]"
            sink.add(ast.Span(line, column, line, column + 1), f"this `{char}` is never closed",
                     f"close it with `{closer}`; only an open bracket lets a statement go on to the next line")
            broken = True

    for number, line in enumerate(lines, start=1):
        if depth > 0 and _NEXT_STATEMENT.match(line):
            unclosed()  # an unclosed bracket must not swallow the statements after it
            flush()
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
                opened.append((number, col + 1, ch))
            elif ch in ")]":
                depth -= 1
                if opened:
                    opened.pop()
            elif ch == ";" and depth <= 0:
                flush()
                col += 1
                continue
            if start is not None:
                buf.append(ch)
            col += 1
        if in_string:
            _report_unclosed_text(line, number, sink)
            broken = True
            flush()  # its brackets cannot be trusted either
        elif depth <= 0:
            flush()
        elif start is not None:
            buf.append("\n")
    if depth > 0:
        unclosed()
    flush()
    return pieces


def _report_unclosed_text(line: str, number: int, sink: DiagnosticSink) -> None:
    """Point at the text that lacks its closing quote.

    Quotes pair up from the left, so the unpaired one is the last; but when a text
    that did pair up reads like rule syntax (`"x costs 10 points gives p(sku: "`),
    its own closing quote is the missing one and the pairing went wrong from there.
    """
    texts: list[tuple[int, int]] = []  # (opening, closing) quote columns, 0-based
    opening: int | None = None
    col = 0
    while col < len(line):
        ch = line[col]
        if opening is not None and ch == "\\":
            col += 1
        elif ch == '"':
            if opening is None:
                opening = col
            else:
                texts.append((opening, col))
                opening = None
        elif ch == "#" and opening is None:
            break
        col += 1
    suspect = next((o for o, c in texts if _LOOKS_LIKE_RULE.search(line[o + 1:c])), opening)
    assert suspect is not None
    sink.add(ast.Span(number, suspect + 1, number, suspect + 2), 'this text has no closing `"`',
             'end the text with `"` on the same line')


_LOOKS_LIKE_RULE = re.compile(r"\b(costs|gives|when)\s|==|!=|\(")


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
        shown = f"`{char}`" if char.isprintable() else f"U+{ord(char):04X} (an invisible character)"
        sink.add(span, f"unexpected character {shown}", _CHARACTER_HINTS.get(char) or
                 (None if char.isprintable() else "delete it; it may have come in with copied text"))
        return
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        end = piece.text.rstrip()
        last_line = end.count("\n") + 1
        last_col = len(end.rsplit("\n", 1)[-1]) + 1
        span = offset.span(last_line, last_col, last_line, last_col + 1)
        sink.add(span, f"the statement ends too early; expected {_expected(_acceptable(err))}")
        return
    assert isinstance(err, UnexpectedToken)
    tok: Token = err.token
    span = offset.span(tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + 1)
    first = _FIRST_WORD.match(piece.text)
    if first and (tok.start_pos == first.start(1) or set(err.expected) == {"COLON"}):
        word, second = first.group(1), first.group(2)
        if second.lower() in STATEMENT_KEYWORDS:
            hint = f"to label a rule, put `:` after the label: `{word}: {second} …`"
        else:
            hint = did_you_mean(word.lower(), STATEMENT_KEYWORDS) or \
                "a statement starts with one of: " + ", ".join(STATEMENT_KEYWORDS)
        sink.add(offset.span(1, first.start(1) + 1, 1, first.end(1) + 1), f"`{word}` does not start a statement", hint)
        return
    accepted = _acceptable(err)
    sink.add(span, f"unexpected {_describe(tok)}; expected {_expected(accepted)}", _token_hint(tok, accepted, piece))


def _acceptable(err: UnexpectedInput) -> set[str]:
    """What the parser would really accept here.

    LALR merges states that look alike, so `expected` after `bonus 2` also lists the
    `point`/`per` of `earn 2 points per …`; `accepts` tries each token for real.
    """
    accepts = getattr(err, "accepts", None)
    return set(accepts or getattr(err, "expected", None) or ())


def _token_hint(tok: Token, accepted: set[str], piece: Piece) -> str | None:
    if tok.type == "MINUS" and "NUMBER" in accepted and piece.text[:tok.start_pos].rstrip().lower().endswith("limit"):
        return "a limit is a whole number of at least 1; to allow any number of uses, leave the limit out"
    if tok.type == "MINUS" and "NUMBER" in accepted and piece.text[:tok.start_pos].rstrip().lower().endswith("costs"):
        return "a cost is a number of points, 0 or more"
    if tok.type == "NAME" and _FACTOR_FIRST.fullmatch(tok) and piece.text[:tok.start_pos].rstrip().lower().endswith("bonus"):
        return f"write the number first: `bonus {tok[1:]}x`"
    if tok.type == "NAME" and "NUMBER" in accepted and tok.lower().rstrip("s") in _UNIT_WORDS:
        return f"say how many: `per 1 {tok.lower().rstrip('s')}`"
    if tok.type == "NAME" and accepted == {"STRING"}:
        return f'put it in double quotes: "{tok}"'
    if tok.type == "NAME":
        words = [word for name in accepted for word in _KEYWORDS.get(name, ())]
        if suggestion := did_you_mean(tok.lower(), words):
            return suggestion
    before = piece.text[:tok.start_pos]
    if tok.type == "NAME" and tok.startswith("_") and before[-1:].isdigit():
        return "`_` only goes between digits, like 10_000"
    if tok.type == "COMMA" and before.rstrip()[-1:].isdigit() and "COMMA" not in accepted:
        return "numbers have no `,`: group digits with `_` (10_000) or write 10k"
    return None


def _describe(tok: Token) -> str:
    if tok.type in ("NAME", "NUMBER", "STRING", "DATE"):
        return f"{_WORDS[tok.type].split(' like ')[0].removeprefix('a ').removeprefix('quoted ')} `{tok}`"
    return f"`{tok}`"


_UNIT_WORDS = ("day", "week", "month", "year")
_FACTOR_FIRST = re.compile(r"[xX]\d+(\.\d+)?")  # `bonus x2` for `bonus 2x`
_VALUE_START = {"NAME", "NUMBER", "STRING"}
_OPERATORS = {"PLUS", "TIMES", "_AND", "_OR"}


def _expected(names: set[str] | frozenset[str]) -> str:
    """Name what could come next; whole families of tokens are named as one idea."""
    if _VALUE_START <= set(names):
        if "_NOT" in names:
            return "a condition or a value (a name, number, text, date or list)"
        return "a value (a name, number, text, date or list)"
    if _OPERATORS <= set(names):
        return "an operator (`and`, `or`, `==`, `+`, …) or the end of the condition"
    words = sorted({_WORDS.get(n, f"`{n.strip('_').lower()}`") for n in names})
    if len(words) > 10:
        words = words[:9] + ["something else"]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
