"""Every hook is documented in docs/plugins.md and exercised through a real plugin in tests/test_plugins.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rules_engine.plugins import hookspecs
from rules_engine.plugins.manager import default_registry

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
HOOK_TESTS = (ROOT / "tests" / "test_plugins.py").read_text(encoding="utf-8")
HOOKS = sorted(name for name in vars(hookspecs) if name.startswith(f"{hookspecs.PROJECT}_"))
HEADINGS = set(re.findall(r"^### (\S+)$", GUIDE, flags=re.MULTILINE))


def test_there_are_hooks_to_check() -> None:
    assert HOOKS == ["loyalty_effect_sinks", "loyalty_functions", "loyalty_partner_offers", "loyalty_reward_types"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_section_in_the_guide(hook: str) -> None:
    assert hook in HEADINGS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test_through_a_real_plugin(hook: str) -> None:
    assert f"def test_hook_{hook}(" in HOOK_TESTS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_shows_an_example(hook: str) -> None:
    doc = getattr(hookspecs, hook).__doc__ or ""
    assert "Example::" in doc


def test_every_built_in_reward_type_and_function_is_in_the_guide() -> None:
    registry = default_registry()
    built_in = [item.name for items in (registry.reward_types, registry.functions) for item in items.values()
                if item.plugin.startswith("builtin.")]
    assert built_in and [name for name in built_in if not re.search(rf"\b{name}\b", GUIDE)] == []
