import os

import dagster as dg

from carnivore_orchestration.alerts.delivery import AlertSettings, deliver_event
from carnivore_orchestration.resources import PostgresResource


class AlertConfig(dg.Config):
    event_id: str


# Unexpected errors (the database restarting, say) are retried too; the delay follows
# CARNIVORE_ALERT_RETRY_BASE_SECONDS, because Dagster really sleeps it, even in tests.
_UNEXPECTED_ERRORS = dg.RetryPolicy(
    max_retries=3,
    delay=float(os.environ.get("CARNIVORE_ALERT_RETRY_BASE_SECONDS", "2")),
    backoff=dg.Backoff.EXPONENTIAL,
    jitter=dg.Jitter.PLUS_MINUS,
)


@dg.op(description="POST one outbox event, signed; retried with backoff while the outbox says so.",
       retry_policy=_UNEXPECTED_ERRORS)
def deliver_alert(context: dg.OpExecutionContext, config: AlertConfig, postgres: PostgresResource) -> None:
    settings = AlertSettings.from_env()
    with postgres.connect(autocommit=True) as conn:
        outcome = deliver_event(conn, config.event_id, settings)
    context.log.info(f"{outcome.event_id}: {outcome.status} {outcome.detail}".strip())
    if outcome.status == "retry":
        # The delay comes from the outbox (backoff, jitter, Retry-After), and
        # CARNIVORE_ALERT_RETRY_BASE_SECONDS scales it: Dagster really sleeps it.
        raise dg.RetryRequested(max_retries=settings.max_attempts, seconds_to_wait=outcome.retry_in)
    if outcome.status == "failed":
        raise dg.Failure(description=f"{outcome.event_id} was not delivered: {outcome.detail}; "
                                     f"`carnivore alerts retry {outcome.event_id}` sends it again")
    if outcome.status == "waiting":
        context.log.warning(f"{outcome.event_id} stays pending: {outcome.detail}")


@dg.job(description="Deliver one alert (a trend spike to editors, or a pending on-call alert).")
def notify_editors_job():
    deliver_alert()
