"""The typed syntax tree of a rulebook.

Every node is an immutable value that remembers where it came from (`Span`), so
that the checker and the engine can point back at the rulebook text. Literals are
kept exactly as written (numbers as `Decimal`, dates as calendar triples): turning
them into engine values needs the rulebook's settings, which is the compiler's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator, Literal, Union


@dataclass(frozen=True, slots=True)
class Span:
    """A 1-based line and column range in the rulebook source."""

    line: int
    column: int
    end_line: int
    end_column: int


# --- expressions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Number:
    value: Decimal
    span: Span


@dataclass(frozen=True, slots=True)
class Money:
    value: Decimal
    unit: Literal["toman", "rial"]
    span: Span


@dataclass(frozen=True, slots=True)
class Percent:
    value: Decimal  # as written: 10% is Decimal(10)
    span: Span


@dataclass(frozen=True, slots=True)
class String:
    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class Boolean:
    value: bool
    span: Span


@dataclass(frozen=True, slots=True)
class DateLit:
    """A date as written, in the rulebook's calendar (resolved by the compiler)."""

    year: int
    month: int
    day: int
    span: Span


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Attribute:
    """`member.city` or `purchase.payment`."""

    scope: str
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Argument:
    name: str | None  # None for a positional argument
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Argument, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class BoolOp:
    """`a and b and c` or `a or b`: flattened, so long chains do not nest deeply."""

    op: Literal["and", "or"]
    operands: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Compare:
    op: Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Arith:
    op: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr
    span: Span


Expr = Union[
    Number, Money, Percent, String, Boolean, DateLit, ListLit, Name, Attribute, Call,
    Not, Negate, BoolOp, Compare, Arith,
]


def names(expr: Expr) -> Iterator[Name]:
    """Every bare name an expression reads, in the order it is written."""
    if isinstance(expr, Name):
        yield expr
    elif isinstance(expr, (Not, Negate)):
        yield from names(expr.operand)
    elif isinstance(expr, BoolOp):
        for operand in expr.operands:
            yield from names(operand)
    elif isinstance(expr, (Compare, Arith)):
        yield from names(expr.left)
        yield from names(expr.right)
    elif isinstance(expr, Call):
        for arg in expr.args:
            yield from names(arg.value)
    elif isinstance(expr, ListLit):
        for item in expr.items:
            yield from names(item)


# --- statement parts -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Duration:
    count: Decimal
    unit: Literal["days", "weeks", "months", "years"]
    span: Span


@dataclass(frozen=True, slots=True)
class Period:
    start: DateLit
    end: DateLit
    span: Span


@dataclass(frozen=True, slots=True)
class Trigger:
    """Which event a rule listens to: purchase (default), signup, referral or a named custom event."""

    kind: Literal["purchase", "signup", "referral", "event"]
    name: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Limit:
    """`limit N per member` (ever), or `limit N per DURATION` (in any rolling window; `per member` may come first)."""

    count: Number
    window: Duration | None
    span: Span


# --- statements ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Setting:
    """`program`, `currency`, `calendar`, `timezone` or `point value`."""

    label: str | None
    key: Literal["program", "currency", "calendar", "timezone", "point value"]
    value: String | Name | Money | Number
    span: Span


@dataclass(frozen=True, slots=True)
class TierDef:
    label: str | None
    name: str
    condition: Expr | None
    span: Span
    name_span: Span


@dataclass(frozen=True, slots=True)
class TierGrace:
    label: str | None
    duration: Duration
    span: Span


@dataclass(frozen=True, slots=True)
class Earn:
    """Every `earn` form.

    `per` set: proportional earning (optionally over `items_where` items).
    `per_item_where` set: flat points per unit of matching items.
    Neither: flat points per event.
    """

    label: str | None
    points: Number
    per: Money | Number | None
    items_where: Expr | None
    per_item_where: Expr | None
    trigger: Trigger | None
    when: Expr | None
    during: Period | None
    limits: tuple[Limit, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Bonus:
    """`limits` are kept only so that the checker can point at them: a bonus takes none."""

    label: str | None
    factor: Number
    trigger: Trigger | None
    when: Expr | None
    during: Period | None
    limits: tuple[Limit, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Cap:
    label: str | None
    points: Number
    window: Duration
    span: Span


@dataclass(frozen=True, slots=True)
class Expiry:
    label: str | None
    after: Duration
    span: Span


@dataclass(frozen=True, slots=True)
class Reward:
    label: str | None
    id: str
    title: str
    cost: Number
    gives: Call
    when: Expr | None
    limits: tuple[Limit, ...]
    span: Span
    id_span: Span


@dataclass(frozen=True, slots=True)
class Perk:
    label: str | None
    tier: str
    gives: Call
    span: Span
    tier_span: Span


@dataclass(frozen=True, slots=True)
class Offer:
    label: str | None
    ref: String
    cost: Number | None
    when: Expr | None
    span: Span


Statement = Union[Setting, TierDef, TierGrace, Earn, Bonus, Cap, Expiry, Reward, Perk, Offer]


@dataclass(frozen=True, slots=True)
class Rulebook:
    path: str
    source: str
    statements: tuple[Statement, ...]


def rule_label(statement: Statement) -> str:
    """The name a statement goes by in ledger entries and explanations."""
    return statement.label or f"line {statement.span.line}"
