import dagster as dg

from carnivore_orchestration.alerts.delivery import deliver_event
from carnivore_orchestration.resources import AlertsResource, PostgresResource


class AlertConfig(dg.Config):
    event_id: str


@dg.op(description="One delivery attempt of one outbox event, signed. A retry is not waited for here: the outbox"
                   " records when the event is due again and alert_outbox_sensor dispatches it then.")
def deliver_alert(context: dg.OpExecutionContext, config: AlertConfig, postgres: PostgresResource,
                  alerts: AlertsResource) -> None:
    with postgres.connect(autocommit=True) as conn:
        outcome = deliver_event(conn, config.event_id, alerts.settings())
    summary = f"{outcome.event_id}: {outcome.status} {outcome.detail}".strip()
    if outcome.status == "failed":
        raise dg.Failure(description=f"{summary}; `carnivore alerts retry {outcome.event_id}` sends it again",
                         allow_retries=False)
    if outcome.status == "retry":
        context.log.warning(f"{summary}; due again in {outcome.retry_in:.1f} s")
    else:
        context.log.info(summary)


@dg.job(description="Deliver one alert from the outbox: a trend spike to editors, or a failed run to on-call.")
def deliver_alert_job():
    deliver_alert()
