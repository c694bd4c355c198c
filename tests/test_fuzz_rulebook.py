"""Hostile and random rulebooks: the compiler answers with diagnostics, never with an exception.

Designers paste text from spreadsheets, chat apps and generators, so the compiler
must survive any string. Each test hands it text a designer (or an attacker) could
write and checks only that a result came back and that every diagnostic points
inside that text; the wording of the diagnostics is tested elsewhere.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from rules_engine.dsl import parser
from rules_engine.dsl.compiler import compile_source
from rules_engine.dsl.diagnostics import Diagnostic, lines_of
from rules_engine.plugins.manager import default_registry
from rules_engine.program import Program
from rules_engine.readers import read_events
from rules_engine.simulation import simulate

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "rulebooks").glob("*.rules"))
GRAMMAR = Lark((ROOT / "rules_engine" / "dsl" / "rulebook.lark").read_text(encoding="utf-8"),
               start="statement", parser="lalr", lexer="contextual")
REGISTRY = default_registry()

# Terminals whose regular expressions hypothesis would fill with arbitrary unicode;
# these keep generated statements close to what designers write, so that many of
# them get past the parser and exercise the checker and the code generator too.
_DIGITS = st.sampled_from("0123456789۰۱۲۳۴۵۶۷۸۹")
_NAMES = st.sampled_from(["gold", "silver", "amount", "member", "category", "sku", "items", "tier", "coffee",
                          "visits_30d", "spend_90d", "weekday", "channel", "free_item", "discount", "x", "طلایی"])
EXPLICIT = {
    "NAME": _NAMES,
    "NUMBER": st.one_of(st.integers(0, 10**6).map(str), st.text(_DIGITS, min_size=1, max_size=40),
                        st.builds(lambda a, b, s: f"{a}.{b}{s}", st.integers(0, 999), st.integers(0, 99),
                                  st.sampled_from(["", "k", "m", "b"]))),
    "STRING": st.text(st.characters(blacklist_characters='"\\\n\r', blacklist_categories=("Cs",)), max_size=12)
                .map(lambda s: f'"{s}"'),
    "DATE": st.builds(lambda y, m, d: f"{y:04d}-{m}-{d}", st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99)),
}
statements = from_lark(GRAMMAR, start="statement", explicit=EXPLICIT)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def compiles_to_diagnostics(text: str) -> list[Diagnostic]:
    """Compile `text`; fail the test if anything but a (program or None, diagnostics) pair comes back."""
    program, diagnostics = compile_source(text, "fuzz.rules", REGISTRY)
    assert program is None or isinstance(program, Program)
    assert isinstance(diagnostics, list)
    lines = lines_of(text)
    for d in diagnostics:
        assert isinstance(d, Diagnostic)
        assert 1 <= d.line <= len(lines), d
        assert 1 <= d.column <= len(lines[d.line - 1]) + 1, d
        assert d.end_column > d.column, d
    if program is None:
        assert any(d.severity == "error" for d in diagnostics)
    return diagnostics


@FAST
@given(st.lists(statements, min_size=1, max_size=6))
def test_generated_rulebooks_compile_or_get_diagnostics(lines: list[str]) -> None:
    compiles_to_diagnostics("\n".join(lines))


# --- mutated samples -------------------------------------------------------------------

def _mutate(text: str, rng: random.Random, steps: int) -> str:
    """Damage a rulebook the way editing accidents do: characters and lines lost, doubled, swapped."""
    lines = text.split("\n")
    for _ in range(steps):
        kind = rng.randrange(7)
        if kind == 0 and lines:  # delete a line
            del lines[rng.randrange(len(lines))]
        elif kind == 1 and lines:  # duplicate a line
            at = rng.randrange(len(lines))
            lines.insert(at, lines[at])
        elif kind == 2 and len(lines) > 1:  # swap two lines
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
        elif lines:
            at = rng.randrange(len(lines))
            line = lines[at]
            pos = rng.randrange(len(line) + 1)
            if kind == 3 and line:  # delete a character
                pos = min(pos, len(line) - 1)
                line = line[:pos] + line[pos + 1:]
            elif kind == 4:  # insert a character, often one that means something in the language
                line = line[:pos] + rng.choice('()[]":;#.,=<>+-*/%x0_\\\t\u200c\u00a0é۵') + line[pos:]
            elif kind == 5 and line:  # duplicate a run of characters
                end = min(len(line), pos + rng.randrange(1, 8))
                line = line[:end] + line[pos:end] + line[end:]
            else:  # swap two tokens of the line
                words = line.split(" ")
                if len(words) > 1:
                    a, b = rng.randrange(len(words)), rng.randrange(len(words))
                    words[a], words[b] = words[b], words[a]
                line = " ".join(words)
            lines[at] = line
    return "\n".join(lines)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 12))
def test_mutated_samples_compile_or_get_diagnostics(sample: Path, seed: int, steps: int) -> None:
    compiles_to_diagnostics(_mutate(sample.read_text(encoding="utf-8"), random.Random(seed), steps))


@FAST
@given(st.text(max_size=300))
def test_arbitrary_text_gets_diagnostics(text: str) -> None:
    compiles_to_diagnostics(text)


@FAST
@given(st.binary(max_size=400))
def test_binary_garbage_gets_diagnostics(data: bytes) -> None:
    compiles_to_diagnostics(data.decode("utf-8", errors="replace"))


# --- hostile cases, one each --------------------------------------------------------------

def _messages(text: str) -> str:
    return "\n".join(d.message for d in compiles_to_diagnostics(text))


def test_ten_thousand_nested_parentheses_are_refused_as_too_deep() -> None:
    text = "earn 1 point when " + "(" * 10_000 + "amount > 1" + ")" * 10_000
    assert "nested" in _messages(text)


def test_ten_thousand_nested_list_brackets_are_refused_as_too_deep() -> None:
    text = "earn 1 point when amount in " + "[" * 10_000 + "1" + "]" * 10_000
    assert "nested" in _messages(text)


@pytest.mark.parametrize("condition", [
    "not " * 990 + "amount > 1",
    "amount > " + "-" * 3_900 + "1",
    "amount > 1" + " + 1" * 990,
], ids=["not", "minus", "plus"])
def test_deep_nesting_without_brackets_within_the_statement_limit_is_refused(condition: str) -> None:
    assert "nested more than" in _messages("earn 1 point when " + condition)


def test_deep_nesting_beyond_the_statement_limit_is_refused() -> None:
    assert "longer than" in _messages("earn 1 point when " + "not " * 5_000 + "amount > 1")


def test_five_thousand_chained_ors_compile_or_get_diagnostics() -> None:
    compiles_to_diagnostics("earn 1 point when " + " or ".join(["amount > 1"] * 5_000))


def test_a_long_chain_of_ors_that_fits_the_statement_limit_compiles() -> None:
    condition = " or ".join(["amount > 1"] * 250)
    program, diagnostics = compile_source(f"earn 1 point per 1000 toman when {condition}", "chain.rules", REGISTRY)
    assert program is not None, diagnostics


def test_a_long_chain_of_additions_gets_diagnostics() -> None:
    compiles_to_diagnostics("earn 1 point when " + " + ".join(["amount"] * 400) + " > 1")


def test_a_five_thousand_digit_number_is_refused() -> None:
    assert _messages("earn " + "9" * 5_000 + " points per 1000 toman")


def test_a_number_too_long_to_use_is_refused_for_its_digits() -> None:
    assert "digits" in _messages("earn 1 point when amount > " + "9" * 3_000)


def test_a_long_decimal_fraction_is_refused() -> None:
    assert "digits" in _messages("earn 1." + "5" * 200 + " points per 1000 toman")


def test_a_one_megabyte_line_gets_diagnostics() -> None:
    compiles_to_diagnostics("earn 1 point when amount > 1 " + "x" * (1_000_000 - 40))


def test_a_rulebook_over_the_size_limit_is_refused() -> None:
    text = 'program "big"\n' + "# padding\n" * (parser.MAX_RULEBOOK_CHARS // 10 + 1)
    assert "longer than" in _messages(text)


def test_nul_bytes_get_diagnostics() -> None:
    assert compiles_to_diagnostics('program "a\x00b"\nearn 1\x00 point per 1000 toman\n\x00\x00\x00')


def test_a_nul_byte_inside_a_word_is_reported() -> None:
    diagnostics = compiles_to_diagnostics("earn 1 po\x00int per 1000 toman")
    assert diagnostics and diagnostics[0].line == 1


@pytest.mark.parametrize("confusable", ["\u0430", "\u03bf", "\uff45", "\u0435", "\u1d00"])  # Cyrillic a, Greek o, fullwidth e, ...
def test_unicode_confusables_in_keywords_get_diagnostics(confusable: str) -> None:
    assert compiles_to_diagnostics(f"e{confusable}rn 1 point per 1000 toman\ntier gold when spend_90d > 1{confusable}")


@pytest.mark.parametrize("mark", ["\u200f", "\u200e", "\u202e", "\u2067", "\u061c", "\ufeff", "\u2028"])
def test_direction_and_invisible_marks_compile_or_get_diagnostics(mark: str) -> None:
    compiles_to_diagnostics(f'program "{mark}Kafe"\n{mark}earn 1 point per 1000 toman{mark}\ntier {mark}gold')


def test_a_right_to_left_override_in_a_rule_is_reported() -> None:
    diagnostics = compiles_to_diagnostics("earn 1 point per 1000 toman when amount \u202e> 10")
    assert any("U+202E" in d.message for d in diagnostics)


def test_only_a_bom_and_whitespace_is_an_empty_rulebook() -> None:
    program, diagnostics = compile_source("\ufeff\n\n   \r\n\t", "fuzz.rules", REGISTRY)
    assert diagnostics == []
    assert program is not None and (program.tiers, program.earn, program.rewards) == ((), (), {})


@pytest.mark.parametrize("duration", ["36526 days", "5218 weeks", "1201 months", "101 years", "9" * 30 + " days"])
def test_a_duration_over_a_century_is_refused(duration: str) -> None:
    assert "at most" in _messages(f"earn 1 point per 1000 toman\npoints expire after {duration}")


@pytest.mark.parametrize("calendar", ["gregorian", "jalali"])
def test_the_longest_durations_run_on_the_earliest_and_latest_event_times(tmp_path: Path, calendar: str) -> None:
    program, diagnostics = compile_source(
        f"calendar {calendar}\nearn 1 point per 1000 toman\npoints expire after 100 years\n"
        "cap 10 points per 5217 weeks\ntier base\ntier top when spend_3660d > 1\ntiers downgrade after 1200 months\n",
        "long.rules", REGISTRY)
    assert program is not None, diagnostics
    events = tmp_path / "edges.jsonl"
    events.write_text('{"id": "p-1", "member": "m-1", "at": "1900-01-01T00:00:00+00:00", "amount": 10000}\n'
                      '{"id": "p-2", "member": "m-1", "at": "2199-12-31T23:59:59+00:00", "amount": 10000}\n',
                      encoding="utf-8")
    read = read_events(events, program.settings.tz)
    assert read.errors == ()
    assert simulate(program, read.events).status == {"applied": 2}
