"""A loyalty-program rules engine: a rule language, a pure engine, plugins and a ledger."""

from pathlib import Path

from rules_engine import compiled

# Before any engine module loads: the compiled ones run only if they match their source (rules_engine/compiled.py).
COMPILED = compiled.choose(Path(__file__).parent)

from rules_engine.plugins.hookspecs import hookimpl  # noqa: E402

__all__ = ["COMPILED", "hookimpl"]
