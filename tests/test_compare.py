"""What-if comparison: the same events under two rulebooks, and who changes and why."""

from __future__ import annotations

from datetime import datetime, timezone

from rules_engine.compare import compare, rule_changes
from rules_engine.events import Event

A = """
program "Test Club"
currency toman
calendar gregorian
timezone "UTC"
point value 10 toman
tier bronze
tier silver when spend_365d >= 1000
base: earn 1 points per 10 toman
promo: bonus 2x during 2026-01-10..2026-01-20
"""


def buy(id_: str, member: str, day: str, amount: int) -> Event:
    at = datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=timezone.utc)
    return Event(id=id_, type="purchase", member=member, at=at, amount=amount)


EVENTS = [buy("p1", "a", "2026-01-02", 800), buy("p2", "b", "2026-01-12", 300), buy("p3", "c", "2026-02-01", 50)]


def test_the_same_rulebook_changes_nothing(compile_text):
    result = compare(compile_text(A), compile_text(A), EVENTS)
    assert result.rule_changes == ()
    assert result.members == ()
    assert result.tier_moves == {}


def test_a_lower_tier_threshold_moves_members_and_says_which_condition(compile_text):
    b = A.replace("spend_365d >= 1000", "spend_365d >= 500")
    result = compare(compile_text(A), compile_text(b), EVENTS)
    first = result.members[0]
    assert (first.id, first.tier_a, first.tier_b) == ("a", "bronze", "silver")
    assert "spend_365d >= 500" in first.reasons[0]
    assert result.tier_moves == {("bronze", "silver"): 1}


def test_a_bigger_bonus_is_named_as_the_reason_for_more_points(compile_text):
    b = A.replace("promo: bonus 2x", "promo: bonus 3x")
    result = compare(compile_text(A), compile_text(b), EVENTS)
    (changed,) = result.members
    assert (changed.id, changed.balance_a, changed.balance_b) == ("b", 60, 90)
    assert changed.reasons == ("+30 points from promo",)
    assert (result.a.issued, result.b.issued) == (145, 175)


def test_members_with_the_biggest_change_come_first(compile_text):
    b = A.replace("base: earn 1 points per 10 toman", "base: earn 2 points per 10 toman")
    result = compare(compile_text(A), compile_text(b), EVENTS)
    assert [m.id for m in result.members] == ["a", "b", "c"]


def test_rule_changes_list_changed_added_and_removed_statements(compile_text):
    b = A.replace("promo: bonus 2x", "promo: bonus 3x").replace(
        "base: earn", "welcome: earn 5 points on signup\nbase: earn").replace("tier silver", "tier gold")
    changes = {c.label: (c.kind, c.before, c.after) for c in rule_changes(compile_text(A), compile_text(b))}
    kind, before, after = changes["promo"]
    assert kind == "bonus"
    assert before.endswith("bonus 2x during 2026-01-10..2026-01-20")
    assert after.endswith("bonus 3x during 2026-01-10..2026-01-20")
    assert changes["welcome"][:2] == ("earn", None)
    assert changes["welcome"][2].endswith("earn 5 points on signup")
    assert changes["tier silver"][2] is None
    assert changes["tier gold"][1] is None


UNLABELLED = """
currency toman
tier bronze
tier silver when spend_365d >= 1000
earn 1 points per 10 toman
reward mug "Mug" costs 50 points gives product(sku: "MUG")
perk silver gives free_shipping()
"""


def test_the_reasons_of_a_member_change_add_up_to_the_change_in_balance(compile_text):
    b = A.replace("promo: bonus 2x", "promo: bonus 3x") + "points expire after 1 months\n"
    result = compare(compile_text(A), compile_text(b), EVENTS, as_of=datetime(2026, 6, 1, tzinfo=timezone.utc))
    for change in result.members:
        figures = [int(reason.split()[0].replace(",", "")) for reason in change.reasons if reason[0] in "+-"]
        assert sum(figures) == change.balance_b - change.balance_a


def test_unlabelled_statements_are_matched_by_what_they_say_not_by_their_line(compile_text):
    moved = "# a comment moves every line down\n" + UNLABELLED
    assert rule_changes(compile_text(UNLABELLED), compile_text(moved)) == ()


def test_a_changed_setting_is_a_rule_change(compile_text):
    changes = rule_changes(compile_text(A), compile_text(A.replace('timezone "UTC"', 'timezone "Asia/Tehran"')))
    assert [(c.label, c.before, c.after) for c in changes] == [
        ("timezone", 'timezone "UTC"', 'timezone "Asia/Tehran"')]


def test_points_lost_to_a_shorter_expiry_name_the_expiry_statement(compile_text):
    a = A + "points expire after 12 months\n"
    b = A + "points expire after 1 months\n"
    result = compare(compile_text(a), compile_text(b), EVENTS, as_of=datetime(2026, 6, 1, tzinfo=timezone.utc))
    by_id = {m.id: m for m in result.members}
    assert by_id["a"].balance_b == 0
    assert "-80 points by expiry (B: points expire after 1 months)" in by_id["a"].reasons


def test_points_from_a_rule_without_a_label_name_it_by_what_it_says(compile_text):
    a = A + "cap 60 points per 30 days\n"
    b = A + "cap 30 points per 30 days\n"
    result = compare(compile_text(a), compile_text(b), EVENTS)
    by_id = {m.id: m for m in result.members}
    assert by_id["a"].reasons == ("-30 points from `cap 30 points per 30 days` (line 11)",)
