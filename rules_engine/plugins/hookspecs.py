"""Every extension point of the engine, declared once.

Plugins implement these with `@rules_engine.hookimpl`. Each hook returns a list of
contributions; the plugin manager gathers the lists of every plugin into one
`Registry` (see docs/plugins.md for a worked example of each hook).
"""

from __future__ import annotations

import pluggy

from rules_engine.plugins.registry import DslFunction, PartnerOffer, RewardType

hookspec = pluggy.HookspecMarker("loyalty")
hookimpl = pluggy.HookimplMarker("loyalty")


@hookspec
def loyalty_reward_types() -> list[RewardType]:
    """Reward kinds a rulebook can name in `gives KIND(ARGS)` (rewards and perks).

    Called once when the registry is built; every plugin's list is collected.
    A name provided by two plugins is an error that names both.
    """


@hookspec
def loyalty_functions() -> list[DslFunction]:
    """Functions conditions can call, such as `is_holiday(date)`, with typed parameters.

    Called once when the registry is built; every plugin's list is collected.
    """


@hookspec
def loyalty_partner_offers() -> list[PartnerOffer]:
    """Partner offers a rulebook can list with `offer "PARTNER:OFFER"` and members can claim.

    Called once when the registry is built; every plugin's list is collected.
    """
