"""`carnivore migrate`, `carnivore db ...` and `carnivore dev`."""

from __future__ import annotations

import sys

import click

from carnivore_orchestration.cli.errors import fail_cleanly
from carnivore_orchestration.cli.lazy import connect, database_url, redact
from carnivore_orchestration.settings import configured_database_url


@click.command()
def migrate() -> None:
    """Apply the pending migrations in sql/, each in its own transaction."""
    from carnivore_orchestration.db.migrations import migrate as apply

    url = database_url()
    click.echo(f"Database: {redact(url)}")
    with fail_cleanly(), connect(url, autocommit=True) as conn:
        applied = apply(conn, on_applied=lambda m, ms: click.echo(f"  applied {m.filename} ({ms} ms)"))
    click.echo(f"{len(applied)} migration(s) applied; the database is up to date.")


@click.group()
def db() -> None:
    """Inspect and control the database server."""


@db.command("status")
def db_status() -> None:
    """Show the server, its version, and the applied and pending migrations."""
    from carnivore_orchestration.db.status import database_status

    with fail_cleanly():
        url = database_url()
        with connect(url, autocommit=True) as conn:
            status = database_status(conn)
    server = "external (CARNIVORE_DATABASE_URL)" if configured_database_url() else "embedded"
    current = status.migrations
    click.echo(f"Server:     {server}, PostgreSQL {status.server_version}")
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
    from carnivore_orchestration.db import embedded

    if configured_database_url():
        raise click.ClickException("CARNIVORE_DATABASE_URL is set: that server is not ours to stop.")
    if embedded.stop():
        click.echo(f"Stopped the embedded PostgreSQL in {embedded.pgdata_dir()}.")
    else:
        click.echo("The embedded PostgreSQL was not running.")


@click.command()
@click.option("--port", default=3000, show_default=True, help="Port of the Dagster UI.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the UI listens on.")
@click.option("--verbose", is_flag=True, help="Dagster's INFO logs too: every sensor tick and run launch.")
def dev(port: int, host: str, verbose: bool) -> None:
    """The Dagster UI and daemon on this project, with Dagster's state in PostgreSQL."""
    from carnivore_orchestration import devserver

    with fail_cleanly():
        server = devserver.prepare(host, port, verbose)
    click.echo(f"PostgreSQL: {redact(server.database_url)}")
    click.echo(f"Migrations: {server.migrations_applied} applied, the schema is up to date")
    click.echo(f"Dagster's storage: {redact(server.storage_url)}")
    click.echo(f"Alerts: {server.alerts}")
    click.echo(f"Dagster UI: http://{host}:{port} (Ctrl-C stops it)")
    sys.exit(devserver.run(server, on_stopping=lambda: click.echo("Stopping Dagster…")))


COMMANDS = (migrate, db, dev)
