"""The compiler: a checked rulebook becomes a `Program` of plain Python functions.

Conditions are translated node by node into a Python syntax tree and compiled
with `compile()`, which makes them run at the speed of hand-written Python (see
docs/performance.md). User text never reaches `eval` or `exec`: the tree is built
here from our own nodes, and every value a designer wrote enters it only as a
constant.
"""

from __future__ import annotations

import ast as py
import hashlib
from fractions import Fraction
from typing import Any

from rules_engine.events import exact
from rules_engine.dsl import ast, codegen, earning
from rules_engine.dsl.checker import Checked, check, money_value
from rules_engine.dsl.diagnostics import Diagnostic, DiagnosticSink, lines_of
from rules_engine.dsl.names import Resolution
from rules_engine.dsl.parser import parse
from rules_engine.plugins.registry import Registry
from rules_engine.program import (
    BonusRule, CapRule, Condition, Duration, EarnRule, EarningPlan, ExpiryRule, OfferRule, Period, PeriodLimit, PerkRule,
    Program, RewardRule, Source, Tier, Trigger,
)
from rules_engine import runtime


class CompileError(Exception):
    """A rulebook that did not compile; `diagnostics` says everything that is wrong with it."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} problem(s) in the rulebook")
        self.diagnostics = diagnostics


def compile_source(source: str, path: str, registry: Registry) -> tuple[Program | None, list[Diagnostic]]:
    """Parse, check and compile; the program is None when any error was found."""
    rulebook, diagnostics = parse(source, path)
    sink = DiagnosticSink(path, source)
    sink.items.extend(diagnostics)
    checked = check(rulebook, registry, sink)
    if sink.has_errors:
        return None, sink.items
    return _Compiler(rulebook, checked, registry).program(), sink.items


def compile_rulebook(source: str, path: str, registry: Registry) -> Program:
    program, diagnostics = compile_source(source, path, registry)
    if program is None:
        raise CompileError(diagnostics)
    return program


_ORDERING = {"<": py.Lt, "<=": py.LtE, ">": py.Gt, ">=": py.GtE}
_SAFE_ORDERING = {"<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}
_ARITH = {"+": py.Add, "-": py.Sub, "*": py.Mult}
_SAFE_ARITH = {"+": "_add", "-": "_sub", "*": "_mul"}
_FIGURES = {"points": "balance", "spend_total": "spend_total", "count_total": "count_total"}  # name -> Member attribute
_CONTEXT = {  # how a resolved name is read from the evaluation context
    "event": lambda key: _attr("e", key),
    "member": lambda key: _attr("m", {"tier": "tier", "points": "balance"}.get(key, key)),
    "time": lambda key: _attr("e", key),
    "item": lambda key: _attr("i", key),
    "event_field": lambda key: _get(_attr("e", "fields"), key),
    "member_attr": lambda key: _get(_attr("m", "attrs"), key),
    "item_field": lambda key: _get(_attr("i", "fields"), key),
}


def _attr(obj: str, name: str) -> py.expr:
    return py.Attribute(value=py.Name(id=obj, ctx=py.Load()), attr=name, ctx=py.Load())


def _get(mapping: py.expr, key: str) -> py.expr:
    return py.Call(func=py.Attribute(value=mapping, attr="get", ctx=py.Load()), args=[py.Constant(key)], keywords=[])


def _call(helper: str, *args: py.expr) -> py.expr:
    return py.Call(func=py.Name(id=helper, ctx=py.Load()), args=list(args), keywords=[])


class _Compiler:
    def __init__(self, rulebook: ast.Rulebook, checked: Checked, registry: Registry) -> None:
        self.rulebook = rulebook
        self.checked = checked
        self.registry = registry
        self.settings = checked.settings
        self.windows = tuple(sorted(checked.windows))
        self.lines = lines_of(rulebook.source)
        self.functions: set[str] = set()  # the plugins of the functions conditions call

    def program(self) -> Program:
        st = self.rulebook.statements
        tier_defs = [s for s in st if isinstance(s, ast.TierDef)]
        tiers = tuple(Tier(s.name, rank, self._source(s), self._figures(s.condition)) for rank, s in enumerate(tier_defs))
        grace = next((self._duration(s.duration) for s in st if isinstance(s, ast.TierGrace)), None)
        expiry = next((ExpiryRule(self._source(s), self._duration(s.after)) for s in st if isinstance(s, ast.Expiry)), None)
        tier_rank = {t.name: t.rank for t in tiers}
        earn = [(s, self._earn(s)) for s in st if isinstance(s, ast.Earn)]
        bonuses = [(s, self._bonus(s)) for s in st if isinstance(s, ast.Bonus)]
        rewards = {s.id: RewardRule(self._source(s), s.id, s.title, int(s.cost.value),
                                    self.registry.reward_types[s.gives.name], self.checked.params[id(s.gives)],
                                    self._condition(s.when, s), *self._limits(s.limits))
                   for s in st if isinstance(s, ast.Reward)}
        offers = {s.ref.value: OfferRule(self._source(s), self.registry.offers[s.ref.value],
                                         int(s.cost.value) if s.cost else 0, self._condition(s.when, s))
                  for s in st if isinstance(s, ast.Offer)}
        earning, ladder = self._earning(earn, bonuses), self._ladder(tier_defs)
        # every condition is compiled by now, so `self.functions` holds the plugins of all the functions they call
        plugins = frozenset(self.functions) | {rule.kind.plugin for rule in rewards.values()} | {
            rule.offer.plugin for rule in offers.values()}
        return Program(
            settings=self.settings,
            version=hashlib.sha256(self.rulebook.source.encode()).hexdigest(),
            tiers=tiers,
            grace=grace,
            earn=tuple(rule for _, rule in earn),
            bonuses=tuple(rule for _, rule in bonuses),
            caps=tuple(CapRule(self._source(s), int(s.points.value), self._duration(s.window))
                       for s in st if isinstance(s, ast.Cap)),
            expiry=expiry,
            rewards=rewards,
            perks=tuple(PerkRule(self._source(s), tier_rank[s.tier], self.registry.reward_types[s.gives.name],
                                 self.checked.params[id(s.gives)]) for s in st if isinstance(s, ast.Perk)),
            offers=offers,
            windows=self.windows,
            earning=earning,
            ladder=ladder,
            plugins=plugins,
        )

    # --- statements --------------------------------------------------------------------

    def _figures(self, condition: ast.Expr | None) -> tuple[tuple[str, str, int | None], ...]:
        """The member figures a tier condition reads, in the order written, each once (see `Tier.figures`)."""
        found: dict[str, tuple[str, str, int | None]] = {}
        for node in ast.names(condition) if condition is not None else ():
            meaning = self.checked.names.get(id(node))
            if meaning is None:
                continue
            if meaning.kind in ("spend_window", "count_window"):
                attribute = "spend_windows" if meaning.kind == "spend_window" else "count_windows"
                found.setdefault(node.name, (node.name, attribute, self.windows.index(meaning.key)))  # type: ignore[arg-type]
            elif meaning.kind == "member" and meaning.key in _FIGURES:
                found.setdefault(node.name, (node.name, _FIGURES[str(meaning.key)], None))
        return tuple(found.values())

    def _source(self, st: ast.Statement) -> Source:
        """The rule as written, without its label (which `Source` holds apart) or comments.

        Cut by the statement's span rather than by lines, so that a `#` inside a
        text, two statements on one line or a statement over several lines all
        come out right.
        """
        span = st.span
        rows = self.lines[span.line - 1:span.end_line]
        if rows:
            rows[-1] = rows[-1][:span.end_column - 1]
            rows[0] = rows[0][span.column - 1:]
        text = " ".join(_without_comment(row).strip() for row in rows)
        return Source(ast.rule_label(st), span.line, text)

    def _duration(self, node: ast.Duration) -> Duration:
        return Duration(int(node.count), node.unit)

    def _limits(self, limits: tuple[ast.Limit, ...]) -> tuple[int | None, tuple[PeriodLimit, ...]]:
        """The limit ever (at most one, by the checker) and the limits per period of a rule."""
        ever = next((int(x.count.value) for x in limits if x.window is None), None)
        return ever, tuple(PeriodLimit(int(x.count.value), self._duration(x.window))
                           for x in limits if x.window is not None)

    def _trigger(self, node: ast.Trigger | None) -> Trigger:
        return Trigger(node.kind, node.name) if node else Trigger("purchase")

    def _period(self, node: ast.Period | None) -> Period | None:
        if node is None:
            return None
        return Period(self.checked.dates[id(node.start)], self.checked.dates[id(node.end)])

    def _earn(self, s: ast.Earn) -> EarnRule:
        limit, per_period = self._limits(s.limits)
        return EarnRule(
            source=self._source(s),
            points=Fraction(s.points.value),
            trigger=self._trigger(s.trigger),
            per=money_value(s.per, self.settings.currency) if s.per is not None else None,
            of_items=s.items_where is not None,
            per_item=s.per_item_where is not None,
            during=self._period(s.during),
            limit=limit,
            per_period=per_period,
        )

    def _bonus(self, s: ast.Bonus) -> BonusRule:
        return BonusRule(self._source(s), Fraction(s.factor.value), self._trigger(s.trigger), self._period(s.during))

    def _earning(self, earn: list[tuple[ast.Earn, EarnRule]],
                 bonuses: list[tuple[ast.Bonus, BonusRule]]) -> dict[tuple[str, str | None], EarningPlan]:
        """Per trigger, its earn rules and bonuses in rulebook order, as one generated function."""
        plans: dict[tuple[str, str | None], tuple[list[earning.EarnPart], list[earning.BonusPart]]] = {}
        constants: dict[str, Any] = {}  # the namespace of all the plans' functions

        def key(trigger: Trigger) -> tuple[list[earning.EarnPart], list[earning.BonusPart]]:
            return plans.setdefault((trigger.kind, trigger.name), ([], []))

        for s, rule in earn:
            items = s.items_where or s.per_item_where
            key(rule.trigger)[0].append(earning.EarnPart(rule, self._expr(s.when, constants),
                                                         self._expr(items, constants), _failure(s)))
        for s, bonus in bonuses:
            key(bonus.trigger)[1].append(earning.BonusPart(bonus, self._expr(s.when, constants), _failure(s)))
        return earning.plans(plans, constants, self.settings, self.rulebook.path)

    def _ladder(self, tiers: list[ast.TierDef]) -> Any:
        """The tiers above the base, highest first, as one function with their conditions inline:
        `if CONDITION: return RANK` for each, then 0. An error names the rule, and the tier for the engine."""
        constants: dict[str, Any] = {}
        w = codegen.Writer(constants)
        w.function("ladder", "e, m")
        above = list(reversed(list(enumerate(tiers))[1:]))
        conditions = codegen.shared_reads(w, [self._expr(tier.condition, constants) for _, tier in above])
        for (rank, tier), condition in zip(above, conditions):
            w.line("try:")
            w.line(f"    if {w.expr(condition)}:")
            w.line(f"        return {w.number(rank)}")
            w.line("except _EvaluationError as err:")
            w.line(f"    raise _TierConditionError({w.const(tier.name)}, {w.const(_failure(tier))}(err)) from err")
        w.line("return 0")
        return w.compile(f"<{self.rulebook.path}: tiers>", {"_TierConditionError": runtime.TierConditionError})["ladder"]

    # --- conditions ---------------------------------------------------------------------

    def _expr(self, expr: ast.Expr | None, constants: dict[str, Any]) -> py.expr | None:
        if expr is None:
            return None
        return _ExprCompiler(self.checked, self.settings.currency, self.windows, self.registry, constants,
                             self.functions).expr(expr)

    def _condition(self, expr: ast.Expr | None, st: ast.Statement) -> Condition | None:
        if expr is None:
            return None
        constants: dict[str, Any] = {}
        body = self._expr(expr, constants)
        return self._function("condition", ("e", "m", "i"), [py.Return(body)], st, constants)

    def _function(self, name: str, args: tuple[str, ...], body: list[py.stmt], st: ast.Statement,
                  constants: dict[str, Any]) -> Any:
        """def NAME(ARGS): try: BODY / except EvaluationError as err: raise _fail(err) from err

        (a `try` costs nothing until something raises, and the error then names its rule).
        """
        error = py.Name(id="err", ctx=py.Load())
        handler = py.ExceptHandler(type=py.Name(id="_EvaluationError", ctx=py.Load()), name="err",
                                   body=[py.Raise(exc=_call("_fail", error), cause=error)])
        function = py.FunctionDef(
            name=name,
            args=py.arguments(posonlyargs=[], args=[py.arg(a) for a in args], kwonlyargs=[], kw_defaults=[],
                              defaults=[]),
            body=[py.Try(body=body, handlers=[handler], orelse=[], finalbody=[])],
            decorator_list=[])
        tree = py.Module(body=[function], type_ignores=[])
        py.fix_missing_locations(tree)
        code = compile(tree, f"<{self.rulebook.path}:{st.span.line}>", "exec")
        namespace = codegen.globals_of(runtime.HELPERS, constants,
                                       {"_EvaluationError": runtime.EvaluationError, "_fail": _failure(st)})
        exec(code, namespace)  # noqa: S102 - a code object we built from checked nodes, not user text
        return namespace[name]


class _ExprCompiler:
    """Translates one checked expression; constants that Python literals cannot hold go in `constants`."""

    def __init__(self, checked: Checked, currency: str, windows: tuple[int, ...], registry: Registry,
                 constants: dict[str, Any], plugins: set[str]) -> None:
        self.checked = checked
        self.currency = currency
        self.windows = windows
        self.registry = registry
        self.constants = constants
        self.plugins = plugins

    def const(self, value: Any) -> py.expr:
        if isinstance(value, (int, str, bool)) or value is None:
            return py.Constant(value)
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return py.Name(id=name, ctx=py.Load())

    def typed_any(self, node: ast.Expr) -> bool:
        return self.checked.types.get(id(node)) == "any"

    def expr(self, node: ast.Expr) -> py.expr:
        value = self.literal(node)
        if value is not _UNKNOWN:
            return self.const(value)
        if isinstance(node, ast.ListLit):
            values = [self.literal(item) for item in node.items]
            if _UNKNOWN not in values:  # a list written out in full is looked up as a set
                return self.const(frozenset(values))
            return py.Tuple(elts=[self.expr(item) for item in node.items], ctx=py.Load())
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self.name(self.checked.names[id(node)])
        if isinstance(node, ast.Call):
            helper = f"_fn_{node.name}"
            function = self.registry.functions[node.name]
            self.constants[helper] = runtime.guarded(function)
            self.plugins.add(function.plugin)
            return _call(helper, *(self.expr(a.value) for a in node.args))
        if isinstance(node, ast.Not):
            return py.UnaryOp(op=py.Not(), operand=self.expr(node.operand))
        if isinstance(node, ast.Negate):
            operand = self.expr(node.operand)
            return _call("_neg", operand) if self.typed_any(node.operand) else py.UnaryOp(op=py.USub(), operand=operand)
        if isinstance(node, ast.BoolOp):
            op = py.And() if node.op == "and" else py.Or()
            return py.BoolOp(op=op, values=[self.expr(o) for o in node.operands])
        if isinstance(node, ast.Arith):
            return self.arith(node)
        assert isinstance(node, ast.Compare)
        return self.compare(node)

    def literal(self, node: ast.Expr) -> Any:
        """The value of a node known before any event, or _UNKNOWN."""
        if isinstance(node, ast.Money):
            return money_value(node, self.currency)
        if isinstance(node, ast.Number):
            return exact(node.value)
        if isinstance(node, ast.Percent):
            return exact(node.value / 100)
        if isinstance(node, (ast.String, ast.Boolean)):
            return node.value
        if isinstance(node, ast.DateLit):
            return self.checked.dates[id(node)]
        if isinstance(node, ast.Name) and self.checked.names[id(node)].kind in ("tier_const", "weekday_const"):
            return self.checked.names[id(node)].key
        return _UNKNOWN

    def name(self, meaning: Resolution) -> py.expr:
        if meaning.kind == "spend_window":
            return py.Subscript(value=_attr("m", "spend_windows"), slice=py.Constant(self.windows.index(meaning.key)), ctx=py.Load())
        if meaning.kind == "count_window":
            return py.Subscript(value=_attr("m", "count_windows"), slice=py.Constant(self.windows.index(meaning.key)), ctx=py.Load())
        if meaning.kind in ("tier_const", "weekday_const"):
            return py.Constant(meaning.key)
        return _CONTEXT[meaning.kind](meaning.key)

    def arith(self, node: ast.Arith) -> py.expr:
        left, right = self.expr(node.left), self.expr(node.right)
        if node.op == "/":
            return _call("_div", left, right)
        if self.typed_any(node.left) or self.typed_any(node.right):
            return _call(_SAFE_ARITH[node.op], left, right)
        return py.BinOp(left=left, op=_ARITH[node.op](), right=right)

    def compare(self, node: ast.Compare) -> py.expr:
        left, right = self.expr(node.left), self.expr(node.right)
        loose = self.typed_any(node.left) or self.typed_any(node.right)
        if node.op in ("in", "not in") and not loose:
            # Both types known, and the checker refuses to look for a number among texts: Python's own test
            # answers as `_in` would (a missing amount is in no list), without its call.
            return py.Compare(left=left, ops=[py.In() if node.op == "in" else py.NotIn()], comparators=[right])
        if node.op in ("in", "not in"):
            test = _call("_in", left, right)
            return py.UnaryOp(op=py.Not(), operand=test) if node.op == "not in" else test
        if node.op in ("==", "!=") and loose:
            test = _call("_eq", left, right)
            return py.UnaryOp(op=py.Not(), operand=test) if node.op == "!=" else test
        if node.op in ("==", "!="):
            op = py.Eq() if node.op == "==" else py.NotEq()
            return py.Compare(left=left, ops=[op], comparators=[right])
        if loose:
            return _call(_SAFE_ORDERING[node.op], left, right)
        return py.Compare(left=left, ops=[_ORDERING[node.op]()], comparators=[right])


def _without_comment(row: str) -> str:
    in_text = escaped = False
    for at, ch in enumerate(row):
        if in_text:
            in_text, escaped = (escaped or ch != '"'), (not escaped and ch == "\\")
        elif ch == '"':
            in_text = True
        elif ch == "#":
            return row[:at]
    return row


def _failure(st: ast.Statement) -> Any:
    """Builds the error that tells which rule could not be evaluated, and why."""
    rule = f"rule `{st.label}` (line {st.span.line})" if st.label else f"the rule on line {st.span.line}"

    def fail(err: runtime.EvaluationError) -> runtime.EvaluationError:
        return runtime.EvaluationError(f"{rule} could not be evaluated: {err}")

    return fail


_UNKNOWN = object()
