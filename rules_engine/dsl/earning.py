"""The earn rules and bonuses of one trigger, generated as one Python function.

A purchase in the retail sample rulebook is weighed by six earn rules and four
bonuses. As separate compiled conditions that took a dozen and a half calls per
event; as one function written for the rulebook, with every condition and item
loop inline, it takes one (docs/performance.md). The function does exactly what
the language reference says of step 3, up to the caps, which the engine applies:
each rule that holds gives its points rounded down, a limited rule only while its
limit allows, and the product of the matching bonuses multiplies the sum, rounded
down once.

The function is written from fragments of our own with the rulebook's checked
expressions put in their place (rules_engine/dsl/codegen.py): nothing a designer
wrote is ever part of its text.
"""

from __future__ import annotations

import ast as py
import copy
from dataclasses import dataclass, replace
from fractions import Fraction
from math import floor
from typing import Any, Callable

from rules_engine import limits, runtime
from rules_engine.dsl import codegen
from rules_engine.dsl.checker import Settings
from rules_engine.events import Item
from rules_engine.templates import Template, literal
from rules_engine.program import BonusRule, EarnRule, EarningPlan, Period

# What the compiler hands over for each rule: the compiled rule, its condition and item test as Python
# expressions over `e`, `m` (and `i`), and the function that words an evaluation error as this rule's.
Fail = Callable[[runtime.EvaluationError], runtime.EvaluationError]


@dataclass(frozen=True)
class EarnPart:
    rule: EarnRule
    when: py.expr | None
    item_test: py.expr | None  # for `of items where` and `per item where`
    fail: Fail


@dataclass(frozen=True)
class BonusPart:
    rule: BonusRule
    when: py.expr | None
    fail: Fail


TriggerKey = tuple[str, str | None]  # the kind of event, and the name of a custom one (program.Trigger as a tuple)


def plans(triggers: dict[TriggerKey, tuple[list[EarnPart], list[BonusPart]]], constants: dict[str, Any],
          settings: Settings, filename: str) -> dict[TriggerKey, EarningPlan]:
    """Each trigger's function: `(e, m, day, notes) -> (points, labels, reasons, limited rules used)`.

    `day` is the event's local date, given only when some rule has a `during` (`dated`).
    All functions are written into one module and compiled at once, which keeps a
    rulebook of hundreds of custom events quick to compile.
    """
    writer = codegen.Writer(constants)
    for n, (earn, bonuses) in enumerate(triggers.values()):
        writer.function(f"plan_{n}", "e, m, day, notes")
        writer.line("total = 0")
        writer.line("why = []")
        writer.line("labels = []")
        writer.line("used = []")
        conditions = codegen.shared_reads(writer, [part.when for part in (*earn, *bonuses)])
        earn = [replace(part, when=when) for part, when in zip(earn, conditions)]
        bonuses = [replace(part, when=when) for part, when in zip(bonuses, conditions[len(earn):])]
        sums = _item_sums(writer, earn)
        for k, part in enumerate(earn):
            _earn_rule(writer, part, settings, sums.get(k))
        if bonuses:  # no bonus, no product to multiply by
            writer.line("num = den = 1")
            for part in bonuses:
                _bonus(writer, part)
            writer.line("if num != den and total:")
            writer.line("    total = total * num // den")
        writer.line("return total, labels, why, used")
    functions = writer.compile(f"<{filename}: earning>", {"_floor": _floor, "_int": int})
    return {trigger: EarningPlan(functions[f"plan_{n}"], any(p.rule.during is not None for p in (*earn, *bonuses)))
            for n, (trigger, (earn, bonuses)) in enumerate(triggers.items())}


def _item_sums(w: codegen.Writer, earn: list[EarnPart]) -> dict[int, str]:
    """One loop over the items for every rule that counts items, where a rule may: the variable of each one's sum.

    Rules of a category each (`of items where category == "fashion"`) would otherwise walk the
    items once per rule, reading the same fields each time. A rule may share the loop when its
    item test can neither fail nor do anything but look (see `_looks_only`): the loop then runs
    before any rule's condition, and the sums are the same as each rule's own loop would make,
    whether or not the rule's condition later holds. Other rules keep their own loop, in its place.
    """
    shared = {k: part for k, part in enumerate(earn)
              if part.item_test is not None and (part.rule.of_items or part.rule.per_item) and _looks_only(part.item_test)}
    if len(shared) < 2:
        return {}
    tests = {k: _ItemFields().visit(copy.deepcopy(part.item_test)) for k, part in shared.items()}
    read = sorted({node.id for test in tests.values() for node in py.walk(test)
                   if isinstance(node, py.Name) and node.id.startswith(_ITEM)} | {_ITEM + "qty"})
    sums = {k: f"_sum_{k}" for k in shared}
    for name in sums.values():
        w.line(f"{name} = 0")
    w.line("for i in e.items:")
    for name in read:
        w.line(f"    {name} = i.{name.removeprefix(_ITEM)}")
    for k, part in shared.items():
        w.line(f"    if {w.expr(tests[k])}:")
        w.line(f"        {sums[k]} += {_ITEM}qty" if part.rule.per_item else f"        {sums[k]} += i.price * {_ITEM}qty")
    return sums


_ITEM = "_item_"  # the loop's local copy of an item field: `_item_category` for `i.category`
_ITEM_FIELDS = frozenset(Item.__slots__)
_NEVER_FAIL = frozenset({"_in", "_eq", "_lt", "_le", "_gt", "_ge"})  # runtime helpers that answer False rather than fail


def _looks_only(test: py.expr) -> bool:
    """Whether an item test only reads and compares: no arithmetic that could fail, no plugin function."""
    for node in py.walk(test):
        if isinstance(node, py.Call):
            func = node.func
            if not ((isinstance(func, py.Name) and func.id in _NEVER_FAIL)
                    or (isinstance(func, py.Attribute) and func.attr == "get" and isinstance(func.value, py.Attribute))):
                return False
        elif isinstance(node, py.Compare):
            if not all(isinstance(op, (py.Eq, py.NotEq, py.In, py.NotIn, py.Is, py.IsNot)) for op in node.ops):
                return False  # `<` between a text and a missing value fails
        elif not isinstance(node, (py.Name, py.Constant, py.Attribute, py.BoolOp, py.UnaryOp, py.Not, py.And, py.Or,
                                   py.Load, py.cmpop, py.Tuple)):
            return False
    return True


class _ItemFields(py.NodeTransformer):
    """`i.category` becomes `_item_category`, read once per item by the shared loop."""

    def visit_Attribute(self, node: py.Attribute) -> py.expr:
        if isinstance(node.value, py.Name) and node.value.id == "i" and node.attr in _ITEM_FIELDS:
            return py.copy_location(py.Name(id=_ITEM + node.attr, ctx=py.Load()), node)
        self.generic_visit(node)
        return node


def _earn_rule(w: codegen.Writer, part: EarnPart, settings: Settings, summed: str | None = None) -> None:
    rule = part.rule
    label, reason = w.const(rule.source.label), w.const(Template(_reason(rule), rule.source.label, "earn"))
    times, per = _rate(rule)
    num, den = w.number(times), w.number(per)
    w.line("try:")
    w.indent += 1
    tests = []
    if rule.during is not None:
        tests.append(_within(w, rule.during))
    if part.when is not None:
        tests.append(w.expr(part.when))
    if tests:
        w.line(f"if {' and '.join(f'({t})' for t in tests)}:")
        w.indent += 1
    if rule.per is None and not rule.per_item:
        w.line(f"points = {w.number(floor(rule.points))}")
        w.line("base = None")
    else:
        if rule.per is not None and not rule.of_items:
            w.line("base = e.amount or 0")
        elif summed is not None:
            w.line(f"base = {summed}")
        else:
            w.line("base = 0")
            w.line("for i in e.items:")
            w.line(f"    if {w.expr(part.item_test)}:")
            w.line("        base += i.qty" if rule.per_item else "        base += i.price * i.qty")
        # floor(base × points / per), exactly: in whole numbers when the base is whole, through Fraction if not
        scaled = "base" if times == 1 else f"base * {num}"  # 1 point per 10,000: no product to take
        w.line(f"points = {scaled} // {den} if base.__class__ is _int else _floor(base, {num}, {den})")
    w.line("if points:")
    w.indent += 1
    if rule.limited:
        w.line(f"if not {w.const(_limit_check(rule, settings))}(m, e.at, notes):")
        w.indent += 1
        w.line(f"used.append({w.const(rule)})")
    w.line("total += points")
    w.line(f"labels.append({label})")
    w.line(f"why.append(({reason}, points, base))")
    w.indent = 0
    w.line("except _EvaluationError as err:")
    w.line(f"    raise {w.const(part.fail)}(err) from err")


def _bonus(w: codegen.Writer, part: BonusPart) -> None:
    rule = part.rule
    tests = []
    if rule.during is not None:
        tests.append(_within(w, rule.during))
    if part.when is not None:
        tests.append(w.expr(part.when))
    factor, label = rule.factor, rule.source.label
    reason = w.const((Template(literal(f"×{_show(factor)}: {label}"), label, "bonus", factor),))
    w.line("try:")
    w.line(f"    if {' and '.join(f'({t})' for t in tests) or 'True'}:")
    w.line(f"        num *= {w.number(factor.numerator)}")
    w.line(f"        den *= {w.number(factor.denominator)}")
    w.line(f"        why.append({reason})")
    w.line("except _EvaluationError as err:")
    w.line(f"    raise {w.const(part.fail)}(err) from err")


def _within(w: codegen.Writer, period: Period) -> str:
    """`day` inside the period, both ends included, compared inline: the test runs on every event of the trigger."""
    return f"{w.const(period.start)} <= day <= {w.const(period.end)}"


def _rate(rule: EarnRule) -> tuple[int, int]:
    """points × base / per, rounded down, is (base × num) // den in whole numbers."""
    per = Fraction(rule.per) if rule.per is not None else Fraction(1)
    return rule.points.numerator * per.denominator, rule.points.denominator * per.numerator


def _reason(rule: EarnRule) -> str:
    """The reason of an earning, as a template of the points and the base they were counted on."""
    rate, label = _show(rule.points), literal(rule.source.label)
    if rule.per is not None:
        what = "matching items" if rule.of_items else "the purchase"
        return f"+{{:,}}: {label}, {rate} per {rule.per:,} on {{:,}} of {what}"
    if rule.per_item:
        return f"+{{:,}}: {label}, {rate} per item × {{:,}} items"
    return f"+{{:,}}: {label}, {literal(rule.source.text)}"


def _limit_check(rule: EarnRule, settings: Settings) -> Callable[[Any, Any, list[str]], bool]:
    """Whether the member has used up the rule: if so, a note saying until when, and no points from it."""
    tz, key = settings.tz, id(rule)

    def hit(m: Any, at: Any, notes: list[str]) -> bool:
        reached = limits.reached(m.uses.get(key, ()), rule.limit, rule.per_period, at, settings)
        if reached is None:
            return False
        notes.append(f"{rule.source.label} gave no points: limit reached ({reached.describe(tz)})")
        return True

    return hit


def _floor(base: Any, num: int, den: int) -> int:
    return floor(Fraction(base) * num / den)


def _show(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"
