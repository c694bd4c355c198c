"""Plugins that cannot even be loaded: each must become a PluginError naming it."""

from __future__ import annotations

from pydantic import BaseModel

from rules_engine import hookimpl
from rules_engine.plugins.registry import DslFunction, RewardType


class NoParams(BaseModel):
    pass


class RaisesInHook:
    @hookimpl
    def loyalty_reward_types(self) -> list[RewardType]:
        raise KeyError("catalogue")


class AnswersNotAList:
    @hookimpl
    def loyalty_reward_types(self) -> object:
        return RewardType("single", NoParams, lambda p, ctx: {})


class ForgetsToReturn:
    @hookimpl
    def loyalty_reward_types(self) -> None:
        [RewardType("lost", NoParams, lambda p, ctx: {})]


class FunctionTakesTwo:
    @hookimpl
    def loyalty_functions(self) -> list[DslFunction]:
        return [DslFunction("near", ("string",), "bool", lambda store, city: True)]


class AnswersWrongItems:
    @hookimpl
    def loyalty_functions(self) -> list[object]:
        return ["is_holiday"]


class MisspelledHook:
    @hookimpl
    def loyalty_reward_type(self) -> list[RewardType]:
        return []


class SecondProduct:
    @hookimpl
    def loyalty_reward_types(self) -> list[RewardType]:
        return [RewardType("product", NoParams, lambda p, ctx: {})]


class UnknownValueType:
    @hookimpl
    def loyalty_functions(self) -> list[DslFunction]:
        return [DslFunction("double", ("money",), "money", lambda x: x * 2)]  # type: ignore[arg-type]


class BadOfferName:
    @hookimpl
    def loyalty_partner_offers(self) -> list[object]:
        from rules_engine.plugins.registry import PartnerOffer
        return [PartnerOffer("fit land", "gym 20", "spaces", lambda ctx: {})]


class AsksForArguments:
    @hookimpl
    def loyalty_functions(self, registry: object) -> list[DslFunction]:
        return []
