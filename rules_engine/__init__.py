"""A loyalty-program rules engine: a rule language, a pure engine, plugins and a ledger."""

from rules_engine.plugins.hookspecs import hookimpl

__all__ = ["hookimpl"]
