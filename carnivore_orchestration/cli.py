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


@main.command()
@click.option("--quick", is_flag=True, help="Small sizes and short runs (under a minute), as CI runs it.")
def bench(quick: bool) -> None:
    """Every benchmark against its baseline in the same run (same as `python -m bench`)."""
    import subprocess
    import sys

    from carnivore_orchestration.settings import PROJECT_ROOT

    if not (PROJECT_ROOT / "bench" / "__main__.py").exists():
        raise click.ClickException(f"no bench/ in {PROJECT_ROOT}: benchmarks run from a checkout of the project")
    done = subprocess.run([sys.executable, "-m", "bench", *(["--quick"] if quick else [])], cwd=PROJECT_ROOT)
    sys.exit(done.returncode)


@main.command()
@click.option("--port", default=3000, show_default=True, help="Port of the Dagster UI.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the UI listens on.")
def dev(port: int, host: str) -> None:
    """The Dagster UI and daemon on this project, with Dagster's state in PostgreSQL."""
    import os
    import signal
    import subprocess

    from carnivore_orchestration.db.dagster_storage import dagster_storage_url
    from carnivore_orchestration.settings import PROJECT_ROOT, carnivore_home

    with _fail_cleanly():
        url = database_url()
        click.echo(f"PostgreSQL: {redact(url)}")
        click.echo(f"Migrations: {_migrate_quietly()} applied, the schema is up to date")
        storage = dagster_storage_url()
    click.echo(f"Dagster's storage: {redact(storage)}")
    local = carnivore_home() / "dagster"
    local.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(PROJECT_ROOT),  # so that the project's dagster.yaml is the one used
        "CARNIVORE_DAGSTER_STORAGE_URL": storage,
        "CARNIVORE_DAGSTER_LOCAL_DIR": str(local),
        "CARNIVORE_DATABASE_URL": url,  # run workers use the server this command started
    }
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", host, "-p", str(port)]

    def restore_signals():
        # A process started from a backgrounded shell inherits ignored SIGINT/SIGTERM.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    server = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, start_new_session=True,
                              preexec_fn=restore_signals)
    click.echo(f"Dagster UI: http://{host}:{port} (Ctrl-C stops it)")

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.wait()
    except KeyboardInterrupt:
        click.echo("Stopping Dagster…")
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    sys.exit(0 if server.returncode in (0, -signal.SIGINT, 130) else server.returncode)


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
@click.option("--user", "user_id", type=click.UUID, help="The grid personalized for this reader (get_personalized_grid).")
def grid(as_json: bool, user_id) -> None:
    """Print the homepage grid as the website reads it, in order."""
    from carnivore_orchestration.homepage.grid import homepage_items, personalized_items

    with _fail_cleanly(), connect(database_url()) as conn:
        items = personalized_items(conn, user_id) if user_id else homepage_items(conn)
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
        click.echo("1/5 PostgreSQL: " + ("CARNIVORE_DATABASE_URL" if configured_database_url() else "embedded server"))
        url = database_url()
        click.echo(f"    {redact(url)}")
        click.echo("2/5 Migrations")
        applied = _migrate_quietly()
        click.echo(f"    {applied} applied, the schema is up to date")
        files = sorted(content_dir().glob("*.json"))
        if not files:
            raise click.ClickException(f"no sample weeks in {content_dir()}")
        click.echo(f"3/5 Weekly import of {len(files)} sample weeks from {content_dir()}")
        instance = dg.DagsterInstance.ephemeral()
        with Progress(transient=True, disable=not sys.stdout.isatty()) as progress:
            task = progress.add_task("importing", total=len(files))
            for path in files:
                week = _week_of_file(path)
                progress.update(task, description=f"week of {week.isoformat()}")
                result = weekly_import(week, instance=instance)
                click.echo(f"    {week.isoformat()}: {_summary(result)}")
                progress.advance(task)
        click.echo("4/5 A week of sample reader interactions, then the hourly re-rank")
        loaded = _load_sample_engagement(url)
        from carnivore_orchestration.runs import materializations, rerank as run_rerank

        grid_meta = materializations(run_rerank(instance))["bento_grid_items"]
        click.echo(f"    {loaded:,} interactions loaded; {grid_meta['items_moved']} grid items moved; "
                   f"hero: {grid_meta['hero']}")
        click.echo("5/5 The homepage grid, as the website reads it:")
        from carnivore_orchestration.alerts.delivery import AlertSettings, send_pending
        from carnivore_orchestration.homepage.grid import homepage_items

        with connect(url, autocommit=True) as conn:
            _print_grid(homepage_items(conn))
            settings = AlertSettings.from_env()
            blocked = settings.missing("editors")
            if not blocked:
                send_pending(conn, settings)
            rows = _alert_rows(conn)
        click.echo(f"Alerts for editors from these weeks ({len(rows)}; "
                   + (f"pending: {blocked}" if blocked else "delivered to CARNIVORE_WEBHOOK_URL") + "):")
        for event_id, kind, status, attempts, text, _ in rows:
            click.echo(f"    {status:<9} {text}")


@main.command()
def rerank() -> None:
    """Re-score and re-rank the grid now, as the hourly schedule does."""
    from carnivore_orchestration.runs import materializations, rerank as run_rerank

    with _fail_cleanly():
        grid_meta = materializations(run_rerank())["bento_grid_items"]
    click.echo(f"Re-ranked {grid_meta['items']} items: {grid_meta['rows_updated']} updated, "
               f"{grid_meta['items_moved']} moved; hero: {grid_meta['hero']}"
               f"{' (new)' if grid_meta['hero_changed'] else ' (unchanged)'}")


@main.command()
@click.option("--months-ahead", default=3, show_default=True, type=click.IntRange(0, 36),
              help="Partitions to make beyond the current month.")
def partitions(months_ahead: int) -> None:
    """Make content_engagement's monthly partitions now, as the monthly schedule does."""
    from carnivore_orchestration.runs import materializations, partitions as run_partitions

    with _fail_cleanly():
        meta = materializations(run_partitions(months_ahead))["content_engagement_partitions"]
    created = ", ".join(meta["created"]) or "none (all there already)"
    click.echo(f"Partitions ensured: {', '.join(meta['ensured'])}; created: {created}; "
               f"rows moved from DEFAULT: {meta['rows_moved_from_default']}")


@main.group()
def engagement() -> None:
    """Reader interactions."""


@engagement.command("load")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--shift-to-now", is_flag=True, help="Move all timestamps so that the newest is now (replay).")
def engagement_load(path: Path, shift_to_now: bool) -> None:
    """Bulk-load interactions (CSV with a header, or .jsonl) with COPY: all or nothing."""
    with _fail_cleanly():
        rows = _load_engagement(path, shift_to_now)
    click.echo(f"Loaded {rows:,} interactions from {path}.")


@main.group()
def alerts() -> None:
    """The webhook outbox: trend spikes for editors, failed runs for on-call."""


@alerts.command("list")
@click.option("--status", type=click.Choice(["pending", "sending", "delivered", "failed"]), help="Only these.")
def alerts_list(status: str | None) -> None:
    """Every alert with its status and attempts."""
    with _fail_cleanly(), connect(database_url()) as conn:
        rows = _alert_rows(conn, status)
    if not rows:
        click.echo("No alerts.")
    for event_id, kind, status_, attempts, text, last_error in rows:
        click.echo(f"{event_id}  {status_:<9} {kind:<11} attempts {attempts}  {text}"
                   + (f"  [{last_error}]" if last_error and status_ != "delivered" else ""))


def _alert_rows(conn, status: str | None = None) -> list[tuple]:
    return conn.execute(
        "SELECT id, kind, status, attempts, payload ->> 'text', last_error FROM alert_events"
        " WHERE %(status)s::text IS NULL OR status = %(status)s ORDER BY seq", {"status": status}
    ).fetchall()


@alerts.command("send")
def alerts_send() -> None:
    """Deliver every pending alert that is due now (the code the job runs)."""
    from carnivore_orchestration.alerts.delivery import AlertSettings, send_pending

    with _fail_cleanly(), connect(database_url(), autocommit=True) as conn:
        outcomes = send_pending(conn, AlertSettings.from_env())
    for outcome in outcomes:
        click.echo(f"{outcome.event_id}: {outcome.status} {outcome.detail}".rstrip())
    click.echo(f"{sum(o.status == 'delivered' for o in outcomes)} delivered, {len(outcomes)} attempted.")


@alerts.command("retry")
@click.argument("event_id", required=False)
@click.option("--all-failed", is_flag=True, help="Every failed alert.")
def alerts_retry(event_id: str | None, all_failed: bool) -> None:
    """Queue failed alerts to be sent again (with a fresh run key for the sensor)."""
    from carnivore_orchestration.alerts.delivery import requeue

    if bool(event_id) == all_failed:
        raise click.UsageError("give an EVENT_ID or --all-failed")
    with _fail_cleanly(), connect(database_url(), autocommit=True) as conn:
        count = requeue(conn, event_id, all_failed)
    if event_id and not count:
        raise click.ClickException(f"{event_id}: no such failed or pending alert")
    click.echo(f"{count} alert(s) queued again.")


@alerts.command("enable")
@click.argument("url")
def alerts_enable(url: str) -> None:
    """Re-enable an endpoint that answered 410 Gone, and queue its waiting alerts."""
    from carnivore_orchestration.alerts.delivery import requeue

    with _fail_cleanly(), connect(database_url(), autocommit=True) as conn:
        removed = conn.execute("DELETE FROM alert_endpoints WHERE url = %s", [url]).rowcount
        waiting = [row[0] for row in conn.execute(
            "SELECT id FROM alert_events WHERE status = 'pending' AND last_error LIKE 'HTTP 410%%'")]
        for waiting_id in waiting:
            requeue(conn, waiting_id)
    click.echo(f"{'Re-enabled' if removed else 'Was not disabled:'} {url}; {len(waiting)} alert(s) queued again.")


def _load_engagement(path: Path, shift_to_now: bool) -> int:
    from rich.progress import Progress

    from carnivore_orchestration.engagement.loading import load_engagement

    with connect(database_url(), autocommit=True) as conn, \
            Progress(transient=True, disable=not sys.stdout.isatty()) as bar:
        task = bar.add_task(f"loading {path.name}", total=None)
        result = load_engagement(conn, path, shift_to_now, lambda done, total: bar.update(task, completed=done,
                                                                                           total=total))
    return result.rows


def _load_sample_engagement(url: str) -> int:
    import tempfile

    from carnivore_orchestration.engagement.samples import sample_week

    with connect(url) as conn:
        now = conn.execute("SELECT now()").fetchone()[0]
        items = conn.execute("SELECT content_type, content_id FROM bento_grid_items ORDER BY grid_position").fetchall()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample_week.csv"
        path.write_text(sample_week([tuple(item) for item in items], now))
        return _load_engagement(path, shift_to_now=False)


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
    from carnivore_orchestration.runs import materializations

    assets = materializations(result)
    topics = assets.get("trending_topics", {})
    return (f"{assets.get('analyzed_content', {}).get('status', '?')}; topics +{topics.get('rows_inserted', 0)} new, "
            f"{topics.get('rows_updated', 0)} updated, {topics.get('rows_unchanged', 0)} unchanged; "
            f"grid of {assets.get('bento_grid_items', {}).get('items', 0)}")


def _print_grid(items: list[dict]) -> None:
    """Position, slot, type, title, the score that orders the grid (or the personalized
    one), and readers' 24-hour score."""
    from rich.console import Console
    from rich.table import Table

    from carnivore_orchestration.homepage.ranking import slot

    personal = bool(items) and "personalization_boost" in items[0]
    table = Table()
    headers = ["#", "slot", "type", "title", "personalized" if personal else "rank", "readers 24 h"]
    if personal:
        headers.append("boost")
    for column in headers:
        table.add_column(column, justify="left" if column in ("slot", "type", "title") else "right")
    for item in items:
        score = item["personalized_score"] if personal else item["rank_score"]
        row = [str(item["grid_position"]), slot(item["grid_position"]), item["content_type"], item["content_title"],
               f"{score:.2f}", f"{item['engagement_score']:.2f}"]
        if personal:
            row.append(f"+{item['personalization_boost']}")
        table.add_row(*row)
    Console(width=max(110, Console().width)).print(table)


class _fail_cleanly:
    """Turn expected failures into one clear line and exit status 1, not a traceback."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        import psycopg

        from carnivore_orchestration.content.loading import ContentError
        from carnivore_orchestration.engagement.loading import EngagementError
        from carnivore_orchestration.runs import RunFailed

        if exc_type is not None and issubclass(exc_type, psycopg.errors.UndefinedTable):
            click.echo(f"Error: {exc}; the schema is missing: run `carnivore migrate` first", err=True)
            sys.exit(1)
        expected = (migrations_module.MigrationError, psycopg.OperationalError, ContentError, EngagementError,
                    RunFailed)
        if exc_type is not None and issubclass(exc_type, expected):
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        return False
if __name__ == "__main__":
    main()
