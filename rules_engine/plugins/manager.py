"""Loading plugins and folding what they provide into a `Registry`.

Built-in plugins are registered exactly like third-party ones; installed packages
join through the `loyalty` entry-point group.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from types import ModuleType

import pluggy

from rules_engine.plugins import hookspecs
from rules_engine.plugins.builtin import functions, rewards
from rules_engine.plugins.registry import Registry

ENTRY_POINT_GROUP = "loyalty"
DEFAULT_PLUGINS: tuple[ModuleType, ...] = (rewards, functions)


class PluginError(Exception):
    """A plugin that cannot be loaded or contradicts another one."""


def plugin_manager(extra: Iterable[object] = (), entry_points: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("loyalty")
    pm.add_hookspecs(hookspecs)
    for plugin in DEFAULT_PLUGINS:
        pm.register(plugin, name=f"builtin.{plugin.__name__.rsplit('.', 1)[-1]}")
    if entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra:
        pm.register(plugin)
    return pm


def build_registry(pm: pluggy.PluginManager) -> Registry:
    return Registry(
        reward_types=_collect(pm, "loyalty_reward_types", lambda c: c.name),
        functions=_collect(pm, "loyalty_functions", lambda c: c.name),
        offers=_collect(pm, "loyalty_partner_offers", lambda c: c.ref),
    )


def _collect(pm: pluggy.PluginManager, hook: str, key) -> dict:
    """Every plugin's contributions to one hook, by name, each stamped with its plugin's name."""
    found: dict = {}
    for impl in getattr(pm.hook, hook).get_hookimpls():
        try:
            contributions = impl.function() or []
        except Exception as err:
            raise PluginError(f"plugin {impl.plugin_name} failed in {hook}: {err!r}") from err
        for item in contributions:
            name = key(item)
            if name in found:
                raise PluginError(f"`{name}` is provided by both {found[name].plugin} and {impl.plugin_name}")
            found[name] = _stamped(item, impl.plugin_name)
    return found


def _stamped(item, plugin_name: str):
    return item if item.plugin else replace(item, plugin=plugin_name)


def default_registry() -> Registry:
    return build_registry(plugin_manager())
