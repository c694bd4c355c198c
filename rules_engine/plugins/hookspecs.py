"""Every extension point of the engine, declared once.

Plugins implement these with `@rules_engine.hookimpl` (the marker is re-exported
at the package root). Every hook is called with no arguments, once per registry
build (so once per `loyalty` command), on every registered plugin; none is
`firstresult` and none is historic. Each answer is a list, and the plugin
manager folds all lists into one immutable `Registry`, stamping each item with
its plugin's name. A name two plugins both provide, an answer that is not a
list of the right values, or an exception stops the build with a `PluginError`
naming the plugin. docs/plugins.md walks through each hook end to end.
"""

from __future__ import annotations

import pluggy

from rules_engine.plugins.registry import DslFunction, EffectSink, PartnerOffer, RewardType

PROJECT = "loyalty"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def loyalty_reward_types() -> list[RewardType]:
    """Reward kinds a rulebook can name in `gives KIND(ARGS)`, for rewards and perks.

    The `params` model is validated when a rulebook is compiled: an unknown
    parameter, a missing one or a bad value is a diagnostic at the argument.
    `redeem(params, ctx)` runs when a member redeems the reward and returns the
    effect's data (a mapping); an exception or a non-mapping fails that event
    only, with the plugin named. Perks list the validated params without calling
    `redeem`.

    Example::

        class GiftCard(BaseModel):
            amount: Decimal

        @hookimpl
        def loyalty_reward_types():
            return [RewardType("gift_card", GiftCard, lambda p, ctx: {"amount": p.amount})]

    so a rulebook may write `gives gift_card(amount: 100k)`.
    """


@hookspec
def loyalty_partner_offers() -> list[PartnerOffer]:
    """Partner offers a rulebook can list with `offer "PARTNER:OFFER"` and members take with `claim`.

    A rulebook naming an offer no plugin provides does not compile. On a claim
    the engine checks the rulebook's `when`, then the partner's
    `eligible(ctx)` (must return a bool), then the member's balance against the
    offer's cost, and only then calls `issue(ctx)`, whose mapping (typically a
    code) becomes the claim's effect. A failure of either call fails that
    event only: no points are taken.

    Example::

        @hookimpl
        def loyalty_partner_offers():
            return [PartnerOffer("fitland", "gym-20", "20% off a gym month",
                                 issue=lambda ctx: {"code": new_code()})]
    """


@hookspec
def loyalty_functions() -> list[DslFunction]:
    """Functions rulebook conditions can call, such as `is_holiday(date)`.

    `params` and `returns` are value types of the language (number, string,
    bool, date, weekday, tier, any); the checker rejects a call with the wrong
    number or types of arguments. At run time the answer must have the declared
    type (a missing value, None, is allowed except for bool); an exception or a
    wrong type fails that event only, with the function and plugin named.

    Example::

        @hookimpl
        def loyalty_functions():
            return [DslFunction("is_weekend", ("date",), "bool", lambda d: d.weekday() == 4)]  # Friday

    so a rulebook may write `bonus 2x when is_weekend(date)`.
    """


@hookspec
def loyalty_effect_sinks() -> list[EffectSink]:
    """Places outcomes go after the engine produced them (SMS outbox, e-mail, webhook).

    Return no sink when the plugin is not configured. `send(outcomes)` is called
    by the code that runs the engine, through
    `rules_engine.plugins.delivery.deliver`, with each batch of outcomes; a
    sink that raises is reported with its plugin's name and the other sinks
    still receive the batch. The engine itself never calls a sink.

    Example::

        @hookimpl
        def loyalty_effect_sinks():
            url = os.environ.get("SHOP_WEBHOOK")
            return [EffectSink("webhook", WebhookSender(url))] if url else []
    """
