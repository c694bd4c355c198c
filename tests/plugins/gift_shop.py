"""A well-behaved plugin using every hook, as an integrator would write one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field

from rules_engine import hookimpl
from rules_engine.ledger import Outcome
from rules_engine.plugins.codes import CodeIssuer
from rules_engine.plugins.registry import DslFunction, EffectSink, PartnerOffer, RedeemContext, RewardType

FRIDAY = 4


class GiftCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: Decimal = Field(gt=0)
    design: str = "classic"


class GiftShop:
    """Gift cards, a tea-house offer, `is_weekend(date)` and a sink that keeps what it receives."""

    def __init__(self, blocked: frozenset[str] = frozenset()) -> None:
        self.blocked = blocked
        self.received: list[Outcome] = []
        self.issue = CodeIssuer("TEA-")

    def _gift_card(self, params: GiftCard, ctx: RedeemContext) -> Mapping[str, Any]:
        return {"amount": params.amount, "design": params.design, "for": ctx.reward_id}

    def _tea(self, ctx: RedeemContext) -> Mapping[str, Any]:
        return {"code": self.issue(), "title": "چای رایگان"}

    def _eligible(self, ctx: RedeemContext) -> bool:
        return ctx.member not in self.blocked

    @hookimpl
    def loyalty_reward_types(self) -> list[RewardType]:
        return [RewardType("gift_card", GiftCard, self._gift_card, "a gift card: gift_card(amount: 100k)")]

    @hookimpl
    def loyalty_partner_offers(self) -> list[PartnerOffer]:
        return [PartnerOffer("teahouse", "free-tea", "a free tea", self._tea, self._eligible)]

    @hookimpl
    def loyalty_functions(self) -> list[DslFunction]:
        return [DslFunction("is_weekend", ("date",), "bool", lambda day: day.weekday() == FRIDAY,
                            "true on Fridays, the Iranian weekend")]

    @hookimpl
    def loyalty_effect_sinks(self) -> list[EffectSink]:
        return [EffectSink("keeper", self.received.extend, "keeps every outcome in memory")]
