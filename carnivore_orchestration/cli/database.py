"""`carnivore migrate`, `carnivore db ...` and `carnivore dev`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from carnivore_orchestration.cli.errors import fail_cleanly
from carnivore_orchestration.cli.lazy import connect, database_url, redact
from carnivore_orchestration.settings import configured_database_url


@click.command()
def migrate() -> None:
    """Apply the pending migrations in sql/ (a backup first when the database holds data)."""
    from carnivore_orchestration.db.backup import migrate_with_backup

    url = database_url()
    click.echo(f"Database: {redact(url)}")
    with fail_cleanly():
        applied = migrate_with_backup(
            url, on_applied=lambda m, ms: click.echo(f"  applied {m.filename} ({ms} ms)"), on_backup=_backed_up)
    click.echo(f"{len(applied)} migration(s) applied; the database is up to date.")


def _backed_up(backup) -> None:
    click.echo(f"  backup {backup.path} ({backup.size_bytes / 1e6:.1f} MB, {backup.seconds:.1f} s)")


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
        done = current.steps_done.get(migration.version)
        resume = f"  (stopped after statement {done}; `carnivore migrate` resumes it)" if done else ""
        click.echo(f"  [pending]  {migration.filename}{resume}")


@db.command("url")
@click.option("--driver", type=click.Choice(["psycopg", "psycopg2"]), help="Name a SQLAlchemy driver in the URL.")
def db_url(driver: str | None) -> None:
    """Print the connection URL (passwords masked)."""
    from carnivore_orchestration.db.connection import with_driver

    url = database_url()
    click.echo(redact(with_driver(url, driver) if driver else url))


@db.command("backup")
@click.option("--to", "directory", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the dump (default: CARNIVORE_BACKUP_DIR, or backups/ under CARNIVORE_HOME).")
def db_backup(directory: Path | None) -> None:
    """Dump the project's schemas (pg_dump, custom format) into a folder."""
    from carnivore_orchestration.db import backup

    with fail_cleanly():
        done = backup.take(database_url(), directory)
    click.echo(f"Backed up to {done.path} ({done.size_bytes / 1e6:.1f} MB, {done.seconds:.1f} s).")


@db.command("restore")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def db_restore(path: Path) -> None:
    """Restore a backup into the database, which must be empty; all of it or nothing."""
    from carnivore_orchestration.db import backup

    url = database_url()
    with fail_cleanly():
        seconds = backup.restore(path, url)
    click.echo(f"Restored {path} into {redact(url)} in {seconds:.1f} s.")


@db.command("check")
def db_check() -> None:
    """Schema drift, Supabase's advisor lints, and post-deploy monitoring; exit 1 on a failure."""
    from carnivore_orchestration.db.health import run_all

    url = database_url()
    with fail_cleanly(), connect(url, autocommit=True) as conn:
        checks = run_all(conn)
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "note": "note"}
    for check in checks:
        click.echo(f"{marks[check.status]}  {check.name}: {check.summary}")
        for line in check.details:
            click.echo(f"        {line}")
    failed = [c.name for c in checks if c.failed()]
    if failed:
        raise click.ClickException(f"{len(failed)} check(s) failed: {', '.join(failed)}")


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
