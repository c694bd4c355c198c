"""Step 6 of evaluating an event (tiers), the tier catch-up of step 1, and perks."""

from __future__ import annotations

from helpers import entries, run

from rules_engine.engine import Engine

TIERS = """
    tier bronze
    tier silver when spend_7d >= 100000
    tier gold when spend_7d >= 500000
    base: earn 1 point per 1000 toman
    gold_boost: bonus 2x when tier >= gold
"""


def _changes(outcomes) -> list[tuple[str, str | None, str, int]]:
    return [(c.member, c.before, c.after, c.at.day) for o in outcomes for c in o.tier_changes]


def test_tier_upgrade_is_immediate_and_counts_from_the_next_event(compile_text) -> None:
    engine = Engine(compile_text(TIERS))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":500000}',
        '{"id":"p2","member":"m1","at":"2026-01-01T11:00:00Z","amount":10000}',
    )
    assert _changes(outcomes[:1]) == [("m1", "bronze", "gold", 1)]
    # p1 earned as bronze (the tier before it), p2 as gold.
    assert [(e.event, e.points) for e in entries(outcomes)] == [("p1", 500), ("p2", 20)]


def test_downgrade_without_grace_is_immediate(compile_text) -> None:
    engine = Engine(compile_text(TIERS))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}',
        '{"id":"e1","type":"event","name":"visit","member":"m1","at":"2026-01-08T10:00:00Z"}',
    )
    assert _changes(outcomes) == [("m1", "bronze", "silver", 1), ("m1", "silver", "bronze", 8)]


def test_a_tier_change_says_what_the_figures_of_the_condition_stood_at(compile_text) -> None:
    engine = Engine(compile_text(TIERS.replace("spend_7d >= 100000", "spend_7d >= 100000 or points > 5000")))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}',
        '{"id":"e1","type":"event","name":"visit","member":"m1","at":"2026-01-08T10:00:00Z"}',
    )
    up, down = [c.why for o in outcomes for c in o.tier_changes]
    assert up.endswith("when spend_7d >= 100000 or points > 5000 (spend_7d 100,000, points 100)")
    assert down == "no longer qualifies for silver (spend_7d 0, points 100)"


def test_a_tier_change_words_its_condition_as_written(compile_text) -> None:
    engine = Engine(compile_text(TIERS.replace("spend_7d >= 100000", 'spend_7d >= 100000 or member.club == "{vip}"')))
    outcomes = run(engine, '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}')
    assert outcomes[0].tier_changes[0].why == (
        'qualified for silver: tier silver when spend_7d >= 100000 or member.club == "{vip}" (spend_7d 100,000)')


def test_a_downgrade_after_grace_says_when_the_member_last_qualified(compile_text) -> None:
    engine = Engine(compile_text(TIERS + "tiers downgrade after 30 days\n"))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}',
        '{"id":"e1","type":"event","name":"visit","member":"m1","at":"2026-02-01T10:00:00Z"}',
    )
    assert outcomes[1].tier_changes[0].why == "has not qualified since 2026-01-01 (30 days grace) for silver (spend_7d 0)"


def test_tiers_that_test_the_same_windows_each_read_them_as_they_stand(compile_text) -> None:
    engine = Engine(compile_text("""
        tier bronze
        tier silver when spend_7d >= 100000 or count_7d >= 2
        tier gold when spend_7d >= 500000 or count_7d >= 3
    """))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":1000}',
        '{"id":"p2","member":"m1","at":"2026-01-02T10:00:00Z","amount":1000}',    # two orders: silver
        '{"id":"p3","member":"m1","at":"2026-01-03T10:00:00Z","amount":1000}',    # three: gold
        '{"id":"p4","member":"m1","at":"2026-01-09T10:00:00Z","amount":150000}',  # p1, p2 left the week; 151,000
        '{"id":"p5","member":"m1","at":"2026-01-17T10:00:00Z","amount":600000}',  # an empty week, then 600,000
    )
    # each event: the catch-up to its time, then the event
    assert [(c.before, c.after, c.at.day) for o in outcomes for c in o.tier_changes] == [
        ("bronze", "silver", 2), ("silver", "gold", 3), ("gold", "bronze", 9), ("bronze", "silver", 9),
        ("silver", "bronze", 17), ("bronze", "gold", 17)]


def test_downgrade_goes_to_the_qualified_tier(compile_text) -> None:
    engine = Engine(compile_text(TIERS))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":500000}',
        '{"id":"p2","member":"m1","at":"2026-01-07T10:00:00Z","amount":100000}',
        '{"id":"e1","type":"event","name":"visit","member":"m1","at":"2026-01-08T10:00:00Z"}',
    )
    assert _changes(outcomes) == [("m1", "bronze", "gold", 1), ("m1", "gold", "silver", 8)]


def test_downgrade_waits_for_grace(compile_text) -> None:
    engine = Engine(compile_text(TIERS + "tiers downgrade after 30 days\n"))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":500000}',
        '{"id":"p2","member":"m1","at":"2026-01-20T10:00:00Z","amount":1000}',     # 19 days: still gold
        '{"id":"p3","member":"m1","at":"2026-01-31T09:59:59Z","amount":1000}',     # just short of 30 days
        '{"id":"p4","member":"m1","at":"2026-01-31T10:00:00Z","amount":1000}',     # 30 days since it qualified
    )
    assert _changes(outcomes) == [("m1", "bronze", "gold", 1), ("m1", "gold", "bronze", 31)]
    assert outcomes[3].tier_changes[0].at == outcomes[3].event.at
    assert [(e.event, e.points) for e in entries(outcomes)] == [("p1", 500), ("p2", 2), ("p3", 2), ("p4", 1)]


def test_grace_clock_restarts_each_time_the_member_qualifies(compile_text) -> None:
    engine = Engine(compile_text(TIERS + "tiers downgrade after 30 days\n"))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":500000}',
        '{"id":"p2","member":"m1","at":"2026-01-20T10:00:00Z","amount":500000}',   # qualifies again
        '{"id":"e1","type":"event","name":"visit","member":"m1","at":"2026-02-18T10:00:00Z"}',  # 29 days
        '{"id":"e2","type":"event","name":"visit","member":"m1","at":"2026-02-19T10:00:00Z"}',  # 30 days
    )
    assert _changes(outcomes) == [("m1", "bronze", "gold", 1), ("m1", "gold", "bronze", 19)]
    assert "2026-01-20" in outcomes[3].tier_changes[0].why


def test_catch_up_downgrade_applies_before_earning(compile_text) -> None:
    engine = Engine(compile_text(TIERS))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":500000}',
        '{"id":"p2","member":"m1","at":"2026-01-08T10:00:00Z","amount":10000}',
    )
    # By p2 the 7-day spend is 10,000 without p1: gold fell due in the catch-up, so no bonus.
    assert [(e.event, e.points) for e in entries(outcomes)] == [("p1", 500), ("p2", 10)]
    assert [(c.before, c.after, c.at) for c in outcomes[1].tier_changes] == [("gold", "bronze", outcomes[1].event.at)]


def test_a_tier_condition_that_cannot_be_evaluated_leaves_the_tier(compile_text) -> None:
    engine = Engine(compile_text("""
        tier bronze
        tier gold when spend_total / count_total >= 100000
        base: earn 1 point per 1000 toman
    """))
    outcomes = run(
        engine,
        '{"id":"s1","type":"signup","member":"m1","at":"2026-01-01T10:00:00Z"}',
        '{"id":"p1","member":"m1","at":"2026-01-02T10:00:00Z","amount":200000}',
    )
    assert [o.status for o in outcomes] == ["applied", "applied"]
    assert "division by zero" in outcomes[0].notes[0]
    assert _changes(outcomes) == [("m1", "bronze", "gold", 2)]


PERKS = """
    tier bronze
    tier silver when spend_total >= 100000
    tier gold when spend_total >= 500000
    perk silver gives free_shipping()
"""


def test_perks_are_listed_on_purchases_for_the_tier_or_above(compile_text) -> None:
    engine = Engine(compile_text(PERKS))
    outcomes = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":100000}',  # bronze before: no perk
        '{"id":"p2","member":"m1","at":"2026-01-02T10:00:00Z","amount":400000}',  # silver
        '{"id":"p3","member":"m1","at":"2026-01-03T10:00:00Z","amount":1000}',    # gold
        '{"id":"e1","type":"event","name":"visit","member":"m1","at":"2026-01-04T10:00:00Z"}',
    )
    assert [[(e.kind, e.event_id) for e in o.effects] for o in outcomes] == [
        [], [("free_shipping", "p2")], [("free_shipping", "p3")], []]


def test_a_tier_condition_that_cannot_be_evaluated_leaves_the_tier_with_a_note(compile_text) -> None:
    engine = Engine(compile_text("""
        tier bronze
        tier silver when spend_7d >= 100000
        average: tier gold when spend_total / (count_total - 1) >= 1000000
        earn 1 point per 1000 toman
    """))
    first, second = run(
        engine,
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":200000}',
        '{"id":"p2","member":"m1","at":"2026-01-02T10:00:00Z","amount":200000}',
    )
    # after p1, count_total - 1 is 0: the ladder stops at gold's condition, the tier stays, the event still earns
    assert (first.status, first.tier_changes, [e.points for e in first.entries]) == ("applied", (), [200])
    assert first.notes == ("tier left at bronze, as the condition of gold failed: "
                           "rule `average` (line 4) could not be evaluated: division by zero",)
    # after p2 the condition can be read again (400000 / 1 is short of gold) and silver's holds
    assert [(c.before, c.after) for c in second.tier_changes] == [("bronze", "silver")]
