"""`loyalty plugins`: what the installed plugins let a rulebook say."""

from __future__ import annotations

import json

import click

from rules_engine.plugins.catalog import catalog, catalog_json, catalog_text
from rules_engine.plugins.manager import PluginError, build_registry, plugin_manager


@click.command(name="plugins")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def plugins(fmt: str) -> None:
    """List plugins with their reward types (and parameters), partner offers, functions and sinks."""
    try:
        pm = plugin_manager()
        infos = catalog(pm, build_registry(pm))
    except PluginError as err:
        raise click.ClickException(str(err)) from err
    if fmt == "json":
        click.echo(json.dumps(catalog_json(infos), ensure_ascii=False, indent=1))
    else:
        click.echo(catalog_text(infos))
