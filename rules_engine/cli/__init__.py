"""The `loyalty` command.

Results go to stdout; diagnostics, skipped rows and progress go to stderr, so the
output of `loyalty simulate --format json` can be piped as it is. Each group of
commands lives in its own module and is attached here.
"""

from __future__ import annotations

import click

from rules_engine.cli import design, plugins, store, studio, suspicious, tui


@click.group()
@click.version_option(package_name="loyalty-rules-engine")
def main() -> None:
    """Design, check, simulate and apply customer-club rulebooks."""


for command in (design.check, design.simulate_command, design.explain, suspicious.suspicious, plugins.plugins, tui.tui,
                *store.COMMANDS, *studio.commands):
    main.add_command(command)
