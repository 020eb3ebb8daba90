"""`carnivore bench`: the benchmarks, from a checkout (they live in its bench/ folder)."""

from __future__ import annotations

import sys
from importlib import import_module

import click


@click.command("bench")
@click.option("--quick", is_flag=True, help="Small sizes and short runs (about 2 minutes), as CI runs it.")
def bench_command(quick: bool) -> None:
    """Measure every figure against its baseline in the same run (docs/benchmarks.md).

    A figure whose tool is missing (pgbouncer) or whose step fails is reported in its row
    and the others are still measured; the exit status is 1 if a step failed or ours
    stopped beating the blueprint's design."""
    try:
        runner = import_module("bench.__main__")
    except ModuleNotFoundError:
        raise click.ClickException("the benchmarks are in the repository's bench/ folder: run this from a checkout "
                                   "(git clone, then `uv run carnivore bench`)") from None
    sys.exit(runner.main(["--quick"] if quick else []))


COMMANDS = (bench_command,)
