"""`loyalty tui`: the terminal studio for designing a rulebook.

Textual is imported only when the command runs, so the rest of the CLI, and the
engine under it, never load it.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="tui")
@click.argument("rulebook", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--events", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Events to simulate against (JSON Lines or CSV). Default: NAME.jsonl beside NAME.rules.")
def tui(rulebook: Path | None, events: Path | None) -> None:
    """Edit, check and simulate RULEBOOK in the terminal studio."""
    from rules_engine.cli.design import plugin_registry
    from tui.app import StudioApp

    StudioApp(rulebook, plugin_registry(), events).run()
