"""The built-in reward types: their parameters are checked at compile time, their effects carry what a shop needs."""

from __future__ import annotations

import math
import re
from collections import Counter
from decimal import Decimal

import pytest

from plugins.harness import engine_for, event, registry_with
from rules_engine.dsl.compiler import compile_source
from rules_engine.plugins import codes
from rules_engine.plugins.codes import CODE_ALPHABET, CODE_BITS, CODE_LENGTH, CodeIssuer, new_code


def redeem(gives: str, **purchase: object) -> dict:
    """The effect data of redeeming a reward that `gives` this, for a member with enough points."""
    engine = engine_for(f'earn 1 point per 1000\nreward r "R" costs 10 points gives {gives}')
    engine.process(event("p-1", "purchase", amount=100_000))
    outcome = engine.process(event("x-1", "redeem", 1, reward="r"))
    assert outcome.status == "applied", outcome.reason
    (effect,) = outcome.effects
    assert effect.plugin == "builtin.rewards"
    return dict(effect.data)


def errors(gives: str) -> list[str]:
    program, diagnostics = compile_source(f'reward r "R" costs 10 points gives {gives}', "t.rules", registry_with())
    assert program is None
    return [f"{d.line}:{d.column}: {d.message}" for d in diagnostics]


def test_a_percent_discount_carries_its_percent_and_cap() -> None:
    assert redeem("discount(percent: 10%, max: 200k)") == {"percent": Decimal(10), "max": Decimal(200_000)}


def test_an_amount_discount_carries_its_amount() -> None:
    assert redeem("discount(amount: 50k)") == {"amount": Decimal(50_000)}


@pytest.mark.parametrize("gives", ["discount()", "discount(percent: 10%, amount: 50k)"])
def test_a_discount_needs_exactly_one_of_percent_or_amount(gives: str) -> None:
    (message,) = errors(gives)
    assert "give exactly one of percent (like 10%) or amount (like 50k)" in message


def test_a_cap_on_an_amount_discount_is_refused() -> None:
    (message,) = errors("discount(amount: 50k, max: 100k)")
    assert "max limits a percent; an amount is already fixed, so drop max" in message


def test_a_percent_above_100_is_refused_at_the_argument() -> None:
    (message,) = errors("discount(percent: 120%)")
    assert message.startswith("1:45: ") and "percent" in message


def test_a_product_carries_its_sku_and_quantity() -> None:
    assert redeem('product(sku: "COF-1")') == {"sku": "COF-1", "qty": 1}
    assert redeem('product(sku: "COF-1", qty: 2)') == {"sku": "COF-1", "qty": 2}


def test_free_shipping_takes_no_arguments() -> None:
    assert redeem("free_shipping()") == {}
    (message,) = errors("free_shipping(days: 3)")
    assert "has no parameter `days`" in message


def test_cashback_pays_its_amount_into_the_members_wallet() -> None:
    assert redeem("cashback(amount: 20k)") == {"amount": Decimal(20_000), "wallet": "m-1"}


def test_a_coupon_carries_a_fresh_code_and_its_last_valid_day() -> None:
    data = redeem("coupon(amount: 50k, valid_days: 30)")
    assert re.fullmatch(r"([A-Z2-9]{4}-){3}[A-Z2-9]{4}", data.pop("code"))
    assert data == {"amount": Decimal(50_000), "valid_days": 30, "valid_until": "2026-04-01"}


def test_two_coupon_redemptions_get_different_codes() -> None:
    engine = engine_for('earn 1 point per 1000\nreward r "R" costs 10 points gives coupon(percent: 15%)')
    engine.process(event("p-1", "purchase", amount=100_000))
    first = engine.process(event("x-1", "redeem", 1, reward="r")).effects[0].data["code"]
    second = engine.process(event("x-2", "redeem", 1, reward="r")).effects[0].data["code"]
    assert first != second


# --- codes ------------------------------------------------------------------------------------------------


def test_a_code_has_at_least_64_bits_of_randomness() -> None:
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET) == 32
    assert CODE_BITS == CODE_LENGTH * math.log2(32) >= 64


def test_a_code_uses_only_the_alphabet_without_look_alikes() -> None:
    raw = new_code().replace("-", "")
    assert len(raw) == CODE_LENGTH and set(raw) <= set(CODE_ALPHABET)
    assert not set("01IO") & set(CODE_ALPHABET)


def test_codes_come_from_the_secrets_module(monkeypatch) -> None:
    monkeypatch.setattr(codes.secrets, "choice", lambda alphabet: alphabet[-1])
    assert new_code("X-") == "X-9999-9999-9999-9999"


def test_an_issuer_never_repeats_a_code_over_many_draws() -> None:
    issue = CodeIssuer()
    drawn = [issue() for _ in range(20_000)]
    assert len(set(drawn)) == len(drawn)


def test_an_issuer_draws_again_when_chance_repeats_a_code(monkeypatch) -> None:
    script = iter("A" * CODE_LENGTH + "A" * CODE_LENGTH + "B" * CODE_LENGTH)
    monkeypatch.setattr(codes.secrets, "choice", lambda alphabet: next(script))
    issue = CodeIssuer()
    assert [issue(), issue()] == ["AAAA-AAAA-AAAA-AAAA", "BBBB-BBBB-BBBB-BBBB"]


def test_consecutive_codes_are_not_sequential() -> None:
    issue = CodeIssuer()
    drawn = [issue().replace("-", "") for _ in range(2_000)]
    # A counter changes the last character or two; random codes differ almost everywhere.
    differing = [sum(a != b for a, b in zip(x, y)) for x, y in zip(drawn, drawn[1:])]
    assert min(differing) >= 6
    # Every character of the alphabet shows up in every position.
    for position in range(CODE_LENGTH):
        assert set(Counter(code[position] for code in drawn)) == set(CODE_ALPHABET)
