"""`carnivore alerts ...`: the alert outbox."""

from __future__ import annotations

import os

import click

from carnivore_orchestration.cli.errors import fail_cleanly
from carnivore_orchestration.cli.lazy import connect, database_url

STATUSES = ["pending", "sending", "delivered", "failed"]


@click.group()
def alerts() -> None:
    """The alert outbox: trend spikes for editors, failed runs for on-call."""


@alerts.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only these.")
def alerts_list(status: str | None) -> None:
    """Every alert with its status and attempts."""
    from carnivore_orchestration.alerts.outbox import list_events

    with fail_cleanly(), connect(database_url()) as conn:
        rows = list_events(conn, status)
    if not rows:
        click.echo("No alerts.")
    for row in rows:
        error = f"  [{row.last_error}]" if row.last_error and row.status != "delivered" else ""
        due = f"  next {row.next_attempt_at:%Y-%m-%d %H:%M:%S %Z}" if row.status in ("pending", "sending") else ""
        click.echo(f"{row.event_id}  {row.destination:<13} {row.status:<9} {row.kind:<11} attempts {row.attempts}"
                   f"  {row.text}{error}{due}")


@alerts.command("send")
def alerts_send() -> None:
    """One attempt now at every due alert whose endpoint is configured, in this process
    (the same claim and attempt as a delivery run)."""
    from carnivore_orchestration.alerts.delivery import send_due
    from carnivore_orchestration.alerts.outbox import pending_count, readiness
    from carnivore_orchestration.alerts.settings import AlertSettings

    settings = AlertSettings.from_environ(os.environ)
    with fail_cleanly(), connect(database_url(), autocommit=True) as conn:
        ready = readiness(conn, settings)
        outcomes = send_due(conn, settings, ready.ready)
        held = pending_count(conn, list(ready.waiting))
    for outcome in outcomes:
        click.echo(f"{outcome.event_id}: {outcome.status} {outcome.detail}".rstrip())
    click.echo(f"{sum(o.status == 'delivered' for o in outcomes)} delivered, {len(outcomes)} attempted.")
    if held:
        click.echo(f"Not sent: {ready.describe_waiting(held)}.")


@alerts.command("retry")
@click.argument("event_id", required=False)
@click.option("--all-failed", is_flag=True, help="Every failed alert.")
def alerts_retry(event_id: str | None, all_failed: bool) -> None:
    """Queue failed alerts to be sent again, attempts from zero."""
    from carnivore_orchestration.alerts.outbox import requeue

    if bool(event_id) == all_failed:
        raise click.UsageError("give an EVENT_ID or --all-failed")
    with fail_cleanly(), connect(database_url(), autocommit=True) as conn:
        count = requeue(conn, event_id, all_failed)
    if event_id and not count:
        raise click.ClickException(f"{event_id}: no such failed or pending alert")
    click.echo(f"{count} alert(s) queued again.")


@alerts.command("enable")
@click.argument("url")
def alerts_enable(url: str) -> None:
    """Re-enable an endpoint that said it was gone (410; Slack's 403, 404 or 410), given
    as configured or masked as `alerts send` shows it; the alerts it stopped go out again."""
    from carnivore_orchestration.alerts.outbox import enable_endpoint

    with fail_cleanly(), connect(database_url(), autocommit=True) as conn:
        enabled = enable_endpoint(conn, url)
    click.echo(f"{'Re-enabled' if enabled.was_disabled else 'Was not disabled:'} {url}; "
               f"{enabled.released} alert(s) queued again.")
