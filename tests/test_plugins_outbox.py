"""The SMS outbox: Persian texts with Persian digits, appended as JSON Lines, off unless configured."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

from plugins.gift_shop import GiftShop
from plugins.harness import START, engine_for, event, registry_with
from rules_engine.ledger import Outcome
from rules_engine.plugins.builtin.outbox import OUTBOX_ENV, fa_number, outbox_sink, render
from rules_engine.plugins.delivery import deliver
from rules_engine.plugins.registry import Effect

BOOK = """\
tier bronze
tier silver when spend_90d >= 1m
earn 1 point per 1000
points expire after 10 days
reward card "Card" costs 100 points gives coupon(amount: 50k, valid_days: 30)
reward back "Back" costs 100 points gives cashback(amount: 20k)
perk silver gives free_shipping()
offer "teahouse:free-tea"
"""


def texts(outcome: Outcome) -> list[tuple[str, str]]:
    return [(m.template, m.text) for m in render(outcome)]


def test_earned_points_and_a_tier_upgrade_are_announced_in_persian_digits() -> None:
    engine = engine_for(BOOK, GiftShop())
    outcome = engine.process(event("p-1", "purchase", amount=1_200_000))
    assert texts(outcome) == [
        ("points_earned", "امتیاز شما ۱٬۲۰۰ افزایش یافت."),
        ("tier_upgrade", "تبریک! سطح عضویت شما در باشگاه مشتریان به «silver» ارتقا یافت."),
    ]


def test_a_tier_downgrade_is_announced_without_congratulations() -> None:
    engine = engine_for(BOOK, GiftShop())
    engine.process(event("p-1", "purchase", amount=1_200_000))
    outcome = engine.process(event("p-2", "purchase", 91, amount=10_000))  # the 90-day spend fell below 1m
    assert texts(outcome)[-1] == ("tier_downgrade", "سطح عضویت شما در باشگاه مشتریان به «bronze» تغییر کرد.")


def test_perks_on_a_purchase_send_no_message() -> None:
    engine = engine_for(BOOK, GiftShop())
    engine.process(event("p-1", "purchase", amount=1_200_000))
    outcome = engine.process(event("p-2", "purchase", 1, amount=120_000))
    assert [effect.kind for effect in outcome.effects] == ["free_shipping"]
    assert texts(outcome) == [("points_earned", "امتیاز شما ۱۲۰ افزایش یافت.")]


def test_a_coupon_code_is_sent_with_its_last_day_in_the_jalali_calendar() -> None:
    engine = engine_for(BOOK, GiftShop())
    engine.process(event("p-1", "purchase", amount=500_000))
    outcome = engine.process(event("x-1", "redeem", 1, reward="card"))
    code = outcome.effects[0].data["code"]
    assert texts(outcome) == [("code_until", f"کد «coupon» شما: {code} (معتبر تا ۱۴۰۵/۰۱/۱۲)")]


def test_a_partner_code_is_sent_with_the_partners_title() -> None:
    engine = engine_for(BOOK, GiftShop())
    outcome = engine.process(event("c-1", "claim", offer="teahouse:free-tea"))
    code = outcome.effects[0].data["code"]
    assert texts(outcome) == [("code", f"کد «چای رایگان» شما: {code}")]


def test_cashback_is_announced_with_its_amount() -> None:
    engine = engine_for(BOOK, GiftShop())
    engine.process(event("p-1", "purchase", amount=500_000))
    outcome = engine.process(event("x-1", "redeem", 1, reward="back"))
    assert texts(outcome) == [("cashback", "مبلغ ۲۰٬۰۰۰ به کیف پول شما واریز شد.")]


def test_expired_points_are_announced() -> None:
    engine = engine_for(BOOK, GiftShop())
    engine.process(event("p-1", "purchase", amount=300_000))
    (closing,) = engine.finish(START + timedelta(days=11))
    assert texts(closing) == [("points_expired", "۳۰۰ امتیاز شما منقضی شد.")]


def test_persian_numbers_keep_fractions_and_thousands() -> None:
    assert (fa_number(0), fa_number(1_234_567), fa_number(Decimal("12.5"))) == ("۰", "۱٬۲۳۴٬۵۶۷", "۱۲٫۵")


def test_the_outbox_appends_one_json_line_per_message(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    engine = engine_for(BOOK, GiftShop())
    first = [engine.process(event("p-1", "purchase", amount=1_200_000))]
    second = [engine.process(event("p-2", "purchase", 1, amount=10_000))]
    sink = outbox_sink(path)
    assert deliver(first, [sink]) == () and deliver(second, [sink]) == ()
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(m["to"], m["template"], m["event"]) for m in lines] == [
        ("m-1", "points_earned", "p-1"), ("m-1", "tier_upgrade", "p-1"), ("m-1", "points_earned", "p-2")]
    assert lines[2]["text"] == "امتیاز شما ۱۰ افزایش یافت."
    assert lines[0]["at"] == "2026-03-01T10:00:00+03:30"


def test_the_outbox_is_off_unless_configured(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv(OUTBOX_ENV, raising=False)
    assert "outbox" not in registry_with().sinks
    monkeypatch.setenv(OUTBOX_ENV, str(tmp_path / "outbox.jsonl"))
    assert registry_with().sinks["outbox"].plugin == "builtin.outbox"


def test_an_outbox_it_cannot_write_is_reported_and_other_sinks_still_receive(tmp_path: Path) -> None:
    shop = GiftShop()
    engine = engine_for(BOOK, shop)
    outcomes = [engine.process(event("p-1", "purchase", amount=10_000))]
    keeper = registry_with(shop).sinks["keeper"]
    failures = deliver(outcomes, [outbox_sink(tmp_path / "missing-dir" / "outbox.jsonl"), keeper])
    assert [(f.sink, f.plugin) for f in failures] == [("outbox", "?")]
    assert "FileNotFoundError" in failures[0].error
    assert shop.received == outcomes


def test_an_expiry_soon_effect_warns_with_the_jalali_date() -> None:
    warning = Effect("expiry_soon", "m-1", "nightly", MappingProxyType({"points": 250, "expires_at": "2026-03-20"}))
    outcome = Outcome(event("nightly", "event", name="nightly"), "applied", effects=(warning,))
    assert texts(outcome) == [("expiry_soon", "۲۵۰ امتیاز شما در تاریخ ۱۴۰۴/۱۲/۲۹ منقضی می‌شود.")]
