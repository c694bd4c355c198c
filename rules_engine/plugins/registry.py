"""What plugins contribute, as plain values the compiler and engine can use.

The plugin manager (`rules_engine.plugins.manager`) asks every plugin through its
hooks and folds the answers into one immutable `Registry`. The compiler checks a
rulebook against a registry; the engine calls the implementations it holds. Neither
knows about pluggy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Literal, Mapping

from pydantic import BaseModel

ValueType = Literal["number", "string", "bool", "date", "weekday", "tier", "any"]


@dataclass(frozen=True, slots=True)
class RedeemContext:
    """What a reward type may know when it produces its effect."""

    member: str
    event_id: str
    at: Any  # datetime of the redemption
    reward_id: str
    seed: str  # stable per event: plugins that need randomness for tests may derive from it


@dataclass(frozen=True, slots=True)
class Effect:
    """Something that happens outside the points ledger: a coupon, a product, a message."""

    kind: str
    member: str
    event_id: str
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    plugin: str = ""

    def describe(self) -> str:
        details = ", ".join(f"{k}={v}" for k, v in self.data.items())
        return f"{self.kind}({details})"


@dataclass(frozen=True, slots=True)
class RewardType:
    """A kind a rulebook can name in `gives KIND(ARGS)`.

    `params` validates the arguments when the rulebook is compiled; `redeem`
    turns validated arguments into the effect of one redemption.
    """

    name: str
    params: type[BaseModel]
    redeem: Callable[[BaseModel, RedeemContext], Mapping[str, Any]]
    description: str = ""
    plugin: str = ""


@dataclass(frozen=True, slots=True)
class DslFunction:
    """A function rulebook conditions may call, with a checked signature."""

    name: str
    params: tuple[ValueType, ...]
    returns: ValueType
    impl: Callable[..., Any]
    description: str = ""
    plugin: str = ""


@dataclass(frozen=True, slots=True)
class PartnerOffer:
    """One offer a partner provides (`offer "PARTNER:OFFER"`)."""

    partner: str
    offer: str
    title: str
    issue: Callable[[RedeemContext], Mapping[str, Any]]
    eligible: Callable[[RedeemContext], bool] = lambda ctx: True
    plugin: str = ""

    @property
    def ref(self) -> str:
        return f"{self.partner}:{self.offer}"


@dataclass(frozen=True)
class Registry:
    reward_types: Mapping[str, RewardType] = field(default_factory=dict)
    functions: Mapping[str, DslFunction] = field(default_factory=dict)
    offers: Mapping[str, PartnerOffer] = field(default_factory=dict)
