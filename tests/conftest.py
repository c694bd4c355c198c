"""Shared fixtures: compiling rulebooks written inside the tests themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules_engine.dsl.compiler import compile_rulebook
from rules_engine.plugins.manager import default_registry
from rules_engine.plugins.registry import Registry
from rules_engine.program import Program

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return default_registry()


@pytest.fixture
def compile_text(registry: Registry):
    """Compile rulebook text written in a test; fails the test with the diagnostics if it does not compile."""

    def compile_(text: str) -> Program:
        return compile_rulebook(text, "test.rules", registry)

    return compile_
