"""`carnivore engagement ...`: reader interactions."""

from __future__ import annotations

from pathlib import Path

import click

from carnivore_orchestration.cli.errors import fail_cleanly
from carnivore_orchestration.cli.lazy import connect, database_url


@click.group()
def engagement() -> None:
    """Reader interactions."""


@engagement.command("load")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--shift-to-now", is_flag=True, help="Move all timestamps so that the newest is now (replay).")
@click.option("--force", is_flag=True, help="Load a file that was loaded before (its interactions count again).")
def engagement_load(path: Path, shift_to_now: bool, force: bool) -> None:
    """Bulk-load interactions (CSV with a header, or .jsonl) with COPY: all or nothing,
    and each file once unless forced."""
    from carnivore_orchestration.engagement.loading import load_engagement

    with fail_cleanly(), connect(database_url(), autocommit=True) as conn, progress_bar(f"loading {path.name}") as bar:
        result = load_engagement(conn, path, shift_to_now, bar, force=force)
    click.echo(f"Loaded {result.rows:,} interactions from {path}.")


class progress_bar:  # noqa: N801 - a context manager used like a function
    """A transient bar on a terminal, nothing otherwise; yields a (done, total) callback."""

    def __init__(self, description: str):
        self.description = description

    def __enter__(self):
        import sys

        from rich.progress import Progress

        self.progress = Progress(transient=True, disable=not sys.stdout.isatty())
        self.progress.__enter__()
        task = self.progress.add_task(self.description, total=None)
        return lambda done, total: self.progress.update(task, completed=done, total=total)

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)
