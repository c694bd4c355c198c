"""Ledger entries explain themselves the same whether their reasons came as text or as figures."""

from __future__ import annotations

from datetime import datetime, timezone

from rules_engine.ledger import Entry

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
TEXT = (
    "+12: base, 1 per 10,000 on 120,500 of the purchase",
    "×1.5: gold_boost",
    "capped at 15 by cap (9,985 of 10,000 already earned in 30 days)",
)
FIGURES = [
    ("+{:,}: base, 1 per 10,000 on {:,} of the purchase", 12, 120_500),
    ("×1.5: gold_boost",),
    ("capped at {:,} by {} ({:,} of {:,} already earned in {})", 15, "cap", 9_985, 10_000, "30 days"),
]


def earn(why: tuple[str, ...] | list[tuple[object, ...]], points: int = 15) -> Entry:
    return Entry("m1", AT, "earn", points, "p1", "base", why)


def test_reasons_given_as_figures_read_as_the_same_text() -> None:
    assert earn(list(FIGURES)).why == TEXT
    assert earn(list(FIGURES)).explain() == earn(TEXT).explain()


def test_an_entry_equals_and_hashes_as_its_text_does() -> None:
    assert earn(list(FIGURES)) == earn(TEXT)
    assert hash(earn(list(FIGURES))) == hash(earn(TEXT))
    assert earn(list(FIGURES)) != earn(TEXT, points=16)


def test_figures_are_not_read_as_templates() -> None:
    expired = Entry("m1", AT, "expire", -5, "e{0}", "expiry", [("{:,} of the {:,} points earned by {} expired", 5, 9, "e{0}")])
    assert expired.why == ("5 of the 9 points earned by e{0} expired",)
