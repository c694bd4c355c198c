"""The checker: every mistake it can name, where it points, and what it suggests (spec §4, §7).

A test writes a small broken rulebook and looks at the one diagnostic it expects:
its message, its position (line, column, width) and its hint. Plugin-dependent
checks use a registry built here, so they do not move when the built-in plugins do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from rules_engine.dsl.compiler import compile_source
from rules_engine.dsl.diagnostics import Diagnostic
from rules_engine.plugins.registry import DslFunction, PartnerOffer, Registry


@pytest.fixture
def test_registry(registry: Registry) -> Registry:
    """The built-in reward types, plus one function of two parameters and one partner offer."""
    def weeks_between(a: date, b: date) -> int:
        return abs((a - b).days) // 7

    functions = {**registry.functions, "weeks_between": DslFunction("weeks_between", ("date", "date"), "number", weeks_between)}
    offers = {"fitland:gym-20": PartnerOffer("fitland", "gym-20", "20% off the gym", lambda ctx: {"code": "X"})}
    return replace(registry, functions=functions, offers=offers)


@pytest.fixture
def diagnose(test_registry: Registry):
    """All diagnostics of a rulebook text, in order."""

    def run(text: str) -> list[Diagnostic]:
        program, diagnostics = compile_source(text, "test.rules", test_registry)
        assert (program is None) == any(d.severity == "error" for d in diagnostics)
        return sorted(diagnostics, key=lambda d: (d.line, d.column))

    return run


@pytest.fixture
def one(diagnose):
    """The single diagnostic of a rulebook text."""

    def run(text: str) -> Diagnostic:
        diagnostics = diagnose(text)
        assert len(diagnostics) == 1, "\n".join(d.format() for d in diagnostics)
        return diagnostics[0]

    return run


def where(d: Diagnostic) -> tuple[int, int, str]:
    """Line, column and the text the caret underlines."""
    return d.line, d.column, d.source_line[d.column - 1:d.end_column - 1]


TIERS = "tier bronze\ntier silver when spend_90d >= 2m\ntier gold when spend_90d >= 5m\n"


# --- a clean rulebook ---------------------------------------------------------------


def test_spec_example_compiles_without_diagnostics(diagnose) -> None:
    text = """program "Kafe Club"
currency toman
calendar jalali
timezone "Asia/Tehran"
point value 100 toman
tier bronze
tier silver when spend_90d >= 2m
tier gold   when spend_90d >= 5m or count_30d >= 10
tiers downgrade after 90 days
earn 1 point per 10000 toman
coffee: earn 2 points per 10000 toman of items where category == "coffee"
earn 50 points on signup
earn 20 points on event "survey_completed"
earn 100 points when first_purchase and channel == "app"
gold_boost: bonus 2x when tier >= gold
nowruz: bonus 3x during 1405-01-01..1405-01-13
cap 5000 points per 30 days
points expire after 365 days
reward free_coffee "قهوه رایگان" costs 400 points gives product(sku: "COF-1")
reward ten_off "۱۰٪ تخفیف" costs 1000 points gives discount(percent: 10%, max: 200k) when tier >= silver
perk gold gives free_shipping()
offer "fitland:gym-20" when tier >= gold
"""
    assert diagnose(text) == []


# --- settings -------------------------------------------------------------------------


def test_setting_given_twice(one) -> None:
    d = one("currency toman\ncurrency rial")
    assert d.message == "`currency` is already set on line 1"
    assert where(d) == (2, 1, "currency rial")


def test_program_name_given_twice(one) -> None:
    assert one('program "A"\nprogram "B"').message == "`program` is already set on line 1"


def test_unknown_currency_suggests_the_nearest(one) -> None:
    d = one("currency tomen")
    assert d.message == "unknown currency `tomen`; it is one of: toman, rial"
    assert (where(d), d.hint) == ((1, 10, "tomen"), "did you mean `toman`?")


def test_unknown_calendar_suggests_the_nearest(one) -> None:
    d = one("calendar jalaly")
    assert (d.message, d.hint) == ("unknown calendar `jalaly`; it is one of: jalali, gregorian", "did you mean `jalali`?")


def test_unknown_timezone_suggests_the_nearest(one) -> None:
    d = one('timezone "Asia/Tehrn"')
    assert (d.message, d.hint) == ('unknown time zone "Asia/Tehrn"', 'did you mean "Asia/Tehran"?')
    assert where(d) == (1, 10, '"Asia/Tehrn"')


def test_unknown_timezone_far_from_any_names_the_form(one) -> None:
    assert one('timezone "Nowhere"').hint == 'use an IANA name like "Asia/Tehran"'


def test_expiry_given_twice(one) -> None:
    d = one("points expire after 30 days\npoints expire after 60 days")
    assert (d.line, d.message) == (2, "the point expiry is already set on line 1")


def test_downgrade_grace_given_twice(one) -> None:
    d = one(TIERS + "tiers downgrade after 30 days\ntiers downgrade after 60 days")
    assert (d.line, d.message) == (5, "the tier downgrade grace is already set on line 4")


def test_downgrade_grace_without_tiers(one) -> None:
    assert one("tiers downgrade after 30 days").message == "a downgrade grace period needs tiers"


def test_repeated_label_is_a_warning(diagnose) -> None:
    (d,) = diagnose("coffee: earn 1 point\ncoffee: earn 2 points")
    assert (d.severity, d.message) == ("warning", "the label `coffee` is already used on line 1")
    assert where(d) == (2, 1, "coffee")


def test_offer_listed_twice(one) -> None:
    d = one('offer "fitland:gym-20"\noffer "fitland:gym-20" costs 5 points')
    assert (d.message, d.line) == ('the offer "fitland:gym-20" is already listed on line 1', 2)


# --- tiers ---------------------------------------------------------------------------------


def test_first_tier_with_a_condition(one) -> None:
    d = one("tier gold when spend_90d >= 5m")
    assert d.message == "the first tier (`gold`) is where every member starts, so it cannot have a condition"
    assert d.hint == "write `tier gold` alone, or add a base tier line before it"


def test_later_tier_without_a_condition(one) -> None:
    d = one("tier bronze\ntier silver")
    assert (d.line, d.message) == (2, "tier `silver` needs a condition that qualifies members for it")


def test_tier_defined_twice(one) -> None:
    d = one("tier bronze\ntier gold when spend_90d > 1\ntier gold when spend_90d > 2")
    assert d.message == "tier `gold` is defined twice"
    assert where(d) == (3, 6, "gold")


@pytest.mark.parametrize("name", ["amount", "tier", "weekday", "friday", "Friday", "category", "spend_30d", "count_7d"])
def test_tier_cannot_take_a_built_in_name(one, name: str) -> None:
    d = one(f"tier bronze\ntier {name} when spend_90d > 1")
    assert d.message == f"`{name}` is a built-in name and cannot name a tier"


def test_tier_condition_cannot_read_the_tier(one) -> None:
    d = one("tier bronze\ntier gold when tier == bronze")
    assert d.message == "a tier condition cannot depend on the tier itself"


@pytest.mark.parametrize("field", ["amount", "channel", "first_purchase", "purchase.payment"])
def test_tier_condition_cannot_read_the_event(one, field: str) -> None:
    d = one(f"tier bronze\ntier gold when {field} == 1")
    assert d.message == "tier conditions are also checked between events, so they cannot read the event"
    assert where(d) == (2, 16, field)


def test_unknown_name_in_tier_condition_lists_what_tiers_may_use(one) -> None:
    d = one("tier bronze\ntier gold when visits > 3")
    assert d.message == "unknown name `visits`"
    assert d.hint is not None and "spend_Nd, count_Nd" in d.hint


def test_tier_condition_may_use_member_figures_and_time(diagnose) -> None:
    assert diagnose('tier bronze\ntier gold when spend_total > 1 and count_total > 1 and points > 1 '
                    'and member.city == "Shiraz" and weekday == friday and hour > 3 and date > 2026-01-01') == []


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, wrong, right", [
    ("earn 1 point when spend_90 > 1", "spend_90", "spend_90d"),
    ("earn 1 point when count30d > 1", "count30d", "count_30d"),
    ('earn 1 point when chanel == "app"', "chanel", "channel"),
    ("earn 1 point when ammount > 1", "ammount", "amount"),
    ("earn 1 point when AMOUNT > 1", "AMOUNT", "amount"),
    ("earn 1 point when SPEND_TOTAL > 1", "SPEND_TOTAL", "spend_total"),
])
def test_unknown_name_close_to_a_built_in_suggests_it(one, text: str, wrong: str, right: str) -> None:
    d = one(text)
    assert d.message == f"unknown name `{wrong}`"
    assert d.hint is not None and d.hint.startswith(f"did you mean `{right}`?")
    assert where(d) == (1, 19, wrong)


def test_near_miss_of_a_field_name_offers_the_purchase_form(one) -> None:
    d = one('earn 1 point when chanel == "app"')
    assert d.hint == "did you mean `channel`? If `chanel` is a field of your purchase data, write `purchase.chanel`."


def test_unknown_tier_suggests_the_nearest(one) -> None:
    d = one(TIERS + "earn 1 point when tier >= gld")
    assert (d.message, d.hint) == ("unknown name `gld`", "did you mean `gold`?")
    assert where(d) == (4, 27, "gld")


def test_a_tier_written_in_capitals_suggests_the_tier(one) -> None:
    d = one(TIERS + "earn 1 point when tier >= GOLD")
    assert (d.message, d.hint) == ("unknown name `GOLD`", "did you mean `gold`?")


def test_tier_comparison_without_tiers(one) -> None:
    d = one("earn 1 point when tier >= gold")
    assert d.message == "this program has no tiers"


def test_bare_name_far_from_any_built_in_is_an_event_field(diagnose) -> None:
    assert diagnose('earn 1 point when payment_method == "card"') == []


@pytest.mark.parametrize("field", ["payment", "source", "total", "spend", "counts", "weekend", "days"])
def test_a_field_that_only_resembles_a_built_in_is_an_event_field(diagnose, field: str) -> None:
    assert diagnose(f'earn 1 point when {field} == "x"') == []


def test_a_tier_condition_still_suggests_a_loosely_similar_name(one) -> None:
    d = one("tier bronze\ntier gold when total > 1m")
    assert (d.message, d.hint) == ("unknown name `total`", "did you mean `spend_total`?")


def test_purchase_prefix_reads_any_event_field(diagnose) -> None:
    assert diagnose('earn 1 point when purchase.chanel == "app"') == []


def test_member_attribute_is_any_name(diagnose) -> None:
    assert diagnose('earn 1 point when member.city == "Shiraz"') == []


def test_unknown_scope_suggests_the_nearest(one) -> None:
    d = one('earn 1 point when membr.city == "Shiraz"')
    assert (d.message, d.hint) == ("unknown `membr.…`", "did you mean `member`?")


@pytest.mark.parametrize("name", ["category", "sku", "qty", "price"])
def test_item_field_outside_an_item_condition(one, name: str) -> None:
    d = one(f"earn 1 point when {name} == 1")
    assert d.message == f"`{name}` is a field of a purchase's items"
    assert d.hint == "use it inside `of items where …` or `per item where …`"


def test_item_attribute_outside_an_item_condition(one) -> None:
    assert one('earn 1 point when item.brand == "x"').message == \
        "`item.…` is only known inside `of items where …` or `per item where …`"


def test_item_fields_inside_item_conditions(diagnose) -> None:
    assert diagnose('earn 1 point per 10 toman of items where category == "coffee" and qty > 1\n'
                    'earn 1 point per item where sku in ["A"] and price > 5 and item.brand == "x"') == []


def test_bare_field_name_in_an_item_condition_warns_it_reads_the_purchase(one) -> None:
    d = one('earn 1 point per item where brand == "lavazza"')
    assert (d.severity, d.message) == ("warning", "`brand` is read from the purchase, not from each item")
    assert d.hint == "write `item.brand` for the item's own field, or `purchase.brand` to keep this meaning"


def test_items_only_exist_on_purchases(one) -> None:
    d = one('earn 1 point per item where sku == "A" on signup')
    assert d.message == "only purchases have items"


@pytest.mark.parametrize("window", ["spend_0d", "count_5000d", "spend_99999d"])
def test_window_length_is_bounded(one, window: str) -> None:
    assert one(f"earn 1 point when {window} > 1").message == "a window is 1 to 3660 days long"


# --- types ------------------------------------------------------------------------------------


def test_number_compared_with_text(one) -> None:
    d = one(TIERS + 'earn 1 point when spend_90d > "gold"')
    assert d.message == "cannot compare a number with a text"
    assert d.hint == "to test a member's tier, write `tier >= gold`"
    assert where(d) == (4, 19, 'spend_90d > "gold"')


def test_tier_compared_with_quoted_tier_name(one) -> None:
    d = one(TIERS + 'earn 1 point when tier >= "gold"')
    assert (d.message, d.hint) == ("cannot compare a tier with a text", "write the tier name without quotes: gold")


def test_amount_compared_with_quoted_number(one) -> None:
    assert one('earn 1 point when amount > "100"').hint == "an amount is written without quotes, like 2m or 500000"


def test_weekday_compared_with_quoted_weekday(one) -> None:
    assert one('earn 1 point when weekday == "friday"').hint == "write the weekday without quotes: friday"


def test_weekdays_have_no_order(one) -> None:
    d = one("earn 1 point when weekday > friday")
    assert (d.message, d.hint) == ("`>` cannot order weekdays", "use `==`, `!=` or `in`")


def test_texts_have_no_order(one) -> None:
    assert one('earn 1 point when channel < "b"').message == "`<` cannot order texts"


def test_and_needs_true_or_false(one) -> None:
    d = one("earn 1 point when amount and true")
    assert d.message == "`and` needs true or false on each side, but this is a number"
    assert where(d) == (1, 19, "amount")


def test_not_needs_true_or_false(one) -> None:
    assert one("earn 1 point when not amount").message == "`not` needs true or false after it, but this is a number"


def test_condition_must_be_true_or_false(one) -> None:
    d = one("earn 1 point when amount")
    assert d.message == "a condition must be true or false, but this is a number"


def test_condition_of_a_reward_must_be_true_or_false(one) -> None:
    d = one('reward r "R" costs 1 point gives free_shipping() when "yes"')
    assert d.message == "a condition must be true or false, but this is a text"


def test_list_mixing_kinds(one) -> None:
    d = one('earn 1 point when x in [1, "a"]')
    assert d.message == "a list holds values of one kind, but this one mixes numbers and texts"
    assert where(d) == (1, 24, '[1, "a"]')


def test_in_needs_a_list(one) -> None:
    assert one("earn 1 point when amount in 5").message == "`in` needs a list on its right, like [friday, saturday]"


def test_in_list_of_another_kind(one) -> None:
    assert one('earn 1 point when weekday in ["friday"]').message == "cannot look for a weekday in a list of texts"


def test_arithmetic_on_text(one) -> None:
    d = one('earn 1 point when amount + "x" > 1')
    assert d.message == "`+` works on numbers and amounts, but this is a text"


def test_negating_a_weekday(one) -> None:
    assert one("earn 1 point when -friday == 1").message == "`-` works on numbers and amounts, but this is a weekday"


def test_event_fields_take_any_type(diagnose) -> None:
    assert diagnose('earn 1 point when store == "a" and loyalty_card_number > 3 and purchase.x in [1, 2]') == []


# --- rewards and plugins ------------------------------------------------------------------------


def test_unknown_reward_type_suggests_the_nearest(one) -> None:
    d = one('reward r "R" costs 10 points gives prodcut(sku: "A")')
    assert (d.message, d.hint) == ("unknown reward type `prodcut`", "did you mean `product`?")
    assert where(d) == (1, 36, 'prodcut(sku: "A")')


def test_unknown_reward_type_far_from_any_lists_them(one) -> None:
    d = one('reward r "R" costs 10 points gives hug()')
    assert d.hint is not None and d.hint.startswith("the reward types are: ") and "product" in d.hint


def test_unknown_reward_parameter_suggests_the_nearest(one) -> None:
    d = one('reward r "R" costs 10 points gives product(skuu: "A")')
    assert (d.message, d.hint) == ("`product` has no parameter `skuu`", "did you mean `sku`?")
    assert where(d) == (1, 44, 'skuu: "A"')


def test_missing_reward_parameter(one) -> None:
    assert one('reward r "R" costs 10 points gives product()').message == "`product`: `sku` is required"


def test_reward_parameter_of_the_wrong_type(one) -> None:
    d = one('reward r "R" costs 10 points gives product(sku: 5)')
    assert d.message == "`product`: `sku` must be a text in quotes"
    assert where(d) == (1, 44, "sku: 5")


def test_reward_parameter_out_of_range(one) -> None:
    assert one('reward r "R" costs 10 points gives discount(percent: 200%)').message == \
        "`discount`: `percent` must be at most 100"


def test_reward_parameters_checked_together(one) -> None:
    d = one('reward r "R" costs 10 points gives discount(percent: 10%, amount: 5k)')
    assert d.message == "`discount`: give exactly one of percent (like 10%) or amount (like 50k)"


def test_reward_argument_given_twice(one) -> None:
    d = one('reward r "R" costs 10 points gives discount(amount: 5k, amount: 6k)')
    assert (d.message, d.hint) == ("`amount` is given twice", "keep one of the two")


def test_a_negative_reward_argument_is_judged_by_the_plugin(one) -> None:
    assert one('reward r "R" costs 10 points gives discount(amount: -5k)').message == \
        "`discount`: `amount` must be above 0"


def test_reward_argument_must_be_named(one) -> None:
    assert one('reward r "R" costs 10 points gives product("A")').message == "name this argument, like `product(sku: …)`"


def test_reward_argument_must_be_written_out(one) -> None:
    d = one('reward r "R" costs 10 points gives product(sku: channel)')
    assert d.message == "a plugin argument must be written out (a number, amount, percent, text, date or list)"


def test_reward_defined_twice(one) -> None:
    d = one('reward r "R" costs 10 points gives free_shipping()\nreward r "S" costs 20 points gives free_shipping()')
    assert (d.message, where(d)) == ("reward `r` is already defined on line 1", (2, 8, "r"))


@pytest.mark.parametrize("text, message, hint", [
    ('reward r "R" costs 1.5 points gives free_shipping()', "a reward's cost must be a whole number", "write 1 or 2"),
    ('reward r "R" costs 1 point gives free_shipping() limit 0 per member',
     "a limit must be a whole number of at least 1", "for example 1"),
    ('reward r "R" costs 1 point gives free_shipping() limit 0.5 per member',
     "a limit must be a whole number of at least 1", "for example 1"),
    ("cap 1.5 points per 30 days", "a cap must be a whole number", "write 1 or 2"),
    ('offer "fitland:gym-20" costs 2.5 points', "an offer's cost must be a whole number", "write 2 or 3"),
])
def test_whole_numbers(one, text: str, message: str, hint: str) -> None:
    d = one(text)
    assert (d.message, d.hint) == (message, hint)


@pytest.mark.parametrize("text, message", [
    ("earn 0 points", "points must be above zero"),
    ("bonus 0x", "a bonus factor must be above zero"),
    ("earn 1 point per 0 toman", "the amount after `per` must be above zero"),
])
def test_positive_figures(one, text: str, message: str) -> None:
    assert one(text).message == message


@pytest.mark.parametrize("text", ["cap 10 points per 0 days", "points expire after 1.5 months",
                                  TIERS + "tiers downgrade after 0 weeks"])
def test_durations_are_whole_and_positive(one, text: str) -> None:
    assert one(text).message == "a duration is a whole number of at least 1"


def test_duration_hint_suits_its_unit(one) -> None:
    assert one("points expire after 0 months").hint == "for example 6 months"


# --- limits on how often a member may use a rule ---------------------------------------------------------


@pytest.mark.parametrize("text", [
    'reward r "R" costs 1 point gives free_shipping() limit 0 per member per 30 days',
    "referrer: earn 200 points on referral limit 0 per 30 days",
    "earn 5 points on signup limit 1.5 per member",
])
def test_a_limit_of_a_reward_or_an_earn_rule_is_a_whole_number_of_at_least_1(one, text: str) -> None:
    d = one(text)
    assert (d.message, where(d)[2]) == ("a limit must be a whole number of at least 1", text.split("limit ")[1].split()[0])


@pytest.mark.parametrize("window, message", [
    ("36526 days", "a duration is at most 36,525 days (a century)"),
    ("101 years", "a duration is at most 100 years (a century)"),
    ("0 weeks", "a duration is a whole number of at least 1"),
])
def test_the_period_of_a_limit_is_a_duration_up_to_a_century(one, window: str, message: str) -> None:
    d = one(f"earn 200 points on referral limit 3 per {window}")
    assert (d.message, where(d)) == (message, (1, 41, window))


def test_a_second_limit_ever_on_a_reward_points_at_the_second(one) -> None:
    d = one('reward r "R" costs 1 point gives free_shipping() limit 1 per member limit 2 per member')
    assert (d.message, where(d)) == ("this rule already has a limit per member", (1, 69, "limit 2 per member"))
    assert d.hint.startswith("keep one of the two")


def test_two_limits_over_one_period_written_differently_are_caught(one) -> None:
    d = one("earn 200 points on referral limit 1 per 7 days limit 3 per member per 1 week")
    assert (d.message, where(d)[2]) == ("this rule already has a limit per 7 days, the same period as 1 week",
                                        "limit 3 per member per 1 week")


def test_limits_over_different_periods_go_together(diagnose) -> None:
    assert diagnose('reward r "R" costs 1 point gives free_shipping() '
                    'limit 10 per member limit 1 per 1 day limit 4 per 30 days limit 5 per 1 month') == []


def test_a_bonus_cannot_have_a_limit_and_the_hint_says_where_to_put_it(one) -> None:
    d = one("weekend: bonus 2x when weekday == friday limit 1 per 7 days")
    assert (d.message, where(d)) == ("a bonus cannot have a limit", (1, 42, "limit 1 per 7 days"))
    assert "put the limit on the earn rule" in d.hint


def test_perk_for_an_unknown_tier_suggests_the_nearest(one) -> None:
    d = one(TIERS + "perk gld gives free_shipping()")
    assert (d.message, d.hint, where(d)) == ("unknown tier `gld`", "did you mean `gold`?", (4, 6, "gld"))


def test_perk_without_tiers(one) -> None:
    assert one("perk gold gives free_shipping()").message == "`gold` is not a tier: this program has no tiers"


def test_perk_checks_its_reward_kind(one) -> None:
    assert one(TIERS + "perk gold gives free_shiping()").hint == "did you mean `free_shipping`?"


def test_offer_no_plugin_provides(one) -> None:
    d = one('offer "fitland:gym-21"')
    assert (d.message, d.hint) == ('no installed partner plugin provides the offer "fitland:gym-21"',
                                   "did you mean `fitland:gym-20`?")


def test_offer_must_name_partner_and_offer(one) -> None:
    assert one('offer "gym"').message == 'an offer is named "PARTNER:OFFER", not "gym"'


def test_offer_condition_is_checked(one) -> None:
    assert one('offer "fitland:gym-20" when tier >= gold').message == "this program has no tiers"


# --- functions -------------------------------------------------------------------------------------


def test_unknown_function_suggests_the_nearest(one) -> None:
    d = one("earn 1 point when is_holidy(date)")
    assert (d.message, d.hint) == ("unknown function `is_holidy`", "did you mean `is_holiday`?")


def test_function_with_too_many_arguments(one) -> None:
    d = one("earn 1 point when is_holiday(date, date)")
    assert d.message == "`is_holiday` takes 1 argument, not 2: is_holiday(date)"


def test_function_with_too_few_arguments(one) -> None:
    assert one("earn 1 point when weeks_between(date) > 2").message == \
        "`weeks_between` takes 2 arguments, not 1: weeks_between(date, date)"


def test_function_arguments_are_positional(one) -> None:
    assert one("earn 1 point when is_holiday(day: date)").message == \
        "`is_holiday` takes its arguments in order, without names: is_holiday(date)"


def test_function_argument_of_the_wrong_type(one) -> None:
    d = one("earn 1 point when weeks_between(date, 5) > 2")
    assert d.message == "`weeks_between` expects a date here, but this is a number"
    assert where(d) == (1, 39, "5")


def test_function_result_is_typed(one) -> None:
    assert one('earn 1 point when weeks_between(date, 2026-01-01) == "x"').message == \
        "cannot compare a number with a text"


# --- dates and periods ---------------------------------------------------------------------------------


def test_impossible_jalali_date(one) -> None:
    d = one("calendar jalali\nearn 1 point during 1404-12-30..1405-01-01")
    assert d.message == "1404-12-30 is not a day of the Jalali calendar (month 12 of 1404 has 29 days)"
    assert where(d) == (2, 21, "1404-12-30")


def test_leap_day_of_a_jalali_leap_year_exists(diagnose) -> None:
    assert diagnose("calendar jalali\nearn 1 point during 1403-12-30..1404-01-01") == []


def test_impossible_date_in_a_condition(one) -> None:
    assert one("calendar jalali\nearn 1 point when date == 1405-07-31").message == \
        "1405-07-31 is not a day of the Jalali calendar (month 7 of 1405 has 30 days)"


def test_jalali_looking_date_in_a_gregorian_rulebook_hints_at_the_calendar(one) -> None:
    d = one("earn 1 point during 1405-02-31..1405-03-01")
    assert d.hint == "set `calendar jalali` if this is a Jalali date"


def test_period_ending_before_it_starts(one) -> None:
    d = one("earn 1 point during 2026-02-01..2026-01-01")
    assert (d.message, d.hint) == ("this period ends before it starts", "write the earlier date first")
    assert where(d) == (1, 21, "2026-02-01..2026-01-01")


def test_one_day_period(diagnose) -> None:
    assert diagnose("earn 1 point during 2026-01-01..2026-01-01") == []


# --- limits on hostile input ------------------------------------------------------------------------------


def test_deeply_nested_condition_is_refused(one) -> None:
    d = one("earn 1 point when " + "not " * 500 + "true")
    assert d.message == "this condition is nested more than 64 levels deep"


def test_deeply_nested_brackets_are_refused(one) -> None:
    d = one("earn 1 point when " + "(" * 40 + "true" + ")" * 40)
    assert d.message == "brackets are nested more than 32 deep"


def test_long_flat_list_is_fine(diagnose) -> None:
    assert diagnose("earn 1 point when x in [" + ", ".join(["1"] * 500) + "]") == []


def test_huge_number_is_refused(one) -> None:
    d = one("earn 1 point when amount > 1" + "0" * 40)
    assert d.message == "this number has more than 30 digits"


def test_overlong_statement_is_refused(one) -> None:
    d = one("earn 1 point when x in [" + ", ".join(["1"] * 2500) + "]")
    assert d.message == "this statement is longer than 4,000 characters"


# --- all at once --------------------------------------------------------------------------------------------


def test_every_mistake_is_reported_in_one_run(diagnose) -> None:
    diagnostics = diagnose(TIERS + "earn 1 point when spend_90 > 1\nperk gld gives free_shipping()\n"
                           "reward r \"R\" costs 10 points gives prodcut()\nearn 1 point when")
    assert [d.line for d in diagnostics] == [4, 5, 6, 7]


@pytest.mark.parametrize("text, what", [
    ("earn 2000000000000000 points per 1 rial", "points"),
    ("cap 2000000000000000 points per 30 days", "a cap"),
    ('reward r "R" costs 2000000000000000 points gives product(sku: "a")', "a reward's cost"),
])
def test_point_figures_beyond_what_a_ledger_keeps_are_errors(one, text: str, what: str) -> None:
    d = one(text)
    assert (d.message, d.hint) == (f"{what} must be at most 1,000,000,000,000,000", "check the number of zeros")


@pytest.mark.parametrize("name", ["spend_9999", "spend_1234567d", "count_0d"])
def test_a_window_of_a_length_no_window_has_is_an_error_even_when_misspelt(one, name: str) -> None:
    assert one(f"earn 1 point when {name} > 1").message == "a window is 1 to 3660 days long"
