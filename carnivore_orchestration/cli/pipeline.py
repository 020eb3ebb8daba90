"""The pipeline's commands: `demo`, `import`, `grid`, `rerank`, `maintain`. Those that
run a job import Dagster when they run, not before."""

from __future__ import annotations

import json
import os
import textwrap
from datetime import date
from pathlib import Path

import click

from carnivore_orchestration.cli.errors import fail_cleanly
from carnivore_orchestration.cli.lazy import connect, database_url, redact
from carnivore_orchestration.cli.output import import_summary, print_grid
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR, configured_database_url


class Week(click.ParamType):
    """A week, named by its Monday: YYYY-MM-DD."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx) -> date:
        if isinstance(value, date):
            return value
        try:
            week = date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)
        if week.weekday() != 0:
            self.fail(f"{value} is a {week.strftime('%A')}: weeks are named after their Monday", param, ctx)
        return week


def _migrate(url: str) -> int:
    from carnivore_orchestration.db.backup import migrate_with_backup

    return len(migrate_with_backup(url, on_backup=lambda b: click.echo(f"Backed up before migrating: {b.path}")))


def _content_dir() -> Path:
    configured = os.environ.get("CARNIVORE_CONTENT_DIR", "").strip()
    return Path(configured).expanduser() if configured else BUNDLED_CONTENT_DIR


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--week", type=Week(), help="The week's Monday (default: from analysis_date).")
def import_command(path: Path, week: date | None) -> None:
    """Import one analyzed_content.json through Dagster, as the weekly schedule would."""
    from carnivore_orchestration.cli.runs import weekly_import
    from carnivore_orchestration.content.loading import load_week
    from carnivore_orchestration.content.weeks import WeekOutOfRange, check_importable, monday_of
    from carnivore_orchestration.resources import resources_from_environment

    with fail_cleanly():
        # Everything about the file is checked before the schema is migrated or a run starts:
        # bad input changes nothing, and is told in one line without waiting for Dagster.
        content = load_week(path.resolve(), week, resources_from_environment()["content"].limits())
        given = week is not None
        if not given:
            if content.analysis_date is None:
                raise click.ClickException(f"{path}: no analysis_date in the file: give --week YYYY-MM-DD")
            week = monday_of(content.analysis_date)
        try:
            check_importable(week)
        except WeekOutOfRange as exc:
            source = "" if given else f" (its analysis_date is {content.analysis_date.isoformat()})"
            raise click.ClickException(f"{path}: {exc}{source}") from None
        _migrate(database_url())
        done = weekly_import(week, path.resolve())
    click.echo(f"Imported {path} as the week of {week.isoformat()}: {import_summary(done)}")


@click.command()
@click.argument("week", type=Week())
@click.option("--sha256", "prefix", metavar="PREFIX",
              help="Replay this version of the week's file (the start of its SHA-256) instead of the current one.")
def replay(week: date, prefix: str | None) -> None:
    """Import a week again from the archive, byte for byte, through the weekly import
    job: the current version changes nothing; an earlier one restores the week as it was."""
    from carnivore_orchestration.cli.runs import weekly_import
    from carnivore_orchestration.content import archive
    from carnivore_orchestration.content.weeks import check_importable

    with fail_cleanly():
        check_importable(week)
        _migrate(database_url())
        with connect(database_url()) as conn:
            version = archive.find(conn, week, prefix)
        done = weekly_import(week, archived_sha256=version.sha256)
    click.echo(f"Replayed {version.source_file} ({version.sha256[:12]}) as the week of {week.isoformat()}: "
               f"{import_summary(done)}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@click.option("--user", "user_id", type=click.UUID,
              help="The grid personalized for this reader (get_personalized_grid).")
def grid(as_json: bool, user_id) -> None:
    """Print the homepage grid as the website reads it, in order."""
    from carnivore_orchestration.homepage.grid import homepage_items, personalized_items

    with fail_cleanly(), connect(database_url()) as conn:
        items = personalized_items(conn, user_id) if user_id else homepage_items(conn)
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        print_grid(items)


@click.command()
def demo() -> None:
    """Run the whole pipeline on the bundled sample weeks and print the homepage grid."""
    import dagster as dg

    from carnivore_orchestration.alerts.delivery import send_due
    from carnivore_orchestration.alerts.outbox import list_events, readiness
    from carnivore_orchestration.alerts.settings import AlertSettings
    from carnivore_orchestration.cli.engagement import progress_bar
    from carnivore_orchestration.cli.runs import rerank as run_rerank
    from carnivore_orchestration.cli.runs import weekly_import
    from carnivore_orchestration.engagement.samples import load_sample_week
    from carnivore_orchestration.homepage.digest import build_digest, markdown
    from carnivore_orchestration.homepage.grid import homepage_items
    from carnivore_orchestration.resources import ContentSource

    with fail_cleanly():
        click.echo("1/5 PostgreSQL: " + ("CARNIVORE_DATABASE_URL" if configured_database_url() else "embedded server"))
        url = database_url()
        click.echo(f"    {redact(url)}")
        click.echo("2/5 Migrations")
        click.echo(f"    {_migrate(url)} applied, the schema is up to date")
        folder = _content_dir()
        files = sorted(folder.glob("*.json"))
        if not files:
            raise click.ClickException(f"no sample weeks in {folder}")
        click.echo(f"3/5 Weekly import of {len(files)} sample weeks from {folder}")
        instance = dg.DagsterInstance.ephemeral()
        # The job reads the same folder this command lists, whatever the definitions say.
        resources = {"content": ContentSource(directory=str(folder))}
        for path in files:
            week = Week().convert(path.stem, None, None)
            done = weekly_import(week, instance=instance, resources=resources)
            click.echo(f"    {week.isoformat()}: {import_summary(done)}")
        click.echo("4/5 A week of sample reader interactions, then the hourly re-rank")
        with connect(url, autocommit=True) as conn, progress_bar("interactions") as bar:
            loaded = load_sample_week(conn, bar)
        changes = run_rerank(instance)
        click.echo(f"    {loaded:,} interactions loaded; {changes.items_moved} grid items moved; hero: {changes.hero}")
        click.echo("5/5 The homepage grid, as the website reads it:")
        settings = AlertSettings.from_environ(os.environ)
        editors = settings.destinations_for("editors")
        with connect(url, autocommit=True) as conn:
            print_grid(homepage_items(conn))
            digest = markdown(build_digest(conn, week))
            ready = readiness(conn, settings)
            send_due(conn, settings, [d for d in editors if d in ready.ready])
            events = [e for e in list_events(conn) if e.destination == editors[0]]  # the same in every queue
        click.echo("The editors' digest of the last week (weekly_digest), as the UI shows it:\n")
        click.echo(textwrap.indent(digest, "    "))
        waiting = ready.waiting.get(editors[0])
        click.echo(f"Alerts for editors from these weeks ({len(events)}; "
                   + (f"pending: {waiting}" if waiting else f"delivered to {', '.join(editors)}") + "):")
        for event in events:
            click.echo(f"    {event.status:<9} {event.text}")


@click.command()
def rerank() -> None:
    """Re-score and re-rank the grid now, as the hourly schedule does."""
    from carnivore_orchestration.cli.runs import rerank as run_rerank

    with fail_cleanly():
        changes = run_rerank()
    click.echo(f"Re-ranked {changes.items} items: {changes.rows_updated} updated, {changes.items_moved} moved;"
               f" hero: {changes.hero}{' (new)' if changes.hero_changed else ' (unchanged)'}")


@click.command()
@click.option("--months-ahead", default=3, show_default=True, type=click.IntRange(0, 36),
              help="Partitions to make beyond the current month.")
def maintain(months_ahead: int) -> None:
    """content_engagement's monthly partitions made ahead, and expired scoring buckets
    dropped, now, as the daily maintenance schedule does."""
    from carnivore_orchestration.cli.runs import maintain as run_maintenance

    with fail_cleanly():
        report = run_maintenance(months_ahead)
    created = ", ".join(report.created) or "none (all there already)"
    click.echo(f"Partitions ensured: {', '.join(report.ensured)}; created: {created}; "
               f"rows moved from DEFAULT: {report.moved_from_default}")


COMMANDS = (demo, import_command, replay, grid, rerank, maintain)
