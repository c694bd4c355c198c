"""The parser: every statement form and expression form of the rule language (spec §2–§4).

Each test parses a small rulebook and looks at the syntax tree it gives, so a test
fails when the grammar reads a form differently, not only when it rejects it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from rules_engine.dsl import ast
from rules_engine.dsl.parser import parse


def statements(text: str) -> tuple[ast.Statement, ...]:
    rulebook, diagnostics = parse(text, "test.rules")
    assert diagnostics == [], "\n".join(d.format() for d in diagnostics)
    return rulebook.statements


def only(text: str) -> ast.Statement:
    (statement,) = statements(text)
    return statement


def condition(text: str) -> ast.Expr:
    """The expression of `earn 1 point when TEXT`."""
    earn = only(f"earn 1 point when {text}")
    assert isinstance(earn, ast.Earn) and earn.when is not None
    return earn.when


def value(text: str) -> ast.Expr:
    """The right-hand side of `x == TEXT`."""
    compare = condition(f"x == {text}")
    assert isinstance(compare, ast.Compare)
    return compare.right


def errors(text: str) -> list[str]:
    return [d.message for d in parse(text, "test.rules")[1]]


def shape(expr: ast.Expr) -> str:
    """An expression as a fully parenthesised string, to read precedence at a glance."""
    if isinstance(expr, ast.Name):
        return expr.name
    if isinstance(expr, ast.Number):
        return str(expr.value)
    if isinstance(expr, ast.BoolOp):
        return "(" + f" {expr.op} ".join(shape(o) for o in expr.operands) + ")"
    if isinstance(expr, ast.Not):
        return f"(not {shape(expr.operand)})"
    if isinstance(expr, ast.Negate):
        return f"(-{shape(expr.operand)})"
    if isinstance(expr, (ast.Compare, ast.Arith)):
        return f"({shape(expr.left)} {expr.op} {shape(expr.right)})"
    if isinstance(expr, ast.ListLit):
        return "[" + ", ".join(shape(i) for i in expr.items) + "]"
    raise AssertionError(f"no shape for {expr!r}")


# --- settings ----------------------------------------------------------------------


def test_program_setting_holds_its_name() -> None:
    setting = only('program "Kafe Club"')
    assert isinstance(setting, ast.Setting)
    assert (setting.key, setting.value) == ("program", ast.String("Kafe Club", setting.value.span))


@pytest.mark.parametrize("key, word", [("currency", "rial"), ("calendar", "jalali")])
def test_currency_and_calendar_settings_hold_a_word(key: str, word: str) -> None:
    setting = only(f"{key} {word}")
    assert isinstance(setting, ast.Setting) and isinstance(setting.value, ast.Name)
    assert (setting.key, setting.value.name) == (key, word)


def test_timezone_setting_holds_a_text() -> None:
    setting = only('timezone "Asia/Tehran"')
    assert isinstance(setting, ast.Setting) and isinstance(setting.value, ast.String)
    assert (setting.key, setting.value.value) == ("timezone", "Asia/Tehran")


def test_point_value_takes_money() -> None:
    setting = only("point value 100 toman")
    assert isinstance(setting, ast.Setting) and isinstance(setting.value, ast.Money)
    assert (setting.key, setting.value.value, setting.value.unit) == ("point value", 100, "toman")


def test_point_value_takes_a_bare_number() -> None:
    setting = only("point value 250")
    assert isinstance(setting, ast.Setting) and isinstance(setting.value, ast.Number)
    assert setting.value.value == 250


# --- tiers ---------------------------------------------------------------------------


def test_tier_without_condition() -> None:
    tier = only("tier bronze")
    assert isinstance(tier, ast.TierDef)
    assert (tier.name, tier.condition) == ("bronze", None)


def test_tier_with_condition() -> None:
    tier = only("tier gold when spend_90d >= 5m")
    assert isinstance(tier, ast.TierDef) and tier.condition is not None
    assert shape(tier.condition) == "(spend_90d >= 5000000)"


def test_tiers_downgrade_after_a_duration() -> None:
    grace = only("tiers downgrade after 90 days")
    assert isinstance(grace, ast.TierGrace)
    assert (grace.duration.count, grace.duration.unit) == (90, "days")


# --- earn ------------------------------------------------------------------------------


def test_earn_per_money() -> None:
    earn = only("earn 1 point per 10000 toman")
    assert isinstance(earn, ast.Earn) and isinstance(earn.per, ast.Money)
    assert (earn.points.value, earn.per.value, earn.per.unit) == (1, 10000, "toman")
    assert (earn.items_where, earn.per_item_where, earn.trigger, earn.when, earn.during) == (None,) * 5


def test_earn_per_bare_number_is_in_the_rulebook_currency() -> None:
    earn = only("earn 1 point per 10000")
    assert isinstance(earn, ast.Earn) and isinstance(earn.per, ast.Number)


def test_earn_per_money_of_items_where() -> None:
    earn = only('earn 2 points per 10000 toman of items where category == "coffee"')
    assert isinstance(earn, ast.Earn) and earn.items_where is not None
    assert isinstance(earn.items_where, ast.Compare) and earn.items_where.left == ast.Name("category", earn.items_where.left.span)
    assert earn.per_item_where is None


def test_earn_per_item_where() -> None:
    earn = only('earn 5 points per item where category == "pastry"')
    assert isinstance(earn, ast.Earn) and earn.per_item_where is not None
    assert (earn.per, earn.items_where) == (None, None)


def test_flat_earn_has_no_basis() -> None:
    earn = only("earn 50 points")
    assert isinstance(earn, ast.Earn)
    assert (earn.points.value, earn.per, earn.per_item_where) == (50, None, None)


@pytest.mark.parametrize("kind", ["signup", "referral", "purchase"])
def test_earn_on_a_built_in_event(kind: str) -> None:
    earn = only(f"earn 50 points on {kind}")
    assert isinstance(earn, ast.Earn) and earn.trigger is not None
    assert (earn.trigger.kind, earn.trigger.name) == (kind, None)


def test_earn_on_a_custom_event_names_it() -> None:
    earn = only('earn 20 points on event "survey_completed"')
    assert isinstance(earn, ast.Earn) and earn.trigger is not None
    assert (earn.trigger.kind, earn.trigger.name) == ("event", "survey_completed")


def test_earn_when() -> None:
    earn = only('earn 100 points when first_purchase and channel == "app"')
    assert isinstance(earn, ast.Earn) and isinstance(earn.when, ast.BoolOp)
    assert earn.when.op == "and"


def test_earn_during_a_period() -> None:
    earn = only("earn 10 points during 1405-01-01..1405-01-13")
    assert isinstance(earn, ast.Earn) and earn.during is not None
    start, end = earn.during.start, earn.during.end
    assert ((start.year, start.month, start.day), (end.year, end.month, end.day)) == ((1405, 1, 1), (1405, 1, 13))


def test_period_may_have_spaces_around_the_range() -> None:
    earn = only("earn 10 points during 2026-01-01 .. 2026-02-01")
    assert isinstance(earn, ast.Earn) and earn.during is not None
    assert (earn.during.end.month, earn.during.end.day) == (2, 1)


@pytest.mark.parametrize("clauses", [
    'on referral when amount > 5 during 2026-01-01..2026-01-02',
    'during 2026-01-01..2026-01-02 on referral when amount > 5',
    'when amount > 5 during 2026-01-01..2026-01-02 on referral',
])
def test_earn_clauses_come_in_any_order(clauses: str) -> None:
    earn = only(f"earn 5 points {clauses}")
    assert isinstance(earn, ast.Earn)
    assert earn.trigger is not None and earn.trigger.kind == "referral"
    assert earn.when is not None and shape(earn.when) == "(amount > 5)"
    assert earn.during is not None and earn.during.end.day == 2


def test_earn_basis_comes_before_clauses() -> None:
    earn = only('earn 5 points per item where sku in ["A"] on purchase when x == 1')
    assert isinstance(earn, ast.Earn)
    assert earn.per_item_where is not None and earn.trigger is not None and earn.when is not None


def test_a_clause_given_twice_is_an_error() -> None:
    assert errors("earn 1 point when a == 1 when b == 2") == ["this rule already has a `when` clause"]


# --- bonus, cap, expiry ----------------------------------------------------------------


def test_bonus_whole_factor() -> None:
    bonus = only("gold_boost: bonus 2x when tier >= gold")
    assert isinstance(bonus, ast.Bonus) and bonus.when is not None
    assert (bonus.label, bonus.factor.value) == ("gold_boost", 2)


def test_bonus_fractional_factor() -> None:
    bonus = only("bonus 1.5x")
    assert isinstance(bonus, ast.Bonus)
    assert bonus.factor.value == Decimal("1.5")


def test_bonus_factor_may_be_spaced_from_x() -> None:
    bonus = only("bonus 3 x during 1405-01-01..1405-01-13")
    assert isinstance(bonus, ast.Bonus) and bonus.during is not None
    assert bonus.factor.value == 3


def test_bonus_on_a_custom_event() -> None:
    bonus = only('bonus 2x on event "survey_completed"')
    assert isinstance(bonus, ast.Bonus) and bonus.trigger is not None
    assert (bonus.trigger.kind, bonus.trigger.name) == ("event", "survey_completed")


def test_cap_points_per_duration() -> None:
    cap = only("cap 5000 points per 30 days")
    assert isinstance(cap, ast.Cap)
    assert (cap.points.value, cap.window.count, cap.window.unit) == (5000, 30, "days")


def test_points_expire_after_duration() -> None:
    expiry = only("points expire after 365 days")
    assert isinstance(expiry, ast.Expiry)
    assert (expiry.after.count, expiry.after.unit) == (365, "days")


@pytest.mark.parametrize("written, unit", [
    ("1 day", "days"), ("2 days", "days"), ("1 week", "weeks"), ("2 weeks", "weeks"),
    ("1 month", "months"), ("6 months", "months"), ("1 year", "years"), ("2 years", "years"),
])
def test_durations_take_singular_or_plural_units(written: str, unit: str) -> None:
    expiry = only(f"points expire after {written}")
    assert isinstance(expiry, ast.Expiry)
    assert expiry.after.unit == unit


# --- reward, perk, offer ----------------------------------------------------------------


def test_reward_with_title_cost_and_kind() -> None:
    reward = only('reward free_coffee "قهوه رایگان" costs 400 points gives product(sku: "COF-1")')
    assert isinstance(reward, ast.Reward)
    assert (reward.id, reward.title, reward.cost.value, reward.gives.name) == ("free_coffee", "قهوه رایگان", 400, "product")
    (arg,) = reward.gives.args
    assert (arg.name, arg.value) == ("sku", ast.String("COF-1", arg.value.span))


def test_reward_with_when_and_limit() -> None:
    reward = only('reward ten_off "۱۰٪ تخفیف" costs 1000 points gives discount(percent: 10%, max: 200k) '
                  'when tier >= silver limit 2 per member')
    assert isinstance(reward, ast.Reward)
    assert reward.when is not None and shape(reward.when) == "(tier >= silver)"
    (limit,) = reward.limits
    assert (limit.count.value, limit.window) == (2, None)
    assert [a.name for a in reward.gives.args] == ["percent", "max"]


def test_reward_limit_may_come_before_when() -> None:
    reward = only('reward r "R" costs 10 points gives free_shipping() limit 1 per member when tier >= gold')
    assert isinstance(reward, ast.Reward)
    assert reward.limits and reward.when is not None


def limit_terms(limit: ast.Limit) -> tuple:
    """A limit as (count, window count, window unit); no window is a limit ever."""
    window = limit.window
    return (limit.count.value, window.count, window.unit) if window else (limit.count.value, None, None)


@pytest.mark.parametrize("clause", ["limit 2 per member per 30 days", "limit 2 per 30 days"])
def test_a_reward_limit_per_period_may_say_per_member_or_not(clause: str) -> None:
    reward = only(f'reward r "R" costs 10 points gives free_shipping() {clause}')
    assert isinstance(reward, ast.Reward)
    assert [limit_terms(x) for x in reward.limits] == [(2, 30, "days")]


def test_a_reward_may_have_a_limit_ever_and_a_limit_per_period() -> None:
    reward = only('reward r "R" costs 10 points gives free_shipping() limit 5 per member when tier >= gold '
                  'limit 1 per 1 week')
    assert isinstance(reward, ast.Reward) and reward.when is not None
    assert [limit_terms(x) for x in reward.limits] == [(5, None, None), (1, 1, "weeks")]


def test_an_earn_rule_takes_a_limit_among_its_clauses() -> None:
    earn = only("referrer: earn 200 points on referral limit 3 per 30 days when points < 10000")
    assert isinstance(earn, ast.Earn) and earn.trigger is not None and earn.when is not None
    assert (earn.label, earn.trigger.kind, [limit_terms(x) for x in earn.limits]) == ("referrer", "referral", [(3, 30, "days")])


def test_a_limit_clause_spans_its_own_words() -> None:
    earn = only("earn 5 points on signup limit 1 per member")
    assert isinstance(earn, ast.Earn)
    (limit,) = earn.limits
    assert (limit.span.column, limit.span.end_column) == (25, 43)


def test_perk_names_a_tier_and_a_kind() -> None:
    perk = only("perk gold gives free_shipping()")
    assert isinstance(perk, ast.Perk)
    assert (perk.tier, perk.gives.name, perk.gives.args) == ("gold", "free_shipping", ())


def test_offer_alone() -> None:
    offer = only('offer "fitland:gym-20"')
    assert isinstance(offer, ast.Offer)
    assert (offer.ref.value, offer.cost, offer.when) == ("fitland:gym-20", None, None)


def test_offer_with_cost_and_condition() -> None:
    offer = only('offer "fitland:gym-20" costs 500 points when tier >= gold')
    assert isinstance(offer, ast.Offer) and offer.cost is not None and offer.when is not None
    assert offer.cost.value == 500


# --- labels, separators, comments, layout -------------------------------------------------


def test_label_names_a_statement() -> None:
    earn = only('coffee: earn 2 points per 10000 toman of items where category == "coffee"')
    assert earn.label == "coffee"
    assert ast.rule_label(earn) == "coffee"


def test_unlabelled_statement_goes_by_its_line() -> None:
    _, earn = statements("program \"P\"\n\nearn 1 point")
    assert earn.label is None
    assert ast.rule_label(earn) == "line 3"


def test_semicolon_separates_statements_on_one_line() -> None:
    first, second = statements("a: earn 1 point; b: earn 2 points")
    assert (first.label, second.label) == ("a", "b")


def test_comment_runs_to_the_end_of_the_line() -> None:
    (earn,) = statements("# a whole-line comment\nearn 1 point  # earn 2 points")
    assert isinstance(earn, ast.Earn) and earn.points.value == 1


def test_hash_inside_a_text_is_not_a_comment() -> None:
    reward = only('reward r "No #1" costs 1 point gives free_shipping()')
    assert isinstance(reward, ast.Reward) and reward.title == "No #1"


def test_semicolon_inside_a_text_does_not_split() -> None:
    reward = only('reward r "a; b" costs 1 point gives free_shipping()')
    assert isinstance(reward, ast.Reward) and reward.title == "a; b"


def test_newline_inside_brackets_continues_the_statement() -> None:
    earn, bonus = statements('earn 1 point when sku in ["A",\n    "B",\n    "C"]\nbonus 2x')
    assert isinstance(earn, ast.Earn) and isinstance(earn.when, ast.Compare)
    assert len(earn.when.right.items) == 3  # type: ignore[union-attr]
    assert isinstance(bonus, ast.Bonus)


def test_named_argument_on_a_continuation_line_is_not_a_label() -> None:
    reward = only('reward r "R" costs 10 points gives discount(\n    percent: 10%,\n    max: 200k)')
    assert isinstance(reward, ast.Reward)
    assert [a.name for a in reward.gives.args] == ["percent", "max"]


def test_name_that_is_a_keyword_on_a_continuation_line_stays_in_the_condition() -> None:
    earn = only("earn 1 point when (amount > 5 and\n    points > 100)")
    assert isinstance(earn, ast.Earn) and earn.when is not None
    assert shape(earn.when) == "((amount > 5) and (points > 100))"


def test_statement_after_an_unclosed_bracket_is_still_read() -> None:
    rulebook, diagnostics = parse('earn 1 point when sku in ["A",\nbonus 2x', "test.rules")
    assert [type(s) for s in rulebook.statements] == [ast.Bonus]
    assert [d.line for d in diagnostics] == [1]


def test_continued_statement_keeps_columns_of_later_lines() -> None:
    earn = only('earn 1 point when sku in ["A",\n    "B"]')
    assert isinstance(earn, ast.Earn) and isinstance(earn.when, ast.Compare)
    second = earn.when.right.items[1]  # type: ignore[union-attr]
    assert (second.span.line, second.span.column) == (2, 5)


@pytest.mark.parametrize("text", [
    "EARN 1 POINT PER 10 TOMAN WHEN amount > 5 AND NOT first_purchase",
    "Earn 1 Points Per 10 Toman When amount > 5 And Not first_purchase",
])
def test_keywords_are_case_insensitive(text: str) -> None:
    earn = only(text)
    assert isinstance(earn, ast.Earn) and isinstance(earn.per, ast.Money) and earn.per.unit == "toman"
    assert earn.when is not None and shape(earn.when) == "((amount > 5) and (not first_purchase))"


def test_names_keep_their_case() -> None:
    tier = only("TIER Gold")
    assert isinstance(tier, ast.TierDef) and tier.name == "Gold"


def test_byte_order_mark_is_ignored() -> None:
    assert isinstance(only("\ufeffearn 1 point"), ast.Earn)


# --- literals -----------------------------------------------------------------------------


@pytest.mark.parametrize("written, number", [
    ("10000", 10000), ("10_000", 10000), ("۱۰۰۰۰", 10000), ("١٠٠٠٠", 10000), ("۱۰٬۰۰۰", 10000),
    ("1.5", Decimal("1.5")), ("۱٫۵", Decimal("1.5")), ("200k", 200_000), ("5m", 5_000_000),
    ("1.5m", 1_500_000), ("2b", 2_000_000_000), ("5M", 5_000_000), ("۵m", 5_000_000),
])
def test_number_literals(written: str, number: Decimal) -> None:
    node = value(written)
    assert isinstance(node, ast.Number) and node.value == number


@pytest.mark.parametrize("written, percent", [("10%", 10), ("12.5%", Decimal("12.5")), ("۱۰٪", 10), ("10٪", 10)])
def test_percent_literals_keep_the_written_figure(written: str, percent: Decimal) -> None:
    node = value(written)
    assert isinstance(node, ast.Percent) and node.value == percent


@pytest.mark.parametrize("written, amount, unit", [
    ("10000 toman", 10000, "toman"), ("50000 rial", 50000, "rial"), ("200k toman", 200_000, "toman"),
    ("5 Rial", 5, "rial"),
])
def test_money_literals(written: str, amount: int, unit: str) -> None:
    node = value(written)
    assert isinstance(node, ast.Money) and (node.value, node.unit) == (amount, unit)


def test_currency_unit_is_a_whole_word() -> None:
    assert errors("earn 1 point per 10 tomans")[0].startswith("unexpected name `tomans`")


@pytest.mark.parametrize("written, day", [("1405-01-01", (1405, 1, 1)), ("2026-3-5", (2026, 3, 5)),
                                          ("۱۴۰۵-۰۱-۱۳", (1405, 1, 13))])
def test_date_literals_are_kept_as_written(written: str, day: tuple[int, int, int]) -> None:
    node = value(written)
    assert isinstance(node, ast.DateLit) and (node.year, node.month, node.day) == day


def test_strings_hold_persian_text() -> None:
    node = value('"قهوه رایگان"')
    assert isinstance(node, ast.String) and node.value == "قهوه رایگان"


def test_strings_unescape_quotes_and_backslashes() -> None:
    node = value(r'"say \"hi\" \\ bye"')
    assert isinstance(node, ast.String) and node.value == 'say "hi" \\ bye'


def test_strings_read_n_and_t_escapes_and_keep_any_other_escaped_character() -> None:
    node = value(r'"a\nb\tc\qd"')
    assert isinstance(node, ast.String) and node.value == "a\nb\tcqd"


@pytest.mark.parametrize("written", ["true", "TRUE", "false"])
def test_boolean_literals(written: str) -> None:
    node = value(written)
    assert isinstance(node, ast.Boolean) and node.value == (written.lower() == "true")


def test_list_literal() -> None:
    node = value("[friday, saturday]")
    assert isinstance(node, ast.ListLit) and [i.name for i in node.items] == ["friday", "saturday"]  # type: ignore[union-attr]


def test_empty_list_literal() -> None:
    node = value("[]")
    assert isinstance(node, ast.ListLit) and node.items == ()


def test_comma_is_never_part_of_a_number() -> None:
    node = value("[1,000]")
    assert isinstance(node, ast.ListLit) and [i.value for i in node.items] == [1, 0]  # type: ignore[union-attr]


# --- expressions ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, tree", [
    ("a or b and c", "(a or (b and c))"),
    ("a and b or c", "((a and b) or c)"),
    ("not a and b", "((not a) and b)"),
    ("not a == b", "(not (a == b))"),
    ("not a in b", "(not (a in b))"),
    ("a == b + c", "(a == (b + c))"),
    ("a + b * c", "(a + (b * c))"),
    ("a * b + c", "((a * b) + c)"),
    ("a - b - c", "((a - b) - c)"),
    ("a / b * c", "((a / b) * c)"),
    ("-a * b", "((-a) * b)"),
    ("a - -b", "(a - (-b))"),
    ("(a or b) and c", "((a or b) and c)"),
    ("a or b or c", "(a or b or c)"),
])
def test_operator_precedence(text: str, tree: str) -> None:
    assert shape(condition(text)) == tree


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_comparison_operators(op: str) -> None:
    node = condition(f"a {op} 1")
    assert isinstance(node, ast.Compare) and node.op == op


def test_in_list() -> None:
    node = condition("weekday in [friday, saturday]")
    assert isinstance(node, ast.Compare) and node.op == "in" and isinstance(node.right, ast.ListLit)


def test_not_in_list() -> None:
    node = condition('sku not in ["COF-1", "COF-2"]')
    assert isinstance(node, ast.Compare) and node.op == "not in"


def test_member_attribute() -> None:
    node = condition('member.city == "Shiraz"')
    assert isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute)
    assert (node.left.scope, node.left.name) == ("member", "city")


def test_purchase_field() -> None:
    node = condition('purchase.payment == "card"')
    assert isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute)
    assert (node.left.scope, node.left.name) == ("purchase", "payment")


def test_function_call_with_positional_argument() -> None:
    node = condition("is_holiday(date)")
    assert isinstance(node, ast.Call) and node.name == "is_holiday"
    assert [(a.name, a.value.name) for a in node.args] == [(None, "date")]  # type: ignore[union-attr]


def test_spans_point_at_the_source() -> None:
    node = condition("amount >= 100")
    assert isinstance(node, ast.Compare)
    assert (node.left.span.line, node.left.span.column, node.left.span.end_column) == (1, 19, 25)


# --- syntax errors ------------------------------------------------------------------------------


def diagnostic(text: str):
    (d,) = parse(text, "test.rules")[1]
    return d


def test_expected_words_are_those_the_statement_accepts() -> None:
    assert diagnostic("bonus 2 when tier >= gold").message == "unexpected `when`; expected `x` (as in 2x)"
    assert diagnostic("earn 2 when amount > 1").message == "unexpected `when`; expected `point` or `points`"


def test_statement_ending_early_says_what_was_missing() -> None:
    d = diagnostic('reward r "R" costs 1 point gives free_shipping() limit 2')
    assert d.message == "the statement ends too early; expected `per`"
    assert (d.line, d.column) == (1, 57)


def test_missing_value_after_an_operator() -> None:
    assert diagnostic("tier gold when spend_90d >=").message == \
        "the statement ends too early; expected a value (a name, number, text, date or list)"


def test_misspelt_statement_keyword_is_suggested() -> None:
    d = diagnostic("ern 1 point")
    assert (d.message, d.hint, d.column, d.end_column) == ("`ern` does not start a statement", "did you mean `earn`?", 1, 4)


def test_label_without_colon_is_explained() -> None:
    d = diagnostic("weekend bonus 2x")
    assert d.hint == "to label a rule, put `:` after the label: `weekend: bonus …`"


def test_misspelt_keyword_inside_a_statement_is_suggested() -> None:
    d = diagnostic("earn 1 pont per 10 toman")
    assert (d.message, d.hint) == ("unexpected name `pont`; expected `point` or `points`", "did you mean `point`?")


def test_misspelt_duration_unit_is_suggested() -> None:
    assert diagnostic("cap 10 points per 30 dayz").hint == "did you mean `days`?"


def test_a_negative_limit_points_at_the_sign_and_says_how_to_allow_any_number() -> None:
    d = diagnostic("earn 5 points on referral limit -1 per 30 days")
    assert (d.message, d.column, d.hint) == (
        "unexpected `-`; expected a number", 33,
        "a limit is a whole number of at least 1; to allow any number of uses, leave the limit out")


def test_a_negative_cost_says_what_a_cost_may_be() -> None:
    d = diagnostic('reward r "R" costs -5 points gives free_shipping()')
    assert (d.message, d.hint) == ("unexpected `-`; expected a number", "a cost is a number of points, 0 or more")


@pytest.mark.parametrize("factor", ["x2", "X3"])
def test_a_bonus_factor_written_after_its_x_is_turned_around(factor: str) -> None:
    d = diagnostic(f"bonus {factor} when weekday == friday")
    assert d.hint == f"write the number first: `bonus {factor[1:]}x`"


def test_a_period_without_a_count_asks_for_one() -> None:
    d = diagnostic('reward r "R" costs 1 point gives free_shipping() limit 1 per day')
    assert (d.message, d.hint) == ("unexpected name `day`; expected `member` or a number", "say how many: `per 1 day`")


def test_misspelt_currency_unit_is_suggested() -> None:
    assert diagnostic("earn 1 point per 10 tomans").hint == "did you mean `toman`?"


def test_event_name_without_quotes() -> None:
    assert diagnostic("earn 1 point on event survey").hint == 'put it in double quotes: "survey"'


def test_single_equals_sign() -> None:
    d = diagnostic("earn 1 point when channel = 1")
    assert (d.message, d.hint, d.column) == ("unexpected character `=`", "to compare, write `==`", 27)


@pytest.mark.parametrize("quote", ["'", "\u201c"])
def test_other_quotes(quote: str) -> None:
    assert diagnostic(f"earn 1 point when channel == {quote}app{quote}").hint == \
        'write texts in plain double quotes, like "app"'


def test_comma_in_a_number() -> None:
    assert diagnostic("earn 1 point per 10,000 toman").hint == \
        "numbers have no `,`: group digits with `_` (10_000) or write 10k"


def test_unclosed_text_at_the_end_of_a_line() -> None:
    d = diagnostic('earn 1 point when channel == "app')
    assert (d.message, d.column) == ('this text has no closing `"`', 30)


def test_unclosed_text_that_swallowed_rule_syntax_is_found() -> None:
    d = diagnostic('reward r "Free coffee costs 400 points gives product(sku: "COF-1")')
    assert (d.message, d.column) == ('this text has no closing `"`', 10)


def test_unclosed_text_costs_only_its_line() -> None:
    rulebook, diagnostics = parse('earn 1 point when channel == "app\nearn 2 points', "test.rules")
    assert [d.line for d in diagnostics] == [1]
    assert [s.points.value for s in rulebook.statements] == [2]  # type: ignore[union-attr]


def test_unclosed_bracket_is_named() -> None:
    rulebook, diagnostics = parse('earn 1 point when sku in ["A",\nearn 2 points', "test.rules")
    assert [(d.message, d.line, d.column) for d in diagnostics] == [("this `[` is never closed", 1, 26)]
    assert len(rulebook.statements) == 1


def test_unclosed_bracket_at_the_end_of_the_file() -> None:
    d = diagnostic("reward r \"R\" costs 1 point gives product(sku: \"A\"")
    assert (d.message, d.hint) == ("this `(` is never closed",
                                   "close it with `)`; only an open bracket lets a statement go on to the next line")


def test_each_broken_line_gets_its_own_diagnostic() -> None:
    diagnostics = parse("ern 1 point\nearn 1 point\nbonus 2\ncap 5 points per 3 dayz", "test.rules")[1]
    assert [d.line for d in diagnostics] == [1, 3, 4]


def test_invisible_character_is_named_by_its_code() -> None:
    d = diagnostic("earn 1 point\x01")
    assert (d.message, d.column) == ("unexpected character U+0001 (an invisible character)", 13)


def test_trailing_digit_separator() -> None:
    assert diagnostic("earn 1 point when amount > 1_000_").hint == "`_` only goes between digits, like 10_000"


def test_persian_label_with_zero_width_non_joiner() -> None:
    assert only("قهوه\u200cای: earn 1 point").label == "قهوه\u200cای"


def test_caret_keeps_tabs_of_the_source_line() -> None:
    d = diagnostic("earn 1 point when\tamount = 1")
    assert d.format().splitlines()[2] == " " * len("   1 | ") + " " * 17 + "\t" + " " * 7 + "^"


@pytest.mark.parametrize("odd_space", ["\f", "\u2028", "\x85"])
def test_only_newlines_end_lines(odd_space: str) -> None:
    d = diagnostic(f"program \"P\"\nearn 1 point{odd_space}\nern 2 points")
    assert d.line == 3


def test_windows_line_endings() -> None:
    assert [type(s) for s in statements("earn 1 point\r\nbonus 2x\r\n")] == [ast.Earn, ast.Bonus]
