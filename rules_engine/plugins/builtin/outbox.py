"""The SMS outbox: Persian messages for members, written to a JSON Lines file instead of sent.

Off unless LOYALTY_OUTBOX names the file (or a caller builds `outbox_sink(path)`),
so a simulation never fills an outbox by accident. Each line is one message:
`{"to": member, "template": name, "event": id, "at": ISO time, "text": "…"}`;
a gateway adapter reads the file and sends. Numbers and dates in the text use
Persian digits; codes keep Latin characters because members type them.

Expired points are announced from `expire` entries. A warning *before* points
expire comes from an effect of kind `expiry_soon` with `points` and `expires_at`
(an ISO date), which the nightly `loyalty expire --warn-days N` sends.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import jdatetime

from rules_engine.ledger import Outcome
from rules_engine.plugins.hookspecs import hookimpl
from rules_engine.plugins.registry import Effect, EffectSink

OUTBOX_ENV = "LOYALTY_OUTBOX"

TEMPLATES: dict[str, str] = {
    "tier_upgrade": "تبریک! سطح عضویت شما در باشگاه مشتریان به «{tier}» ارتقا یافت.",
    "tier_downgrade": "سطح عضویت شما در باشگاه مشتریان به «{tier}» تغییر کرد.",
    "points_earned": "امتیاز شما {points} افزایش یافت.",
    "points_expired": "{points} امتیاز شما منقضی شد.",
    "expiry_soon": "{points} امتیاز شما در تاریخ {date} منقضی می‌شود.",
    "code": "کد «{what}» شما: {code}",
    "code_until": "کد «{what}» شما: {code} (معتبر تا {until})",
    "cashback": "مبلغ {amount} به کیف پول شما واریز شد.",
}

_DIGITS = str.maketrans("0123456789,.", "۰۱۲۳۴۵۶۷۸۹٬٫")


def fa_number(value: int | Decimal) -> str:
    """1200 → ۱٬۲۰۰, with the Persian thousands separator."""
    return f"{value:,}".translate(_DIGITS)


def fa_date(day: date) -> str:
    """A Gregorian date as a Jalali one in Persian digits: 2026-04-04 → ۱۴۰۵/۰۱/۱۵."""
    return jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d").translate(_DIGITS)


@dataclass(frozen=True, slots=True)
class Message:
    to: str
    template: str
    event: str
    at: str
    text: str


def render(outcome: Outcome) -> Iterator[Message]:
    """The messages one outcome sends, in a stable order: points, effects, tier."""
    def message(member: str, template: str, at: str, **values: str) -> Message:
        return Message(member, template, outcome.event.id, at, TEMPLATES[template].format(**values))

    for entry in outcome.entries:
        if entry.kind == "earn":
            yield message(entry.member, "points_earned", entry.at.isoformat(), points=fa_number(entry.points))
        elif entry.kind == "expire":
            yield message(entry.member, "points_expired", entry.at.isoformat(), points=fa_number(-entry.points))
    for effect in outcome.effects:
        about = _about(effect, outcome.event.type)
        if about is not None:
            yield message(effect.member, about[0], outcome.event.at.isoformat(), **about[1])
    for change in outcome.tier_changes:
        template = "tier_upgrade" if change.upgrade else "tier_downgrade"
        yield message(change.member, template, change.at.isoformat(), tier=change.after)


def _about(effect: Effect, event_type: str) -> tuple[str, dict[str, str]] | None:
    """The template and values of an effect's message, or None when the effect is not news."""
    data = effect.data
    if effect.kind == "expiry_soon":
        return "expiry_soon", {"points": fa_number(data["points"]), "date": _fa_iso_date(data["expires_at"])}
    if event_type not in ("redeem", "claim"):  # perks listed on purchases are standing benefits
        return None
    what = str(data.get("title") or effect.kind)
    if "code" in data and "valid_until" in data:
        return "code_until", {"what": what, "code": str(data["code"]), "until": _fa_iso_date(data["valid_until"])}
    if "code" in data:
        return "code", {"what": what, "code": str(data["code"])}
    if effect.kind == "cashback":
        return "cashback", {"amount": fa_number(Decimal(str(data["amount"])))}
    return None


def _fa_iso_date(value: object) -> str:
    return fa_date(date.fromisoformat(str(value)))


class Outbox:
    """Appends the rendered messages of each batch to a JSON Lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, outcomes: Sequence[Outcome]) -> None:
        lines = [json.dumps(asdict(m), ensure_ascii=False) + "\n" for outcome in outcomes for m in render(outcome)]
        if lines:
            with self.path.open("a", encoding="utf-8") as out:
                out.writelines(lines)


def outbox_sink(path: Path | str) -> EffectSink:
    return EffectSink("outbox", Outbox(Path(path)), f"Persian SMS texts appended to {path}")


@hookimpl
def loyalty_effect_sinks() -> list[EffectSink]:
    path = os.environ.get(OUTBOX_ENV)
    return [outbox_sink(path)] if path else []
