"""The terminal studio (`loyalty tui`): a Textual app over the rules engine.

The engine never imports this package; this package only calls the engine's
public functions (compile, read events, simulate).
"""
