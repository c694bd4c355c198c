"""Compiled conditions: what they evaluate to on real events (spec §2, §4, §5).

Most tests run a one-rule rulebook over one or two hand-built events with
`simulate` and read the points earned, which is what a designer observes. A few
call a compiled condition directly with small stand-in objects, where the point
is the value of the condition itself.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from decimal import Decimal
from types import MappingProxyType, SimpleNamespace
from typing import Any

import pytest

from rules_engine.events import Event, Item
from rules_engine.ledger import Outcome
from rules_engine.program import Program
from rules_engine.simulation import simulate

UTC = timezone.utc
NOON = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)  # a Wednesday


def purchase(amount: Any = 100_000, at: datetime = NOON, member: str = "m-1", id: str = "p-1",
             items: tuple[Item, ...] = (), **fields: Any) -> Event:
    return Event(id, "purchase", member, at, amount=amount, items=items, fields=MappingProxyType(fields))


def outcomes(program: Program, *events: Event) -> tuple[Outcome, ...]:
    return simulate(program, events, follow=("m-1",)).followed["m-1"]


def earned(program: Program, event: Event) -> int:
    """Points the single event earned."""
    (outcome,) = outcomes(program, event)
    assert outcome.status == "applied", outcome.reason
    return sum(e.points for e in outcome.entries if e.kind == "earn")


def applies(compile_text, condition: str, event: Event, head: str = "") -> bool:
    """Whether `earn 1 point when CONDITION` earns on the event."""
    return earned(compile_text(f"{head}\nearn 1 point when {condition}"), event) == 1


# --- money ----------------------------------------------------------------------------------


def test_toman_literal_in_a_rial_rulebook_is_ten_rial(compile_text) -> None:
    program = compile_text("currency rial\nearn 1 point when amount >= 100 toman")
    assert (earned(program, purchase(1000)), earned(program, purchase(999))) == (1, 0)


def test_rial_literal_in_a_toman_rulebook_is_a_tenth_toman(compile_text) -> None:
    program = compile_text("currency toman\nearn 1 point when amount >= 1000 rial")
    assert (earned(program, purchase(100)), earned(program, purchase(99))) == (1, 0)


def test_money_without_unit_is_in_the_rulebook_currency(compile_text) -> None:
    program = compile_text("currency rial\nearn 1 point when amount >= 1000")
    assert (earned(program, purchase(1000)), earned(program, purchase(999))) == (1, 0)


def test_earn_per_toman_in_a_rial_rulebook(compile_text) -> None:
    program = compile_text("currency rial\nearn 1 point per 100 toman")
    assert earned(program, purchase(5_000)) == 5


def test_point_value_is_converted_to_the_rulebook_currency(compile_text) -> None:
    assert compile_text("currency rial\npoint value 10 toman").settings.point_value == 100


def test_fraction_of_a_toman_stays_exact(compile_text) -> None:
    assert compile_text("point value 5 rial").settings.point_value == Decimal("0.5")


def test_scaled_numbers_compare_as_their_value(compile_text) -> None:
    program = compile_text("earn 1 point when amount >= 1.5m")
    assert (earned(program, purchase(1_500_000)), earned(program, purchase(1_499_999))) == (1, 0)


# --- percent --------------------------------------------------------------------------------------


def test_percent_in_a_condition_is_a_fraction(compile_text) -> None:
    program = compile_text("earn 1 point when amount * 10% >= 5")
    assert (earned(program, purchase(50)), earned(program, purchase(49))) == (1, 0)


def test_persian_percent_sign(compile_text) -> None:
    assert applies(compile_text, "amount * ۵۰٪ == 50", purchase(100))


def test_percent_given_to_a_plugin_keeps_the_written_figure(compile_text) -> None:
    program = compile_text('reward r "R" costs 10 points gives discount(percent: 10%, max: 200k)')
    params = program.rewards["r"].params
    assert (params.percent, params.max) == (10, 200_000)


def test_money_given_to_a_plugin_is_converted(compile_text) -> None:
    program = compile_text('currency rial\nreward r "R" costs 10 points gives cashback(amount: 5k toman)')
    assert program.rewards["r"].params.amount == 50_000


def test_limits_compile_to_a_count_ever_and_counts_per_period(compile_text) -> None:
    program = compile_text('reward r "R" costs 10 points gives free_shipping() limit 1 per 2 weeks limit 5 per member\n'
                           "friend: earn 200 points on referral limit 3 per member per 1 month")
    reward, (earn,) = program.rewards["r"], program.earn
    assert (reward.limit, [(p.count, str(p.window)) for p in reward.per_period]) == (5, [(1, "2 weeks")])
    assert (earn.limit, [(p.count, str(p.window)) for p in earn.per_period]) == (None, [(3, "1 month")])


# --- dates, weekday, hour ---------------------------------------------------------------------------


def test_jalali_period_covers_its_gregorian_days(compile_text) -> None:
    program = compile_text('calendar jalali\ntimezone "Asia/Tehran"\nearn 1 point\nbonus 2x during 1405-01-01..1405-01-13')
    nowruz = datetime(2026, 3, 21, 9, 0, tzinfo=UTC)  # 1405-01-01
    eve = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)  # 1404-12-29
    last = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)  # 1405-01-13, the period is inclusive
    after = datetime(2026, 4, 3, 9, 0, tzinfo=UTC)
    assert [earned(program, purchase(at=t)) for t in (eve, nowruz, last, after)] == [1, 2, 2, 1]


def test_same_digits_are_a_gregorian_date_in_a_gregorian_rulebook(compile_text) -> None:
    program = compile_text("earn 1 point\nbonus 2x during 2026-03-21..2026-03-21")
    assert [earned(program, purchase(at=datetime(2026, 3, d, 9, tzinfo=UTC))) for d in (20, 21, 22)] == [1, 2, 1]


def test_date_literal_in_a_condition_follows_the_calendar(compile_text) -> None:
    event = purchase(at=datetime(2026, 3, 21, 9, tzinfo=UTC))
    assert applies(compile_text, "date == 1405-01-01", event, head="calendar jalali")
    assert applies(compile_text, "date == 2026-03-21", event)


def test_persian_digits_in_a_date(compile_text) -> None:
    assert applies(compile_text, "date == ۱۴۰۵-۰۱-۰۱", purchase(at=datetime(2026, 3, 21, 9, tzinfo=UTC)),
                   head="calendar jalali")


def test_weekday_is_read_in_the_rulebook_timezone(compile_text) -> None:
    thursday_night_utc = datetime(2026, 3, 19, 21, 0, tzinfo=UTC)  # Friday 00:30 in Tehran
    event = purchase(at=thursday_night_utc)
    assert applies(compile_text, "weekday == friday", event, head='timezone "Asia/Tehran"')
    assert applies(compile_text, "weekday == thursday", event, head='timezone "UTC"')


def test_hour_is_read_in_the_rulebook_timezone(compile_text) -> None:
    event = purchase(at=datetime(2026, 3, 18, 6, 0, tzinfo=UTC))  # 09:30 in Tehran
    assert applies(compile_text, "hour == 9", event, head='timezone "Asia/Tehran"')
    assert applies(compile_text, "hour == 6", event)


def test_date_is_read_in_the_rulebook_timezone(compile_text) -> None:
    event = purchase(at=datetime(2026, 3, 20, 21, 0, tzinfo=UTC))  # already the 21st in Tehran
    assert applies(compile_text, "date == 2026-03-21", event, head='timezone "Asia/Tehran"')
    assert not applies(compile_text, "date == 2026-03-21", event)


def test_period_bounds_are_days_in_the_rulebook_timezone(compile_text) -> None:
    program = compile_text('timezone "Asia/Tehran"\nearn 1 point\nbonus 2x during 2026-03-21..2026-03-21')
    assert earned(program, purchase(at=datetime(2026, 3, 20, 21, 0, tzinfo=UTC))) == 2


def test_dates_are_ordered(compile_text) -> None:
    program = compile_text("earn 1 point when date >= 2026-03-18")
    assert (earned(program, purchase(at=NOON)), earned(program, purchase(at=datetime(2026, 3, 17, tzinfo=UTC)))) == (1, 0)


# --- lists, booleans, tiers -------------------------------------------------------------------------


def test_weekday_in_list(compile_text) -> None:
    program = compile_text("earn 1 point when weekday in [wednesday, friday]")
    assert (earned(program, purchase(at=NOON)), earned(program, purchase(at=datetime(2026, 3, 17, 12, tzinfo=UTC)))) == (1, 0)


def test_text_in_list(compile_text) -> None:
    program = compile_text('earn 1 point when channel in ["app", "web"]')
    assert (earned(program, purchase(channel="web")), earned(program, purchase(channel="store"))) == (1, 0)


def test_not_in_list(compile_text) -> None:
    program = compile_text('earn 1 point when channel not in ["app", "web"]')
    assert (earned(program, purchase(channel="web")), earned(program, purchase(channel="store"))) == (0, 1)


def test_list_of_computed_values(compile_text) -> None:
    assert applies(compile_text, "amount in [50 + 50, 7]", purchase(100))


def test_and_or_not(compile_text) -> None:
    program = compile_text('earn 1 point when not (channel == "app" or channel == "web") and amount > 10')
    assert [earned(program, purchase(20, channel=c)) for c in ("app", "store")] == [0, 1]


def test_first_purchase(compile_text) -> None:
    program = compile_text("earn 1 point when first_purchase")
    first, second = outcomes(program, purchase(id="p-1"), purchase(id="p-2", at=datetime(2026, 3, 19, tzinfo=UTC)))
    assert [sum(e.points for e in o.entries) for o in (first, second)] == [1, 0]


def test_tier_comparison_follows_tier_order(compile_text) -> None:
    program = compile_text("tier bronze\ntier silver when spend_total >= 100\ntier gold when spend_total >= 1000\n"
                           "earn 1 point when tier >= silver")
    later = datetime(2026, 3, 19, tzinfo=UTC)
    first, second = outcomes(program, purchase(500, id="p-1"), purchase(10, id="p-2", at=later))
    assert [sum(e.points for e in o.entries) for o in (first, second)] == [0, 1]  # tier before the event


def test_spend_window_includes_this_event(compile_text) -> None:
    assert applies(compile_text, "spend_30d >= 100 and count_30d == 1", purchase(100))


def test_arithmetic_follows_precedence(compile_text) -> None:
    assert applies(compile_text, "amount == 2 + 3 * 4 - -1", purchase(15))


def test_division_keeps_fractions(compile_text) -> None:
    assert applies(compile_text, "amount / 8 == 12.5", purchase(100))


# --- items ------------------------------------------------------------------------------------------


def test_earn_of_items_counts_only_matching_lines(compile_text) -> None:
    program = compile_text('earn 1 point per 1000 toman of items where category == "coffee"')
    items = (Item("C1", "coffee", qty=2, price=5000), Item("P1", "pastry", qty=1, price=90_000))
    assert earned(program, purchase(100_000, items=items)) == 10


def test_earn_per_item_counts_units(compile_text) -> None:
    program = compile_text('earn 5 points per item where sku in ["C1", "C2"] and price > 1000')
    items = (Item("C1", "coffee", qty=3, price=5000), Item("C2", "coffee", qty=1, price=500), Item("X", qty=4, price=9000))
    assert earned(program, purchase(100_000, items=items)) == 15


def test_item_attribute_reads_item_fields(compile_text) -> None:
    program = compile_text('earn 1 point per item where item.brand == "lavazza"')
    items = (Item("A", qty=2, fields=MappingProxyType({"brand": "lavazza"})), Item("B", qty=5))
    assert earned(program, purchase(items=items)) == 2


# --- missing values ------------------------------------------------------------------------------------


@pytest.mark.parametrize("condition, holds", [
    ("voucher == 1", False), ("voucher != 1", True),
    ("voucher < 1", False), ("voucher <= 1", False), ("voucher > 1", False), ("voucher >= 1", False),
    ("voucher + 1 > 0", False), ("-voucher < 0", False), ("voucher / 2 >= 0", False),
    ("voucher in [1, 2]", False), ("voucher not in [1, 2]", True),
    ('member.city == "Shiraz"', False), ('member.city != "Shiraz"', True),
    ("purchase.voucher == 1", False),
])
def test_missing_field(compile_text, condition: str, holds: bool) -> None:
    assert applies(compile_text, condition, purchase()) is holds


def test_field_of_a_surprising_type_is_never_ordered(compile_text) -> None:
    assert not applies(compile_text, "voucher > 1", purchase(voucher="card"))
    assert not applies(compile_text, "voucher < 1", purchase(voucher="card"))


def test_field_present_is_compared(compile_text) -> None:
    assert applies(compile_text, 'voucher == "card" and basket * 2 > 5', purchase(voucher="card", basket=3))


@pytest.mark.parametrize("condition, holds", [
    ('branch == "12"', True), ('branch != "12"', False), ('branch in ["12", "14"]', True),
    ('branch not in ["12", "14"]', False), ('branch == "012"', False), ("branch >= 10", True),
])
def test_a_number_read_from_csv_equals_the_text_of_its_digits(compile_text, condition: str, holds: bool) -> None:
    # a CSV cell `12` in a column the language does not know is read as the number 12
    assert applies(compile_text, condition, purchase(branch=12)) is holds


def test_a_number_is_not_equal_to_other_text(compile_text) -> None:
    assert not applies(compile_text, 'branch == "twelve"', purchase(branch=12))
    assert not applies(compile_text, 'branch == "true"', purchase(branch=True))


def test_condition_evaluated_on_stand_ins(compile_text) -> None:
    program = compile_text('reward r "R" costs 1 point gives free_shipping() when member.city == "Shiraz" and voucher != "cash"')
    when = program.rewards["r"].when
    assert when is not None
    member = SimpleNamespace(attrs={"city": "Shiraz"})
    assert when(SimpleNamespace(fields={}), member, None) is True
    assert when(SimpleNamespace(fields={"voucher": "cash"}), member, None) is False


# --- evaluation errors ------------------------------------------------------------------------------------


def test_division_by_zero_fails_the_event(compile_text) -> None:
    program = compile_text("earn 1 point\nsurprise: earn 1 point when amount / discount > 1")
    report = simulate(program, [purchase(discount=0)], follow=("m-1",))
    (outcome,) = report.followed["m-1"]
    assert (outcome.status, outcome.entries) == ("failed", ())
    assert outcome.reason == "rule `surprise` (line 2) could not be evaluated: division by zero"
    assert report.status.get("failed") == 1


def test_failed_event_leaves_no_trace_in_member_figures(compile_text) -> None:
    program = compile_text("earn 1 point when amount / 0 > 1")
    report = simulate(program, [purchase(500)])
    assert [(m.balance, m.spend_total) for m in report.members] == [(0, 0)]


def test_a_failing_item_condition_names_its_rule(compile_text) -> None:
    # item conditions are compiled into one loop per rule (the sum it counts on), not called item by item
    program = compile_text("odd: earn 1 point per 100 toman of items where price / (qty - 1) > 5")
    (outcome,) = outcomes(program, purchase(500, items=(Item(category="x", qty=1, price=500),)))
    assert (outcome.status, outcome.reason) == ("failed", "rule `odd` (line 1) could not be evaluated: division by zero")


def test_unlabelled_failing_rule_is_named_by_its_line(compile_text) -> None:
    program = compile_text("\n\nearn 1 point when amount / 0 > 1")
    (outcome,) = outcomes(program, purchase())
    assert outcome.reason == "the rule on line 3 could not be evaluated: division by zero"


# --- user text is data, never code -------------------------------------------------------------------------


def test_text_that_looks_like_python_is_only_text(compile_text, tmp_path) -> None:
    marker = tmp_path / "ran"
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    program = compile_text(f'earn 1 point when channel == "{code}"')
    assert earned(program, purchase(channel="app")) == 0
    assert earned(program, purchase(channel=code)) == 1
    assert not marker.exists()


@pytest.mark.parametrize("condition", ["__class__ == 1", "purchase.__class__ == 1", "member.__dict__ == 1",
                                       "__builtins__ == 1"])
def test_dunder_names_are_plain_fields(compile_text, condition: str) -> None:
    assert not applies(compile_text, condition, purchase())


def test_text_with_quotes_and_backslashes_is_matched_literally(compile_text) -> None:
    program = compile_text(r'earn 1 point when note == "a \"b\" \\ c"')
    assert earned(program, purchase(note='a "b" \\ c')) == 1


# --- where rules come from -----------------------------------------------------------------------------------


def test_rule_source_is_the_statement_without_label_or_comment(compile_text) -> None:
    program = compile_text('a: earn 1 point; b: earn 2 points when note == "#1"  # why\ntier bronze')
    assert [(r.source.label, r.source.line, r.source.text) for r in program.earn] == [
        ("a", 1, "earn 1 point"), ("b", 1, 'earn 2 points when note == "#1"')]
    assert (program.tiers[0].source.label, program.tiers[0].source.text) == ("line 2", "tier bronze")


def test_rule_source_of_a_statement_over_several_lines(compile_text) -> None:
    program = compile_text('reward r "R" costs 5 points gives discount(  # ten percent\n    percent: 10%)')
    assert program.rewards["r"].source.text == 'reward r "R" costs 5 points gives discount( percent: 10%)'


def _global_reads(function: Any) -> set[str]:
    import dis
    return {i.opname for i in dis.get_instructions(function, adaptive=True) if i.opname.startswith("LOAD_GLOBAL")}


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="the specialising interpreter is CPython's")
def test_rulebook_code_reads_its_constants_as_fast_globals(compile_text) -> None:
    # CPython specialises a read of a global only in a namespace whose keys it knows to be text; the namespace of
    # rulebook code is built from the compiled engine's helpers, whose table did not say so (codegen.globals_of).
    program = compile_text("""
        tier bronze
        tier gold when spend_30d >= 1000000
        coffee: earn 2 points per 10000 toman of items where category == "coffee"
        app: earn 1 point per 1000 toman when channel == "app"
        gold_boost: bonus 2x when tier == gold
    """)
    events = [purchase(id=f"p{n}", at=NOON.replace(minute=n % 60), channel="app",
                       items=(Item(category="coffee", qty=1, price=50_000),)) for n in range(200)]
    simulate(program, events)
    plan = program.earning[("purchase", None)].run
    # the reads the events reached are specialised; those no event reached (error paths) never are
    assert "LOAD_GLOBAL_MODULE" in _global_reads(plan)
