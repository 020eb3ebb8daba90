"""The `carnivore` command."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
import dagster as dg

from carnivore_orchestration.db import embedded
from carnivore_orchestration.db import migrations as migrations_module
from carnivore_orchestration.db.connection import connect, database_url, redact
from carnivore_orchestration.settings import configured_database_url


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Carnivore Weekly's data pipeline: the database, the weekly import and the homepage grid.

    Uses the server in CARNIVORE_DATABASE_URL, or else an embedded PostgreSQL kept
    under CARNIVORE_HOME (default: .carnivore/ in the project), started on demand.
    """


@main.command()
def migrate() -> None:
    """Apply the pending migrations in sql/, each in its own transaction."""
    url = database_url()
    click.echo(f"Database: {redact(url)}")

    def report(migration, duration_ms):
        click.echo(f"  applied {migration.filename} ({duration_ms} ms)")

    with _fail_cleanly(), connect(url, autocommit=True) as conn:
        applied = migrations_module.migrate(conn, on_applied=report)
    click.echo(f"{len(applied)} migration(s) applied; the database is up to date.")


@main.group()
def db() -> None:
    """Inspect and control the database server."""


@db.command("status")
def db_status() -> None:
    """Show the server, its version, and the applied and pending migrations."""
    url = database_url()
    with _fail_cleanly(), connect(url, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        current = migrations_module.status(conn)
    server = "external (CARNIVORE_DATABASE_URL)" if configured_database_url() else "embedded"
    click.echo(f"Server:     {server}, PostgreSQL {version}")
    click.echo(f"Database:   {redact(url)}")
    click.echo(f"Migrations: {len(current.applied)} applied, {len(current.pending)} pending")
    for record in current.applied:
        stamp = record.applied_at.strftime("%Y-%m-%d %H:%M:%S %Z")
        click.echo(f"  [applied]  {record.version:04d}_{record.name}.sql  {stamp}  {record.duration_ms} ms")
    for migration in current.pending:
        click.echo(f"  [pending]  {migration.filename}")


@db.command("url")
@click.option("--driver", type=click.Choice(["psycopg", "psycopg2"]), help="Name a SQLAlchemy driver in the URL.")
def db_url(driver: str | None) -> None:
    """Print the connection URL (passwords masked)."""
    from carnivore_orchestration.db.connection import with_driver

    url = database_url()
    click.echo(redact(with_driver(url, driver) if driver else url))


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded server (its data stays under CARNIVORE_HOME)."""
    if configured_database_url():
        raise click.ClickException("CARNIVORE_DATABASE_URL is set: that server is not ours to stop.")
    if embedded.stop():
        click.echo(f"Stopped the embedded PostgreSQL in {embedded.pgdata_dir()}.")
    else:
        click.echo("The embedded PostgreSQL was not running.")


@main.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--week", "week_text", metavar="YYYY-MM-DD", help="The week's Monday (default: from analysis_date).")
def import_command(path: Path, week_text: str | None) -> None:
    """Import one analyzed_content.json through Dagster, as the weekly schedule would."""
    from carnivore_orchestration.content.loading import load_week, monday_of
    from carnivore_orchestration.runs import weekly_import

    with _fail_cleanly():
        week = _parse_week(week_text) if week_text else None
        content = load_week(path.resolve(), week)
        if week is None:
            if content.analysis_date is None:
                raise click.ClickException(f"{path}: no analysis_date in the file: give --week YYYY-MM-DD")
            week = monday_of(content.analysis_date)
        _migrate_quietly()
        result = weekly_import(week, path.resolve())
    click.echo(f"Imported {path} as the week of {week.isoformat()}: {_summary(result)}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def grid(as_json: bool) -> None:
    """Print the homepage grid as the website reads it, in order."""
    from carnivore_orchestration.homepage.grid import homepage_items

    with _fail_cleanly(), connect(database_url()) as conn:
        items = homepage_items(conn)
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        _print_grid(items)


@main.command()
def demo() -> None:
    """Run the whole pipeline on the bundled sample weeks and print the homepage grid."""
    from rich.progress import Progress

    from carnivore_orchestration.runs import weekly_import
    from carnivore_orchestration.settings import content_dir

    with _fail_cleanly():
        click.echo("1/4 PostgreSQL: " + ("CARNIVORE_DATABASE_URL" if configured_database_url() else "embedded server"))
        url = database_url()
        click.echo(f"    {redact(url)}")
        click.echo("2/4 Migrations")
        applied = _migrate_quietly()
        click.echo(f"    {applied} applied, the schema is up to date")
        files = sorted(content_dir().glob("*.json"))
        if not files:
            raise click.ClickException(f"no sample weeks in {content_dir()}")
        click.echo(f"3/4 Weekly import of {len(files)} sample weeks from {content_dir()}")
        instance = dg.DagsterInstance.ephemeral()
        with Progress(transient=True, disable=not sys.stdout.isatty()) as progress:
            task = progress.add_task("importing", total=len(files))
            for path in files:
                week = _week_of_file(path)
                progress.update(task, description=f"week of {week.isoformat()}")
                result = weekly_import(week, instance=instance)
                click.echo(f"    {week.isoformat()}: {_summary(result)}")
                progress.advance(task)
        click.echo("4/4 The homepage grid, as the website reads it:")
        from carnivore_orchestration.homepage.grid import homepage_items

        with connect(url) as conn:
            _print_grid(homepage_items(conn))


def _week_of_file(path: Path) -> date:
    try:
        return _parse_week(path.stem)
    except click.ClickException:
        raise click.ClickException(f"{path}: weekly files are named after their Monday, YYYY-MM-DD.json") from None


def _parse_week(text: str) -> date:
    try:
        week = date.fromisoformat(text)
    except ValueError:
        raise click.ClickException(f"{text!r} is not a date (YYYY-MM-DD)") from None
    if week.weekday() != 0:
        raise click.ClickException(f"{text} is a {week.strftime('%A')}: weeks are named after their Monday")
    return week


def _migrate_quietly() -> int:
    with connect(database_url(), autocommit=True) as conn:
        return len(migrations_module.migrate(conn))


def _summary(result) -> str:
    counts = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        metadata = {k: v.value for k, v in materialization.metadata.items()}
        counts[materialization.asset_key.to_user_string()] = metadata
    status = counts.get("analyzed_content", {}).get("status", "?")
    topics = counts.get("trending_topics", {})
    grid_items = counts.get("bento_grid_items", {}).get("items", 0)
    return (f"{status}; topics +{topics.get('rows_inserted', 0)} new, {topics.get('rows_updated', 0)} updated, "
            f"{topics.get('rows_unchanged', 0)} unchanged; grid of {grid_items}")


def _print_grid(items: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    from carnivore_orchestration.homepage.ranking import slot

    table = Table(show_lines=False)
    for column in ("#", "slot", "type", "title", "score"):
        table.add_column(column, justify="right" if column in ("#", "score") else "left")
    for item in items:
        table.add_row(str(item["grid_position"]), slot(item["grid_position"]), item["content_type"],
                      item["content_title"], f"{item['engagement_score']:.2f}")
    Console(width=max(100, Console().width)).print(table)


class _fail_cleanly:
    """Turn expected failures into one clear line and exit status 1, not a traceback."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        import psycopg

        from carnivore_orchestration.content.loading import ContentError
        from carnivore_orchestration.runs import RunFailed

        if exc_type is not None and issubclass(exc_type, psycopg.errors.UndefinedTable):
            click.echo(f"Error: {exc}; the schema is missing: run `carnivore migrate` first", err=True)
            sys.exit(1)
        expected = (migrations_module.MigrationError, psycopg.OperationalError, ContentError, RunFailed)
        if exc_type is not None and issubclass(exc_type, expected):
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        return False
if __name__ == "__main__":
    main()
