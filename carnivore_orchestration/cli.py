"""The `carnivore` command."""

from __future__ import annotations

import sys

import click

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


class _fail_cleanly:
    """Turn expected failures into one clear line and exit status 1, not a traceback."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        import psycopg

        if exc_type is not None and issubclass(exc_type, (migrations_module.MigrationError, psycopg.OperationalError)):
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        return False
if __name__ == "__main__":
    main()
