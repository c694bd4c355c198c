"""A plugin whose every answer at run time is wrong in a different way."""

from __future__ import annotations

from typing import Any, Sequence

from pydantic import BaseModel

from rules_engine import hookimpl
from rules_engine.ledger import Outcome
from rules_engine.plugins.registry import DslFunction, EffectSink, PartnerOffer, RedeemContext, RewardType


class NoParams(BaseModel):
    pass


def _raise(*args: Any) -> Any:
    raise RuntimeError("partner API is down")


def _a_list(*args: Any) -> Any:
    return ["not", "a", "mapping"]


def _a_set(*args: Any) -> Any:
    return {"code": "X", "nights": {1, 2}}


def _yes(ctx: RedeemContext) -> Any:
    return "yes"


def _failing_sink(outcomes: Sequence[Outcome]) -> None:
    raise ConnectionError("SMS gateway refused the connection")


class Faulty:
    @hookimpl
    def loyalty_reward_types(self) -> list[RewardType]:
        return [RewardType("boom", NoParams, _raise), RewardType("shapeless", NoParams, _a_list),
                RewardType("unkeepable", NoParams, _a_set)]

    @hookimpl
    def loyalty_partner_offers(self) -> list[PartnerOffer]:
        return [PartnerOffer("faulty", "raises", "raises on issue", _raise),
                PartnerOffer("faulty", "shapeless", "returns a list", _a_list),
                PartnerOffer("faulty", "maybe", "answers eligibility with a string", lambda ctx: {"code": "X"}, _yes)]

    @hookimpl
    def loyalty_functions(self) -> list[DslFunction]:
        return [DslFunction("explode", ("date",), "bool", _raise),
                DslFunction("wishy", ("date",), "bool", lambda day: "yes")]

    @hookimpl
    def loyalty_effect_sinks(self) -> list[EffectSink]:
        return [EffectSink("gateway", _failing_sink)]
