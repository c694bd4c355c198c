"""The editor's colouring of rule-language lines."""

from __future__ import annotations

from tui.highlight import spans


def coloured(line: str) -> list[tuple[str, str]]:
    return [(line[s.start:s.end], s.kind) for s in spans(line)]


def test_a_label_keywords_numbers_and_units_are_told_apart() -> None:
    assert coloured("base: earn 1 point per 10000 toman") == [
        ("base", "label"), ("earn", "keyword"), ("1", "number"), ("point", "keyword"), ("per", "keyword"),
        ("10000", "number"), ("toman", "constant"),
    ]


def test_a_hash_inside_a_string_does_not_start_a_comment() -> None:
    assert coloured('program "Club #1"  # the name') == [
        ("program", "keyword"), ('"Club #1"', "string"), ("# the name", "comment"),
    ]


def test_persian_titles_and_digits_keep_their_character_positions() -> None:
    line = 'reward tea "چای رایگان" costs ۱۰۰ points gives product(sku: "T")'
    assert coloured(line)[1:4] == [('"چای رایگان"', "string"), ("costs", "keyword"), ("۱۰۰", "number")]


def test_money_suffixes_factors_dates_and_percentages_are_numbers() -> None:
    assert [text for text, kind in coloured("b: bonus 2x during 1404-09-30..1404-09-30 when amount >= 2m")
            if kind == "number"] == ["2x", "1404-09-30", "1404-09-30", "2m"]


def test_a_reward_type_is_coloured_as_a_call() -> None:
    assert ("discount", "function") in coloured("reward x \"X\" costs 5 points gives discount(percent: 10%)")


def test_a_keyword_before_a_colon_is_not_a_label() -> None:
    assert coloured("tier: gold")[0] == ("tier", "keyword")
