"""Turns Lark's parse tree of one statement into the typed syntax tree (`ast`).

Kept apart from the parser facade so that the tree shape and the AST shape can be
read side by side with the grammar. Positions are translated from the statement's
own text back to the rulebook (`Offset`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from lark import Token, Transformer_NonRecursive, Tree, v_args
from lark.tree import Meta

from rules_engine.dsl import ast
from rules_engine.dsl.diagnostics import DiagnosticSink
from rules_engine.dsl.literals import LiteralError, parse_date, parse_number, unquote


@dataclass(frozen=True, slots=True)
class Offset:
    """Where a statement's text starts in the rulebook (1-based)."""

    line: int
    column: int

    def span(self, line: int, column: int, end_line: int, end_column: int) -> ast.Span:
        def place(ln: int, col: int) -> tuple[int, int]:
            return self.line + ln - 1, (col + self.column - 1 if ln == 1 else col)

        start = place(line, column)
        end = place(end_line, end_column)
        return ast.Span(start[0], start[1], end[0], end[1])

    def of_token(self, tok: Token) -> ast.Span:
        return self.span(tok.line, tok.column, tok.end_line, tok.end_column)

    def of_meta(self, meta: Meta) -> ast.Span:
        return self.span(meta.line, meta.column, meta.end_line, meta.end_column)


_SETTING_KEYS = {"PROGRAM": "program", "CURRENCY": "currency", "CALENDAR": "calendar", "TIMEZONE": "timezone"}
_DURATION_UNITS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}


@v_args(meta=True)
class AstBuilder(Transformer_NonRecursive):
    """One instance per statement: it knows the statement's offset and where to report."""

    def __init__(self, offset: Offset, sink: DiagnosticSink) -> None:
        super().__init__()
        self.at = offset
        self.sink = sink

    # --- literals -------------------------------------------------------------

    def _number(self, tok: Token) -> Decimal:
        try:
            return parse_number(tok)
        except LiteralError as err:
            self.sink.add(self.at.of_token(tok), str(err), "write a shorter number, e.g. 2m or 1.5b")
            return Decimal(0)

    def number(self, meta: Meta, children: list) -> ast.Number:
        return ast.Number(self._number(children[0]), self.at.of_meta(meta))

    def money(self, meta: Meta, children: list) -> ast.Money:
        value, unit = children
        return ast.Money(self._number(value), unit.lower(), self.at.of_meta(meta))

    def percent(self, meta: Meta, children: list) -> ast.Percent:
        return ast.Percent(self._number(children[0]), self.at.of_meta(meta))

    def string(self, meta: Meta, children: list) -> ast.String:
        return ast.String(unquote(children[0]), self.at.of_meta(meta))

    def boolean(self, meta: Meta, children: list) -> ast.Boolean:
        return ast.Boolean(children[0].lower() == "true", self.at.of_meta(meta))

    def date_lit(self, meta: Meta, children: list) -> ast.DateLit:
        year, month, day = parse_date(children[0])
        return ast.DateLit(year, month, day, self.at.of_meta(meta))

    def duration(self, meta: Meta, children: list) -> ast.Duration:
        count, unit = children
        return ast.Duration(self._number(count), _DURATION_UNITS[unit.lower().rstrip("s")], self.at.of_meta(meta))

    def period(self, meta: Meta, children: list) -> ast.Period:
        return ast.Period(children[0], children[1], self.at.of_meta(meta))

    # --- expressions ------------------------------------------------------------

    def name(self, meta: Meta, children: list) -> ast.Name:
        return ast.Name(str(children[0]), self.at.of_meta(meta))

    def attribute(self, meta: Meta, children: list) -> ast.Attribute:
        scope, attr = children
        return ast.Attribute(str(scope), str(attr), self.at.of_meta(meta))

    def list_(self, meta: Meta, children: list) -> ast.ListLit:
        return ast.ListLit(tuple(c for c in children if c is not None), self.at.of_meta(meta))

    def argument(self, meta: Meta, children: list) -> ast.Argument:
        if len(children) == 2:
            return ast.Argument(str(children[0]), children[1], self.at.of_meta(meta))
        return ast.Argument(None, children[0], self.at.of_meta(meta))

    def call(self, meta: Meta, children: list) -> ast.Call:
        name, *args = children
        return ast.Call(str(name), tuple(a for a in args if a is not None), self.at.of_meta(meta))

    def not_(self, meta: Meta, children: list) -> ast.Not:
        return ast.Not(children[0], self.at.of_meta(meta))

    def negate(self, meta: Meta, children: list) -> ast.Negate:
        return ast.Negate(children[1], self.at.of_meta(meta))

    def or_expr(self, meta: Meta, children: list) -> ast.BoolOp:
        return self._bool_op("or", meta, children)

    def and_expr(self, meta: Meta, children: list) -> ast.BoolOp:
        return self._bool_op("and", meta, children)

    def _bool_op(self, op: str, meta: Meta, children: list) -> ast.BoolOp:
        # The grammar already gives a whole chain `a or b or c` as one flat list.
        return ast.BoolOp(op, tuple(children), self.at.of_meta(meta))  # type: ignore[arg-type]

    def compare(self, meta: Meta, children: list) -> ast.Compare:
        left, op, right = children
        return ast.Compare(str(op), left, right, self.at.of_meta(meta))  # type: ignore[arg-type]

    def in_(self, meta: Meta, children: list) -> ast.Compare:
        return ast.Compare("in", children[0], children[1], self.at.of_meta(meta))

    def not_in(self, meta: Meta, children: list) -> ast.Compare:
        return ast.Compare("not in", children[0], children[1], self.at.of_meta(meta))

    def arith(self, meta: Meta, children: list) -> ast.Arith:
        left, op, right = children
        return ast.Arith(str(op), left, right, self.at.of_meta(meta))  # type: ignore[arg-type]

    # --- clauses ------------------------------------------------------------------

    def trigger(self, meta: Meta, children: list) -> ast.Trigger:
        kind = children[0].lower()
        name = children[1].value if kind == "event" else None
        return ast.Trigger(kind, name, self.at.of_meta(meta))

    def on_clause(self, meta: Meta, children: list) -> tuple:
        return ("on", children[0], self.at.of_meta(meta))

    def when_clause(self, meta: Meta, children: list) -> tuple:
        return ("when", children[0], self.at.of_meta(meta))

    def during_clause(self, meta: Meta, children: list) -> tuple:
        return ("during", children[0], self.at.of_meta(meta))

    def limit_clause(self, meta: Meta, children: list) -> tuple:
        span = self.at.of_meta(meta)
        return ("limit", ast.Limit(children[0], children[1], span), span)

    def per_money(self, meta: Meta, children: list) -> tuple:
        return ("per", children[0], children[1])

    def per_item(self, meta: Meta, children: list) -> tuple:
        return ("per item", None, children[0])

    def _limits(self, clauses: list[tuple]) -> tuple[ast.Limit, ...]:
        """Every `limit` clause, in order: a rule may hold several, so the checker judges them, not `_clauses`."""
        return tuple(value for key, value, _ in clauses if key == "limit")

    def _clauses(self, clauses: list[tuple], allowed: set[str]) -> dict[str, object]:
        found: dict[str, object] = {}
        for key, value, span in clauses:
            if key in found:
                self.sink.add(span, f"this rule already has a `{key}` clause",
                              "combine the conditions with `and` / `or` in one clause")
            elif key in allowed:
                found[key] = value
        return found

    # --- statements -----------------------------------------------------------------

    def statement(self, meta: Meta, children: list) -> ast.Statement:
        if len(children) == 2:
            label, node = children
            return replace(node, label=str(label))
        return children[0]

    def setting(self, meta: Meta, children: list) -> ast.Setting:
        keyword, value = children
        if isinstance(value, Token):
            value = ast.Name(str(value), self.at.of_token(value))
        return ast.Setting(None, _SETTING_KEYS[keyword.type], value, self.at.of_meta(meta))  # type: ignore[arg-type]

    def point_value(self, meta: Meta, children: list) -> ast.Setting:
        return ast.Setting(None, "point value", children[0], self.at.of_meta(meta))

    def tier(self, meta: Meta, children: list) -> ast.TierDef:
        name, condition = children
        return ast.TierDef(None, str(name), condition, self.at.of_meta(meta), self.at.of_token(name))

    def tier_grace(self, meta: Meta, children: list) -> ast.TierGrace:
        return ast.TierGrace(None, children[0], self.at.of_meta(meta))

    def earn(self, meta: Meta, children: list) -> ast.Earn:
        points, *rest = children
        basis = rest[0] if rest and rest[0][0] in ("per", "per item") else None
        parts = rest[1:] if basis else rest
        clauses = self._clauses(parts, {"on", "when", "during"})
        per = items_where = per_item_where = None
        if basis and basis[0] == "per":
            per, items_where = basis[1], basis[2]
        elif basis:
            per_item_where = basis[2]
        return ast.Earn(None, points, per, items_where, per_item_where, clauses.get("on"),  # type: ignore[arg-type]
                        clauses.get("when"), clauses.get("during"), self._limits(parts),  # type: ignore[arg-type]
                        self.at.of_meta(meta))

    def bonus(self, meta: Meta, children: list) -> ast.Bonus:
        factor, *rest = children
        clauses = self._clauses(rest, {"on", "when", "during"})
        return ast.Bonus(None, factor, clauses.get("on"), clauses.get("when"),  # type: ignore[arg-type]
                         clauses.get("during"), self._limits(rest), self.at.of_meta(meta))  # type: ignore[arg-type]

    def cap(self, meta: Meta, children: list) -> ast.Cap:
        return ast.Cap(None, children[0], children[1], self.at.of_meta(meta))

    def expiry(self, meta: Meta, children: list) -> ast.Expiry:
        return ast.Expiry(None, children[0], self.at.of_meta(meta))

    def reward(self, meta: Meta, children: list) -> ast.Reward:
        rid, title, cost, gives, *rest = children
        clauses = self._clauses(rest, {"when"})
        return ast.Reward(None, str(rid), title.value, cost, gives, clauses.get("when"),  # type: ignore[arg-type]
                          self._limits(rest), self.at.of_meta(meta), self.at.of_token(rid))

    def perk(self, meta: Meta, children: list) -> ast.Perk:
        tier, gives = children
        return ast.Perk(None, str(tier), gives, self.at.of_meta(meta), self.at.of_token(tier))

    def offer(self, meta: Meta, children: list) -> ast.Offer:
        ref, cost, when = children
        return ast.Offer(None, ref, cost, when, self.at.of_meta(meta))


def build(tree: Tree, offset: Offset, sink: DiagnosticSink) -> ast.Statement:
    return AstBuilder(offset, sink).transform(tree)
