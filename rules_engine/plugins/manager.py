"""Loading plugins and folding what they provide into a `Registry`.

Built-in plugins are registered exactly like third-party ones; installed packages
join through the `loyalty` entry-point group. Whatever a plugin gets wrong, from
an import error to an answer of the wrong shape, becomes a `PluginError` that
names the plugin, because an operator can act on "plugin fitland failed" and not
on a bare traceback from somebody else's code.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from importlib import metadata
from types import ModuleType
from typing import Any, get_args

import pluggy
from pydantic import BaseModel

from rules_engine.plugins import hookspecs
from rules_engine.plugins.builtin import functions, outbox, rewards
from rules_engine.plugins.registry import (DslFunction, EffectSink, PartnerOffer, RedeemContext, Registry,
                                           RewardType, ValueType)

ENTRY_POINT_GROUP = "loyalty"
DEFAULT_PLUGINS: tuple[ModuleType, ...] = (rewards, functions, outbox)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_OFFER_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


class PluginError(Exception):
    """A plugin that cannot be loaded, fails to answer a hook, or contradicts another one."""


def builtin_name(module: ModuleType) -> str:
    return f"builtin.{module.__name__.rsplit('.', 1)[-1]}"


def plugin_manager(extra: Iterable[object] = (), entry_points: bool = True) -> pluggy.PluginManager:
    """The built-ins, then installed packages (unless `entry_points=False`), then `extra` (tests, embedding)."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for module in DEFAULT_PLUGINS:
        _register(pm, module, builtin_name(module))
    if entry_points:
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            _register_entry_point(pm, entry_point)
    for plugin in extra:
        _register(pm, plugin, plugin_name(plugin))
    _refuse_unknown_hooks(pm)
    return pm


def _refuse_unknown_hooks(pm: pluggy.PluginManager) -> None:
    """A misspelt hook would otherwise be ignored in silence, and the plugin would seem to do nothing."""
    hooks = sorted(caller.name for caller in pm.hook.__dict__.values()
                   if isinstance(caller, pluggy.HookCaller) and caller.spec is not None)
    for name, plugin in pm.list_name_plugin():
        for caller in pm.get_hookcallers(plugin) or ():
            if caller.spec is None:
                close = difflib.get_close_matches(caller.name, hooks, n=1)
                hint = f"did you mean {close[0]}?" if close else f"the hooks are: {', '.join(hooks)}"
                raise PluginError(f"plugin {name} implements {caller.name}, which is not a hook of the engine; {hint}")


def plugin_name(plugin: object) -> str:
    """A module or class is named by its `__name__`, an instance by its class."""
    return getattr(plugin, "__name__", None) or type(plugin).__name__


def entry_point_of(name: str) -> metadata.EntryPoint | None:
    """The installed entry point a plugin was loaded from, if it came from a package."""
    return next((ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == name), None)


def _register_entry_point(pm: pluggy.PluginManager, entry_point: metadata.EntryPoint) -> None:
    origin = f"{entry_point.dist.name} {entry_point.dist.version}" if entry_point.dist else entry_point.value
    try:
        plugin = entry_point.load()
    except Exception as err:
        raise PluginError(f"plugin {entry_point.name} (from {origin}) could not be loaded: {err!r}; "
                          f"fix or uninstall the package") from err
    if pm.get_plugin(entry_point.name) is plugin:
        return  # one package found twice on sys.path
    _register(pm, plugin, entry_point.name)


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as err:
        raise PluginError(f"plugin {name}: {err}") from err
    except ValueError as err:  # pluggy: the name or the object is already registered
        raise PluginError(f"plugin {name} is registered twice: {err}") from err


def build_registry(pm: pluggy.PluginManager) -> Registry:
    return Registry(
        reward_types=_collect(pm, "loyalty_reward_types", RewardType, _reward_type),
        functions=_collect(pm, "loyalty_functions", DslFunction, _function),
        offers=_collect(pm, "loyalty_partner_offers", PartnerOffer, _offer),
        sinks=_collect(pm, "loyalty_effect_sinks", EffectSink, _sink),
    )


def default_registry() -> Registry:
    return build_registry(plugin_manager())


def _collect(pm: pluggy.PluginManager, hook: str, expected: type, vet: Callable[[Any], Any]) -> dict[str, Any]:
    """Every plugin's answer to one hook, checked, stamped with its plugin's name, by name.

    Each implementation is called on its own (not through pluggy's hook call) so
    that a failure can be pinned on the plugin that raised it.
    """
    found: dict[str, Any] = {}
    for impl in getattr(pm.hook, hook).get_hookimpls():
        plugin = impl.plugin_name
        try:
            answer = impl.function()
        except Exception as err:
            raise PluginError(f"plugin {plugin} failed in {hook}: {err!r}") from err
        if answer is None:  # pluggy would drop it, and what the plugin provides would silently be missing
            raise PluginError(f"plugin {plugin}: {hook} returned None; is its `return` missing? Return a list "
                              f"of {expected.__name__} (an empty one when there is nothing to provide)")
        if not isinstance(answer, (list, tuple)):
            raise PluginError(f"plugin {plugin}: {hook} must return a list of {expected.__name__}, "
                              f"not {type(answer).__name__}")
        for item in answer:
            if not isinstance(item, expected):
                raise PluginError(f"plugin {plugin}: {hook} returned {type(item).__name__} {item!r}, "
                                  f"not a {expected.__name__}")
            vetted = vet(item)
            if isinstance(vetted, str):
                raise PluginError(f"plugin {plugin}: {hook}: {vetted}")
            key = item.ref if isinstance(item, PartnerOffer) else item.name
            if key in found:
                raise PluginError(f"`{key}` is provided by both plugin {found[key].plugin} and plugin {plugin}; "
                                  f"uninstall one of them")
            found[key] = replace(vetted, plugin=plugin)
    return found


# --- vetting: each returns the item to register (possibly wrapped) or a problem in words -------------


def _reward_type(item: RewardType) -> RewardType | str:
    if not _NAME.match(item.name):
        return f"reward type name {item.name!r} must be a name like `gym_pass` (letters, digits, _)"
    if not (isinstance(item.params, type) and issubclass(item.params, BaseModel)):
        return f"reward type `{item.name}`: params must be a pydantic model class, not {item.params!r}"
    if not callable(item.redeem):
        return f"reward type `{item.name}`: redeem must be callable"
    if problem := _arity(item.redeem, 2, "redeem", "(params, ctx)"):
        return f"reward type `{item.name}`: {problem}"
    return item


def _function(item: DslFunction) -> DslFunction | str:
    types = get_args(ValueType)
    if not _NAME.match(item.name):
        return f"function name {item.name!r} must be a name like `is_holiday` (letters, digits, _)"
    bad = sorted({t for t in (*item.params, item.returns) if t not in types})
    if bad:
        return f"function `{item.name}`: unknown value type(s) {', '.join(map(repr, bad))}; use {', '.join(types)}"
    if not callable(item.impl):
        return f"function `{item.name}`: impl must be callable"
    if problem := _arity(item.impl, len(item.params), "impl", f"({', '.join(item.params)})"):
        return f"function `{item.name}`: {problem}"
    return replace(item, impl=_returning(item))


def _offer(item: PartnerOffer) -> PartnerOffer | str:
    for part in (item.partner, item.offer):
        if not _OFFER_PART.match(part):
            return f"offer {item.ref!r}: partner and offer must be like \"fitland:gym-20\" (no spaces or colons)"
    if not (callable(item.issue) and callable(item.eligible)):
        return f"offer {item.ref}: issue and eligible must be callable"
    if problem := _arity(item.issue, 1, "issue", "(ctx)") or _arity(item.eligible, 1, "eligible", "(ctx)"):
        return f"offer {item.ref}: {problem}"
    return replace(item, eligible=_yes_or_no(item))


def _arity(fn: Callable[..., Any], count: int, what: str, call: str) -> str | None:
    """Whether `fn` can be called the way the engine will call it, said now rather than at every event."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins do not say; they are called and judged at run time
        return None
    try:
        signature.bind(*range(count))
    except TypeError as err:
        return f"{what} is called as {what}{call}, but it cannot be: {err}"
    return None


def _sink(item: EffectSink) -> EffectSink | str:
    if not item.name:
        return "an effect sink needs a name"
    if not callable(item.send):
        return f"effect sink {item.name}: send must be callable"
    if problem := _arity(item.send, 1, "send", "(outcomes)"):
        return f"effect sink {item.name}: {problem}"
    return item


# --- answers at run time: the wrong type is the plugin's bug, caught where the engine can name it -----


_RUNTIME_TYPES: dict[str, tuple[type, ...]] = {
    "number": (int, Decimal, Fraction), "string": (str,), "bool": (bool,), "date": (date,),
    "weekday": (int,), "tier": (int,),
}


def _returning(fn: DslFunction) -> Callable[..., Any]:
    impl, expected = fn.impl, _RUNTIME_TYPES.get(fn.returns)
    if expected is None:  # "any"
        return impl

    def checked(*args: Any) -> Any:
        value = impl(*args)
        if value is None and fn.returns != "bool":
            return None
        if not isinstance(value, expected) or (fn.returns != "bool" and isinstance(value, bool)):
            raise TypeError(f"returned {type(value).__name__} {value!r}, but `{fn.signature}` promises {fn.returns}")
        return value

    return checked


def _yes_or_no(offer: PartnerOffer) -> Callable[[RedeemContext], bool]:
    eligible = offer.eligible

    def checked(ctx: RedeemContext) -> bool:
        answer = eligible(ctx)
        if not isinstance(answer, bool):
            raise TypeError(f"eligible() of offer {offer.ref} returned {type(answer).__name__} {answer!r}, not True or False")
        return answer

    return checked
