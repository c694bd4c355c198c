"""Running a rulebook written in a test against a registry that includes test plugins."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rules_engine.dsl.compiler import compile_rulebook
from rules_engine.engine import Engine
from rules_engine.events import Event
from rules_engine.plugins.manager import build_registry, plugin_manager
from rules_engine.plugins.registry import Registry

TEHRAN = ZoneInfo("Asia/Tehran")
START = datetime(2026, 3, 1, 10, 0, tzinfo=TEHRAN)  # a Sunday


def registry_with(*plugins: object) -> Registry:
    return build_registry(plugin_manager(extra=plugins, entry_points=False))


def engine_for(text: str, *plugins: object) -> Engine:
    return Engine(compile_rulebook(text, "test.rules", registry_with(*plugins)))


def event(id: str, type: str, day: int = 0, member: str = "m-1", **fields: Any) -> Event:
    """An event `day` days after START (a Sunday, 10:00 Tehran)."""
    return Event(id=id, type=type, member=member, at=START + timedelta(days=day), **fields)
