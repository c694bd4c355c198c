"""What plugins contribute, as plain values the compiler and engine can use.

The plugin manager (`rules_engine.plugins.manager`) asks every plugin through its
hooks and folds the answers into one immutable `Registry`. The compiler checks a
rulebook against a registry; the engine calls the implementations it holds; the
caller of the engine hands outcomes to the sinks (`rules_engine.plugins.delivery`).
None of them knows about pluggy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Sequence

from pydantic import BaseModel

from rules_engine.items import EMPTY
from rules_engine.values import Value

if TYPE_CHECKING:  # the ledger imports Effect from here
    from rules_engine.ledger import Outcome

ValueType = Literal["number", "string", "bool", "date", "weekday", "tier", "any"]


@dataclass(frozen=True, slots=True)
class RedeemContext:
    """What a reward type or partner offer may know when it answers for one event."""

    member: str
    event_id: str
    at: Any  # aware datetime of the redemption or claim
    reward_id: str  # the reward's id, or the offer's "PARTNER:OFFER" for a claim
    seed: str  # stable per event; never use it for codes a member must not guess


class Effect(Value):
    """Something that happens outside the points ledger: a coupon, a product, a partner code.

    Never changed once made. A plain value class (rules_engine/values.py) rather than a frozen
    dataclass, whose `__init__` pays a call per field: the engine makes one for every perk of every
    purchase of a member in a tier with perks, which as frozen dataclasses were a twentieth of a
    retail purchase's instructions.
    """

    __slots__ = ("kind", "member", "event_id", "data", "plugin")

    def __init__(self, kind: str, member: str, event_id: str, data: Mapping[str, Any] = EMPTY,
                 plugin: str = "") -> None:
        self.kind = kind
        self.member = member
        self.event_id = event_id
        self.data = data
        self.plugin = plugin

    def describe(self) -> str:
        details = ", ".join(f"{k}={v}" for k, v in self.data.items())
        return f"{self.kind}({details})"


@dataclass(frozen=True, slots=True)
class RewardType:
    """A kind a rulebook can name in `gives KIND(ARGS)`.

    `params` validates the arguments when the rulebook is compiled, so a bad
    argument is a diagnostic with a location, never a failure at run time;
    `redeem` turns the validated arguments into the data of one effect.
    """

    name: str
    params: type[BaseModel]
    redeem: Callable[[BaseModel, RedeemContext], Mapping[str, Any]]
    description: str = ""
    plugin: str = ""


@dataclass(frozen=True, slots=True)
class DslFunction:
    """A function rulebook conditions may call, with a signature the checker enforces."""

    name: str
    params: tuple[ValueType, ...]
    returns: ValueType
    impl: Callable[..., Any]
    description: str = ""
    plugin: str = ""

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)}) -> {self.returns}"


@dataclass(frozen=True, slots=True)
class PartnerOffer:
    """One offer a partner provides (`offer "PARTNER:OFFER"`), taken with a `claim` event.

    `eligible` is the partner's own say on top of the rulebook's `when`; `issue`
    returns the data of the effect, typically the code the member shows the partner.
    """

    partner: str
    offer: str
    title: str
    issue: Callable[[RedeemContext], Mapping[str, Any]]
    eligible: Callable[[RedeemContext], bool] = lambda ctx: True
    plugin: str = ""

    @property
    def ref(self) -> str:
        return f"{self.partner}:{self.offer}"


@dataclass(frozen=True, slots=True)
class EffectSink:
    """A place outcomes go after the engine produced them: an SMS outbox, a webhook, a queue.

    `send` receives a batch of outcomes (derived referral outcomes flattened in)
    with their effects, tier changes and ledger entries. Sinks are called by
    whoever runs the engine, through `rules_engine.plugins.delivery.deliver`,
    never by the engine itself, so the engine stays free of I/O.
    """

    name: str
    send: Callable[[Sequence["Outcome"]], None]
    description: str = ""
    plugin: str = ""


@dataclass(frozen=True)
class Registry:
    reward_types: Mapping[str, RewardType] = field(default_factory=dict)
    functions: Mapping[str, DslFunction] = field(default_factory=dict)
    offers: Mapping[str, PartnerOffer] = field(default_factory=dict)
    sinks: Mapping[str, EffectSink] = field(default_factory=dict)
