"""What is installed, in words and in JSON: the data behind `loyalty plugins`.

A rulebook author needs each reward type's parameters (name, type, default) to
write `gives KIND(ARGS)`, each function's signature, and each offer's exact
"PARTNER:OFFER" name; an operator needs to know which package each came from.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from importlib import metadata
from typing import Any, Literal, Mapping, Union, get_args, get_origin

import pluggy
from pydantic import BaseModel

from rules_engine.plugins.manager import entry_point_of
from rules_engine.plugins.registry import DslFunction, EffectSink, PartnerOffer, Registry, RewardType

_TYPE_NAMES: dict[Any, str] = {int: "int", Decimal: "number", Fraction: "number", float: "number", str: "string",
                               bool: "bool", date: "date"}


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str
    required: bool
    default: Any = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class PluginInfo:
    name: str
    package: str | None  # "loyalty-fitland 0.1.0"; the engine's own package for built-ins
    hooks: tuple[str, ...]
    reward_types: tuple[RewardType, ...]
    offers: tuple[PartnerOffer, ...]
    functions: tuple[DslFunction, ...]
    sinks: tuple[EffectSink, ...]


def params_of(model: type[BaseModel]) -> tuple[Param, ...]:
    found = []
    for name, info in model.model_fields.items():
        required = info.is_required()
        found.append(Param(name, type_name(info.annotation), required, None if required else info.get_default(),
                           info.description or ""))
    return tuple(found)


def type_name(annotation: Any) -> str:
    """A parameter's type in the rulebook's words: `number`, `string`, `list[string]`, `'a' or 'b'`."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return " or ".join(type_name(arg) for arg in get_args(annotation) if arg is not type(None))
    if origin is Literal:
        return " or ".join(repr(arg) for arg in get_args(annotation))
    if origin in (list, tuple, set, frozenset):
        args = get_args(annotation)
        return f"list[{type_name(args[0]) if args else 'any'}]"
    return _TYPE_NAMES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def catalog(pm: pluggy.PluginManager, registry: Registry) -> tuple[PluginInfo, ...]:
    """Every registered plugin, built-ins first, with what it contributes to `registry`."""
    named = sorted(pm.list_name_plugin(), key=lambda pair: (not pair[0].startswith("builtin."), pair[0]))
    return tuple(
        PluginInfo(name, _package(name), tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or ())),
                   _of(name, registry.reward_types), _of(name, registry.offers), _of(name, registry.functions),
                   _of(name, registry.sinks))
        for name, plugin in named
    )


def _of(plugin: str, items: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(item for item in items.values() if item.plugin == plugin)


def _package(name: str) -> str | None:
    if name.startswith("builtin."):
        return f"loyalty-rules-engine {metadata.version('loyalty-rules-engine')}"
    entry_point = entry_point_of(name)
    if entry_point is None or entry_point.dist is None:
        return None  # registered in code (`plugin_manager(extra=...)`)
    return f"{entry_point.dist.name} {entry_point.dist.version}"


def catalog_json(infos: tuple[PluginInfo, ...]) -> list[dict[str, Any]]:
    return [{
        "name": info.name,
        "package": info.package,
        "hooks": list(info.hooks),
        "reward_types": [{"name": r.name, "description": r.description,
                          "params": [_param_json(p) for p in params_of(r.params)]} for r in info.reward_types],
        "offers": [{"ref": o.ref, "title": o.title} for o in info.offers],
        "functions": [{"name": f.name, "params": list(f.params), "returns": f.returns, "signature": f.signature,
                       "description": f.description} for f in info.functions],
        "sinks": [{"name": s.name, "description": s.description} for s in info.sinks],
    } for info in infos]


def _param_json(param: Param) -> dict[str, Any]:
    default = str(param.default) if isinstance(param.default, (Decimal, Fraction, date)) else param.default
    return {"name": param.name, "type": param.type, "required": param.required, "default": default,
            "description": param.description}


def catalog_text(infos: tuple[PluginInfo, ...]) -> str:
    lines: list[str] = []
    for info in infos:
        lines.append(f"{info.name}  ({info.package or 'registered in code'})")
        for reward in info.reward_types:
            lines.append(f"  reward type  {reward.name}({', '.join(map(_param_text, params_of(reward.params)))})")
            if reward.description:
                lines.append(f"               {reward.description}")
        for offer in info.offers:
            lines.append(f"  offer        \"{offer.ref}\"  {offer.title}")
        for function in info.functions:
            lines.append(f"  function     {function.signature}")
            if function.description:
                lines.append(f"               {function.description}")
        for sink in info.sinks:
            lines.append(f"  sink         {sink.name}: {sink.description}")
        if not (info.reward_types or info.offers or info.functions or info.sinks):
            lines.append(f"  (provides nothing at the moment; implements {', '.join(info.hooks) or 'no hook'})")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _param_text(param: Param) -> str:
    if param.required:
        return f"{param.name}: {param.type}"
    default = param.default
    shown = "none" if default is None else f'"{default}"' if isinstance(default, str) else default
    return f"{param.name}: {param.type} = {shown}"  # as a rulebook would write it
