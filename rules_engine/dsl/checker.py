"""The checker: everything that can be known about a rulebook before any event.

It resolves settings, tiers and names, infers the type of every condition and
validates plugin arguments, collecting every problem as a located diagnostic with
a suggestion where a valid name is close. The compiler only ever sees rulebooks
that passed this check, together with what the check learned (`Checked`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import ValidationError

from rules_engine.events import Amount, exact
from rules_engine.ledger import MAX_POINTS
from rules_engine.calendars import resolve_date
from rules_engine.dsl import ast
from rules_engine.dsl.diagnostics import TYPO, DiagnosticSink, did_you_mean, nearest
from rules_engine.dsl.names import (
    EVENT_NAMES, ITEM_NAMES, MAX_WINDOW_DAYS, MEMBER_NAMES, NEAR_WINDOW, SCOPES, TIME_NAMES, WEEKDAYS, WINDOW,
    Resolution, Type, Where, window_candidates,
)
from rules_engine.plugins.registry import Registry

MAX_EXPRESSION_DEPTH = 64
# Longer periods would move an event's time out of the dates Python can hold; nothing a
# loyalty program means lasts longer than a century anyway.
MAX_DURATION = {"days": 36_525, "weeks": 5_217, "months": 1_200, "years": 100}


@dataclass(frozen=True, slots=True)
class Settings:
    program: str = ""
    currency: str = "toman"
    calendar: str = "gregorian"
    timezone: str = "UTC"
    point_value: Amount = 0

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass
class Checked:
    """What the check learned, for the compiler: settings, tier ranks, and per-node facts."""

    settings: Settings
    tiers: tuple[str, ...]
    names: dict[int, Resolution] = field(default_factory=dict)  # id(node) -> meaning
    types: dict[int, Type] = field(default_factory=dict)  # id(node) -> type
    dates: dict[int, date] = field(default_factory=dict)  # id(DateLit) -> Gregorian date
    params: dict[int, Any] = field(default_factory=dict)  # id(Call) -> validated plugin parameters
    windows: set[int] = field(default_factory=set)  # the spend_Nd / count_Nd windows in use


def money_value(node: ast.Money | ast.Number, currency: str) -> Amount:
    """A money literal in the rulebook currency (1 toman = 10 rial)."""
    if isinstance(node, ast.Number) or node.unit == currency:
        return exact(node.value)
    return exact(node.value * 10 if currency == "rial" else node.value / 10)


class Checker:
    def __init__(self, rulebook: ast.Rulebook, registry: Registry, sink: DiagnosticSink) -> None:
        self.rulebook = rulebook
        self.registry = registry
        self.sink = sink
        self.settings = self._settings()
        self.tier_names = self._tiers()
        self.checked = Checked(self.settings, self.tier_names)

    # --- settings and tiers --------------------------------------------------------

    def _settings(self) -> Settings:
        seen: dict[str, ast.Setting] = {}
        values: dict[str, Any] = {}
        for st in self.rulebook.statements:
            if not isinstance(st, ast.Setting):
                continue
            if st.key in seen:
                self.sink.add(st.span, f"`{st.key}` is already set on line {seen[st.key].span.line}",
                              "keep one of the two lines")
                continue
            seen[st.key] = st
            value = st.value
            if st.key in ("currency", "calendar"):
                options = ("toman", "rial") if st.key == "currency" else ("jalali", "gregorian")
                word = value.name.lower()  # type: ignore[union-attr]
                if word in options:
                    values[st.key] = word
                else:
                    self.sink.add(value.span, f"unknown {st.key} `{value.name}`; it is one of: {', '.join(options)}",  # type: ignore[union-attr]
                                  did_you_mean(word, options))
            elif st.key == "timezone":
                try:
                    ZoneInfo(value.value)  # type: ignore[union-attr]
                    values["timezone"] = value.value  # type: ignore[union-attr]
                except (ZoneInfoNotFoundError, ValueError):
                    self.sink.add(value.span, f"unknown time zone \"{value.value}\"",  # type: ignore[union-attr]
                                  _did_you_mean_zone(value.value))  # type: ignore[union-attr]
            elif st.key == "program":
                values["program"] = value.value  # type: ignore[union-attr]
            else:
                values["point value"] = value
        point_value = values.pop("point value", None)
        settings = Settings(**values)
        if point_value is not None:
            settings = Settings(**{**values, "point_value": money_value(point_value, settings.currency)})
        return settings

    def _tiers(self) -> tuple[str, ...]:
        names: list[str] = []
        reserved = set(EVENT_NAMES) | set(MEMBER_NAMES) | set(TIME_NAMES) | set(ITEM_NAMES) | set(WEEKDAYS)
        for st in self.rulebook.statements:
            if not isinstance(st, ast.TierDef):
                continue
            if st.name in names:
                self.sink.add(st.name_span, f"tier `{st.name}` is defined twice", "give each tier its own name")
                continue
            if st.name in reserved or st.name.lower() in WEEKDAYS or WINDOW.fullmatch(st.name):
                self.sink.add(st.name_span, f"`{st.name}` is a built-in name and cannot name a tier",
                              "choose another name, like bronze, silver or gold")
                continue
            if not names and st.condition is not None:
                self.sink.add(st.span, f"the first tier (`{st.name}`) is where every member starts, so it cannot have a condition",
                              f"write `tier {st.name}` alone, or add a base tier line before it")
            elif names and st.condition is None:
                self.sink.add(st.span, f"tier `{st.name}` needs a condition that qualifies members for it",
                              f"for example `tier {st.name} when spend_90d >= 2m`")
            names.append(st.name)
        return tuple(names)

    # --- statements ------------------------------------------------------------------

    def run(self) -> Checked:
        once: dict[type, ast.Statement] = {}
        rewards: dict[str, ast.Reward] = {}
        offers: dict[str, ast.Offer] = {}
        labels: dict[str, ast.Statement] = {}
        for st in self.rulebook.statements:
            if st.label is not None:
                if st.label in labels:
                    self._duplicate_label(st, labels[st.label])
                labels.setdefault(st.label, st)
            if isinstance(st, (ast.TierGrace, ast.Expiry)):
                if type(st) in once:
                    what = "tier downgrade grace" if isinstance(st, ast.TierGrace) else "point expiry"
                    self.sink.add(st.span, f"the {what} is already set on line {once[type(st)].span.line}",
                                  "keep one of the two lines")
                once[type(st)] = st
            if isinstance(st, ast.TierDef):
                if st.condition is not None:
                    self._condition(st.condition, "tier")
            elif isinstance(st, ast.TierGrace):
                self._duration(st.duration)
                if not self.tier_names:
                    self.sink.add(st.span, "a downgrade grace period needs tiers", "define tiers with `tier NAME when …`")
            elif isinstance(st, ast.Earn):
                self._earn(st)
            elif isinstance(st, ast.Bonus):
                self._positive(st.factor, "a bonus factor")
                self._event_clauses(st.when, st.during)
                for limit in st.limits:
                    self.sink.add(limit.span, "a bonus cannot have a limit",
                                  "a bonus only multiplies what earn rules gave: put the limit on the earn rule, "
                                  "or cap the points with `cap N points per DURATION`")
            elif isinstance(st, ast.Cap):
                self._whole(st.points, "a cap")
                self._duration(st.window)
            elif isinstance(st, ast.Expiry):
                self._duration(st.after)
            elif isinstance(st, ast.Reward):
                if st.id in rewards:
                    self.sink.add(st.id_span, f"reward `{st.id}` is already defined on line {rewards[st.id].span.line}",
                                  "give each reward its own id")
                rewards[st.id] = st
                self._whole(st.cost, "a reward's cost")
                self._limits(st.limits)
                self._reward_kind(st.gives)
                if st.when is not None:
                    self._condition(st.when, "event")
            elif isinstance(st, ast.Perk):
                self._tier_ref(st.tier, st.tier_span)
                self._reward_kind(st.gives)
            elif isinstance(st, ast.Offer):
                if st.ref.value in offers:
                    self.sink.add(st.ref.span, f"the offer \"{st.ref.value}\" is already listed on line "
                                  f"{offers[st.ref.value].span.line}", "keep one of the two lines")
                offers.setdefault(st.ref.value, st)
                self._offer(st)
        return self.checked

    def _duplicate_label(self, st: ast.Statement, first: ast.Statement) -> None:
        """A warning, not an error: the rules still work, but reports could not tell them apart."""
        line = self.sink.line_text(st.span.line)
        column = line.rfind(st.label or "", 0, st.span.column) + 1
        span = ast.Span(st.span.line, column, st.span.line, column + len(st.label or "")) if column else st.span
        self.sink.add(span, f"the label `{st.label}` is already used on line {first.span.line}",
                      "give each rule its own label, so reports and explanations can tell them apart", "warning")

    def _earn(self, st: ast.Earn) -> None:
        self._positive(st.points, "points")
        if st.per is not None and money_value(st.per, self.settings.currency) <= 0:
            self.sink.add(st.per.span, "the amount after `per` must be above zero", "for example 10000 toman")
        for where in (st.items_where, st.per_item_where):
            if where is not None:
                self._condition(where, "item")
                if st.trigger is not None and st.trigger.kind != "purchase":
                    self.sink.add(st.trigger.span, "only purchases have items", "remove the `on …` clause")
        self._event_clauses(st.when, st.during)
        self._limits(st.limits)

    def _limits(self, limits: tuple[ast.Limit, ...]) -> None:
        """Each limit is a count of at least 1 over a valid period; two over the same period would hide one."""
        seen: dict[tuple[Decimal, str] | None, ast.Limit] = {}
        for limit in limits:
            self._whole(limit.count, "a limit", minimum=1)
            if limit.window is not None:
                self._duration(limit.window)
            key = _period_key(limit.window)
            first = seen.setdefault(key, limit)
            if first is not limit:
                period = "member" if first.window is None else _written(first.window)
                again = "member" if limit.window is None else _written(limit.window)
                same = "" if again == period else f", the same period as {again}"
                self.sink.add(limit.span, f"this rule already has a limit per {period}{same}",
                              "keep one of the two (the smaller count decides anyway); limits over different "
                              "periods may go together, like `limit 1 per 1 day limit 4 per 30 days`")

    def _event_clauses(self, when: ast.Expr | None, during: ast.Period | None) -> None:
        if when is not None:
            self._condition(when, "event")
        if during is not None:
            start, end = self._date(during.start), self._date(during.end)
            if start and end and start > end:
                self.sink.add(during.span, "this period ends before it starts", "write the earlier date first")

    def _positive(self, node: ast.Number, what: str) -> None:
        if node.value <= 0:
            self.sink.add(node.span, f"{what} must be above zero")
        self._at_most(node, what)

    def _at_most(self, node: ast.Number, what: str) -> None:
        """Points, costs and factors beyond what a ledger keeps (ledger.MAX_POINTS) are a slip of the zeros."""
        if node.value > MAX_POINTS:
            self.sink.add(node.span, f"{what} must be at most {MAX_POINTS:,}", "check the number of zeros")

    def _whole(self, node: ast.Number, what: str, minimum: int = 0) -> None:
        whole = node.value == node.value.to_integral_value()
        if whole and node.value >= minimum:
            self._at_most(node, what)
            return
        below, above = math.floor(node.value), math.ceil(node.value)
        hint = f"write {below} or {above}" if not whole and below >= minimum else f"for example {max(minimum, above, 1)}"
        self.sink.add(node.span, f"{what} must be a whole number" + (f" of at least {minimum}" if minimum else ""), hint)

    def _duration(self, node: ast.Duration) -> None:
        example = {"days": "30 days", "weeks": "2 weeks", "months": "6 months", "years": "1 year"}[node.unit]
        if node.count != node.count.to_integral_value() or node.count < 1:
            self.sink.add(node.span, "a duration is a whole number of at least 1", f"for example {example}")
        elif node.count > MAX_DURATION[node.unit]:
            self.sink.add(node.span, f"a duration is at most {MAX_DURATION[node.unit]:,} {node.unit} (a century)",
                          f"for example {example}")

    def _date(self, node: ast.DateLit) -> date | None:
        try:
            value = resolve_date(self.settings.calendar, node.year, node.month, node.day)
        except ValueError as err:
            hint = "set `calendar jalali` if this is a Jalali date" if self.settings.calendar == "gregorian" and node.year < 1600 else None
            self.sink.add(node.span, str(err), hint)
            return None
        self.checked.dates[id(node)] = value
        return value

    def _tier_ref(self, name: str, span: ast.Span) -> bool:
        if name in self.tier_names:
            return True
        if not self.tier_names:
            self.sink.add(span, f"`{name}` is not a tier: this program has no tiers", "define tiers with `tier NAME …`")
        else:
            self.sink.add(span, f"unknown tier `{name}`", did_you_mean(name, self.tier_names) or
                          "the tiers are: " + ", ".join(self.tier_names))
        return False

    def _reward_kind(self, call: ast.Call) -> None:
        kind = self.registry.reward_types.get(call.name)
        if kind is None:
            known = sorted(self.registry.reward_types)
            self.sink.add(call.span, f"unknown reward type `{call.name}`",
                          did_you_mean(call.name, known) or ("the reward types are: " + ", ".join(known) if known else
                                                             "no plugin provides reward types"))
            return
        args: dict[str, Any] = {}
        spans: dict[str, ast.Span] = {}
        fields = kind.params.model_fields
        for arg in call.args:
            if arg.name is None:
                self.sink.add(arg.span, f"name this argument, like `{call.name}({next(iter(fields), 'name')}: …)`")
                return
            if arg.name not in fields:
                self.sink.add(arg.span, f"`{call.name}` has no parameter `{arg.name}`",
                              did_you_mean(arg.name, fields) or "its parameters are: " + (", ".join(fields) or "none"))
                return
            if arg.name in args:
                self.sink.add(arg.span, f"`{arg.name}` is given twice", "keep one of the two")
                return
            value = self._constant(arg.value)
            if value is _NOT_CONSTANT:
                return
            args[arg.name], spans[arg.name] = value, arg.span
        try:
            self.checked.params[id(call)] = kind.params.model_validate(args)
        except ValidationError as err:
            for problem in err.errors():
                where = str(problem["loc"][0]) if problem["loc"] else ""
                self.sink.add(spans.get(where, call.span),
                              f"`{call.name}`: {'`' + where + '` ' if where else ''}{_plugin_problem(problem)}")

    def _constant(self, node: ast.Expr) -> Any:
        if isinstance(node, ast.Money):
            return money_value(node, self.settings.currency)
        if isinstance(node, (ast.Number, ast.Percent)):
            return exact(node.value)
        if isinstance(node, ast.Negate) and isinstance(node.operand, (ast.Number, ast.Money)):
            return -self._constant(node.operand)  # the plugin's model decides whether a negative value is allowed
        if isinstance(node, (ast.String, ast.Boolean)):
            return node.value
        if isinstance(node, ast.DateLit):
            return self._date(node)
        if isinstance(node, ast.ListLit):
            items = [self._constant(item) for item in node.items]
            return _NOT_CONSTANT if _NOT_CONSTANT in items else items
        self.sink.add(node.span, "a plugin argument must be written out (a number, amount, percent, text, date or list)")
        return _NOT_CONSTANT

    def _offer(self, st: ast.Offer) -> None:
        ref = st.ref.value
        if ":" not in ref:
            self.sink.add(st.ref.span, f"an offer is named \"PARTNER:OFFER\", not \"{ref}\"", 'for example "fitland:gym-20"')
        elif ref not in self.registry.offers:
            known = sorted(self.registry.offers)
            self.sink.add(st.ref.span, f"no installed partner plugin provides the offer \"{ref}\"",
                          did_you_mean(ref, known) or ("the offers are: " + ", ".join(known) if known else
                                                       "install the partner's plugin; `loyalty plugins` lists what is installed"))
        if st.cost is not None:
            self._whole(st.cost, "an offer's cost")
        if st.when is not None:
            self._condition(st.when, "event")

    # --- expressions -------------------------------------------------------------------

    def _condition(self, expr: ast.Expr, where: Where) -> None:
        if _depth(expr) > MAX_EXPRESSION_DEPTH:
            self.sink.add(expr.span, f"this condition is nested more than {MAX_EXPRESSION_DEPTH} levels deep",
                          "split it into simpler rules")
            return
        found = self._type(expr, where)
        if found not in ("bool", "any", None):
            self.sink.add(expr.span, f"a condition must be true or false, but this is {_a(found)}",
                          "compare it with something, like `amount >= 100000`")

    def _type(self, expr: ast.Expr, where: Where) -> Type | None:
        """The type of an expression, or None when a problem was already reported inside it."""
        found = self._infer(expr, where)
        if found is not None:
            self.checked.types[id(expr)] = found
        return found

    def _infer(self, expr: ast.Expr, where: Where) -> Type | None:
        if isinstance(expr, (ast.Number, ast.Money, ast.Percent)):
            return "number"
        if isinstance(expr, ast.String):
            return "string"
        if isinstance(expr, ast.Boolean):
            return "bool"
        if isinstance(expr, ast.DateLit):
            return "date" if self._date(expr) else None
        if isinstance(expr, ast.ListLit):
            return self._list(expr, where)
        if isinstance(expr, ast.Name):
            return self._name(expr, where)
        if isinstance(expr, ast.Attribute):
            return self._attribute(expr, where)
        if isinstance(expr, ast.Call):
            return self._call(expr, where)
        if isinstance(expr, (ast.Not, ast.BoolOp)):
            operands = (expr.operand,) if isinstance(expr, ast.Not) else expr.operands
            for operand in operands:
                found = self._type(operand, where)
                if found not in ("bool", "any", None):
                    need = "`not` needs true or false after it" if isinstance(expr, ast.Not) else \
                        f"`{expr.op}` needs true or false on each side"
                    self.sink.add(operand.span, f"{need}, but this is {_a(found)}",
                                  "compare it with something, like `amount >= 100000`")
            return "bool"
        if isinstance(expr, ast.Negate):
            return self._numeric(expr.operand, where, "-")
        if isinstance(expr, ast.Arith):
            left = self._numeric(expr.left, where, expr.op)
            right = self._numeric(expr.right, where, expr.op)
            return None if left is None or right is None else ("any" if "any" in (left, right) else "number")
        assert isinstance(expr, ast.Compare)
        return self._compare(expr, where)

    def _numeric(self, expr: ast.Expr, where: Where, op: str) -> Type | None:
        found = self._type(expr, where)
        if found not in ("number", "any", None):
            self.sink.add(expr.span, f"`{op}` works on numbers and amounts, but this is {_a(found)}")
            return None
        return found

    def _list(self, expr: ast.ListLit, where: Where) -> Type | None:
        kinds = [self._type(item, where) for item in expr.items]
        if None in kinds:
            return None
        distinct = {k for k in kinds if k != "any"}
        if len(distinct) > 1:
            self.sink.add(expr.span, "a list holds values of one kind, but this one mixes " +
                          " and ".join(_plural(k) for k in sorted(distinct)), "split it into one list per kind")
            return None
        return f"list[{distinct.pop() if distinct else 'any'}]"

    def _compare(self, expr: ast.Compare, where: Where) -> Type | None:
        left, right = self._type(expr.left, where), self._type(expr.right, where)
        if left is None or right is None:
            return "bool"
        if expr.op in ("in", "not in"):
            if right == "any":
                return "bool"
            if not right.startswith("list["):
                self.sink.add(expr.right.span, f"`{expr.op}` needs a list on its right, like [friday, saturday]")
            elif not _compatible(left, right[5:-1]):
                self.sink.add(expr.span, f"cannot look for {_a(left)} in a list of {_plural(right[5:-1])}",
                              self._mismatch_hint(expr.left, right[5:-1]))
            return "bool"
        if not _compatible(left, right):
            hint = self._mismatch_hint(expr.left, right) or self._mismatch_hint(expr.right, left)
            self.sink.add(expr.span, f"cannot compare {_a(left)} with {_a(right)}", hint)
        elif expr.op not in ("==", "!=") and left in ("string", "bool", "weekday") and right != "any":
            self.sink.add(expr.span, f"`{expr.op}` cannot order {_plural(left)}", "use `==`, `!=` or `in`")
        return "bool"

    def _mismatch_hint(self, node: ast.Expr, wanted: Type) -> str | None:
        """How to fix the usual cause of a type mismatch: a name written in quotes."""
        if not isinstance(node, ast.String):
            return None
        if node.value in self.tier_names:
            return f"write the tier name without quotes: {node.value}" if wanted == "tier" else \
                f"to test a member's tier, write `tier >= {node.value}`"
        if wanted == "weekday" and node.value.lower() in WEEKDAYS:
            return f"write the weekday without quotes: {node.value.lower()}"
        if wanted == "number":
            return "an amount is written without quotes, like 2m or 500000"
        return None

    def _name(self, expr: ast.Name, where: Where) -> Type | None:
        name = expr.name
        if name in ITEM_NAMES:
            if where == "item":
                return self._resolve(expr, Resolution("item", name), ITEM_NAMES[name])
            self.sink.add(expr.span, f"`{name}` is a field of a purchase's items",
                          "use it inside `of items where …` or `per item where …`")
            return None
        if name in EVENT_NAMES:
            if where == "tier":
                return self._tier_context_error(expr)
            kind = "event" if name in ("amount", "first_purchase") else "event_field"  # channel, store: plain fields
            return self._resolve(expr, Resolution(kind, name), EVENT_NAMES[name])
        if name in MEMBER_NAMES:
            if name == "tier":
                if not self.tier_names:
                    self.sink.add(expr.span, "this program has no tiers", "define tiers with `tier NAME …`")
                    return None
                if where == "tier":
                    self.sink.add(expr.span, "a tier condition cannot depend on the tier itself",
                                  "use member figures like spend_90d or count_30d")
                    return None
            return self._resolve(expr, Resolution("member", name), MEMBER_NAMES[name])
        if name in TIME_NAMES:
            return self._resolve(expr, Resolution("time", name), TIME_NAMES[name])
        window = WINDOW.fullmatch(name)
        near = window or NEAR_WINDOW.fullmatch(name)  # a near miss such as spend_90 or count30d is one too
        if near and not 1 <= int(near.group(2)) <= MAX_WINDOW_DAYS:
            self.sink.add(expr.span, f"a window is 1 to {MAX_WINDOW_DAYS} days long", "for example spend_90d or count_30d")
            return None
        if window:
            days = int(window.group(2))
            self.checked.windows.add(days)
            return self._resolve(expr, Resolution(f"{window.group(1)}_window", days), "number")  # type: ignore[arg-type]
        if name in self.tier_names:
            return self._resolve(expr, Resolution("tier_const", self.tier_names.index(name)), "tier")
        if name.lower() in WEEKDAYS:
            return self._resolve(expr, Resolution("weekday_const", WEEKDAYS.index(name.lower())), "weekday")
        known = self._known_names(where) + window_candidates(name)
        guess = nearest(name, known) if where == "tier" else nearest(name, known, cutoff=TYPO)
        if guess is None and where != "tier":
            if where == "item":  # a designer filtering items most likely meant the item's own field
                self.sink.add(expr.span, f"`{name}` is read from the purchase, not from each item",
                              f"write `item.{name}` for the item's own field, or `purchase.{name}` to keep this meaning",
                              "warning")
            return self._resolve(expr, Resolution("event_field", name), "any")
        if where == "tier" and guess is None:
            self.sink.add(expr.span, f"unknown name `{name}`",
                          "tier conditions can use spend_Nd, count_Nd, spend_total, count_total, points, member.NAME, date, weekday and hour")
            return None
        field_hint = f" If `{name}` is a field of your purchase data, write `purchase.{name}`." if where != "tier" and \
            guess not in self.tier_names and guess not in WEEKDAYS else ""
        self.sink.add(expr.span, f"unknown name `{name}`", f"did you mean `{guess}`?{field_hint}")
        return None

    def _tier_context_error(self, expr: ast.Name | ast.Attribute) -> None:
        self.sink.add(expr.span, "tier conditions are also checked between events, so they cannot read the event",
                      "use member figures like spend_30d, count_90d or spend_total")
        return None

    def _known_names(self, where: Where) -> list[str]:
        names = list(MEMBER_NAMES) + list(TIME_NAMES) + list(self.tier_names) + list(WEEKDAYS)
        names += ["spend_30d", "spend_90d", "spend_365d", "count_30d", "count_90d", "count_365d"]
        if where != "tier":
            names += list(EVENT_NAMES)
        if where == "item":
            names += list(ITEM_NAMES)
        return names

    def _attribute(self, expr: ast.Attribute, where: Where) -> Type | None:
        if expr.scope == "member":
            return self._resolve(expr, Resolution("member_attr", expr.name), "any")
        if expr.scope == "purchase":
            if where == "tier":
                return self._tier_context_error(expr)
            return self._resolve(expr, Resolution("event_field", expr.name), "any")
        if expr.scope == "item":
            if where != "item":
                self.sink.add(expr.span, "`item.…` is only known inside `of items where …` or `per item where …`")
                return None
            return self._resolve(expr, Resolution("item_field", expr.name), "any")
        self.sink.add(expr.span, f"unknown `{expr.scope}.…`", did_you_mean(expr.scope, SCOPES) or
                      "write member.NAME, purchase.NAME or item.NAME")
        return None

    def _call(self, expr: ast.Call, where: Where) -> Type | None:
        fn = self.registry.functions.get(expr.name)
        if fn is None:
            known = sorted(self.registry.functions)
            self.sink.add(expr.span, f"unknown function `{expr.name}`",
                          did_you_mean(expr.name, known) or ("the functions are: " + ", ".join(known) if known else None))
            return None
        signature = f"{fn.name}({', '.join(fn.params)})"
        if any(a.name is not None for a in expr.args):
            self.sink.add(expr.span, f"`{fn.name}` takes its arguments in order, without names: {signature}")
            return None
        if len(expr.args) != len(fn.params):
            count = f"{len(fn.params)} argument{'' if len(fn.params) == 1 else 's'}"
            self.sink.add(expr.span, f"`{fn.name}` takes {count}, not {len(expr.args)}: {signature}")
            return None
        for arg, expected in zip(expr.args, fn.params):
            found = self._type(arg.value, where)
            if found is not None and not _compatible(found, expected):
                self.sink.add(arg.span, f"`{fn.name}` expects {_a(expected)} here, but this is {_a(found)}")
        return fn.returns

    def _resolve(self, node: ast.Name | ast.Attribute, meaning: Resolution, found: Type) -> Type:
        self.checked.names[id(node)] = meaning
        return found


_NOT_CONSTANT = object()


def _compatible(a: Type, b: Type) -> bool:
    return a == b or "any" in (a, b) or (a.startswith("list[") and b.startswith("list[") and _compatible(a[5:-1], b[5:-1]))


def _a(type_: Type) -> str:
    words = {"number": "a number", "string": "a text", "bool": "true/false", "date": "a date",
             "weekday": "a weekday", "tier": "a tier", "any": "a value"}
    return words.get(type_, f"a list of {type_[5:-1]}s" if type_.startswith("list[") else type_)


def _period_key(window: ast.Duration | None) -> tuple[Decimal, str] | None:
    """The same period however it is written: 7 days is 1 week, 12 months is 1 year; None is ever."""
    if window is None:
        return None
    if window.unit == "weeks":
        return (window.count * 7, "days")
    if window.unit == "years":
        return (window.count * 12, "months")
    return (window.count, window.unit)


def _written(window: ast.Duration) -> str:
    count = f"{window.count.normalize():f}"
    return f"{count} {window.unit if count != '1' else window.unit[:-1]}"


def _did_you_mean_zone(name: str) -> str:
    zone = nearest(name, available_timezones())
    return f'did you mean "{zone}"?' if zone else 'use an IANA name like "Asia/Tehran"'


def _plural(type_: Type) -> str:
    return {"string": "texts", "bool": "true/false values", "any": "values"}.get(type_, type_ + "s")


# Pydantic's complaints about plugin arguments, in a designer's words.
_PLUGIN_PROBLEMS = {
    "missing": "is required", "extra_forbidden": "is not a parameter",
    "string_type": "must be a text in quotes", "string_too_short": "cannot be empty",
    "int_type": "must be a whole number", "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number", "decimal_type": "must be a number or an amount",
    "decimal_parsing": "must be a number or an amount", "bool_type": "must be true or false",
    "list_type": "must be a list, like [\"A\", \"B\"]", "date_type": "must be a date",
}
_PLUGIN_BOUNDS = {"greater_than": "above {gt}", "greater_than_equal": "at least {ge}",
                  "less_than": "below {lt}", "less_than_equal": "at most {le}"}


def _plugin_problem(problem: Any) -> str:
    kind, ctx = problem["type"], problem.get("ctx") or {}
    if kind in _PLUGIN_BOUNDS:
        return "must be " + _PLUGIN_BOUNDS[kind].format(**{k: _show(v) for k, v in ctx.items()})
    if kind in _PLUGIN_PROBLEMS:
        return _PLUGIN_PROBLEMS[kind]
    message = str(problem["msg"]).removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _show(value: Any) -> str:
    return f"{value:,}" if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else str(value)


def _children(expr: ast.Expr) -> Iterator[ast.Expr]:
    if isinstance(expr, (ast.Not, ast.Negate)):
        yield expr.operand
    elif isinstance(expr, ast.BoolOp):
        yield from expr.operands
    elif isinstance(expr, (ast.Compare, ast.Arith)):
        yield expr.left
        yield expr.right
    elif isinstance(expr, ast.ListLit):
        yield from expr.items
    elif isinstance(expr, ast.Call):
        yield from (a.value for a in expr.args)


def _depth(expr: ast.Expr) -> int:
    """Nesting depth without recursion, so a hostile rulebook cannot exhaust the stack here."""
    deepest, stack = 0, [(expr, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in _children(node))
    return deepest


def check(rulebook: ast.Rulebook, registry: Registry, sink: DiagnosticSink) -> Checked:
    return Checker(rulebook, registry, sink).run()
