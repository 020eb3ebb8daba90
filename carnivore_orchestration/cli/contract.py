"""`carnivore schema`: the published contract of the weekly file."""

from __future__ import annotations

import click


@click.command("schema")
def schema_command() -> None:
    """Print the JSON Schema (draft 2020-12) of analyzed_content.json, both shapes.

    Generated from the importer's own models, so a file this schema accepts is a file
    the import accepts, except for the two rules between items its description names.
    The same text is in docs/analyzed_content.schema.json."""
    from carnivore_orchestration.content.contract import render

    click.echo(render(), nl=False)


COMMANDS = (schema_command,)
