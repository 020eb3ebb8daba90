import dagster as dg

from carnivore_orchestration.alerts.delivery import deliver_queue
from carnivore_orchestration.resources import AlertsResource, PostgresResource


class AlertConfig(dg.Config):
    event_id: str


@dg.op(description="One delivery attempt of the outbox event at the head of its destination's queue, signed,"
                   " then of the events behind it in order while the receiver takes them. A retry is not"
                   " waited for here: the outbox records when the head is due again and alert_outbox_sensor"
                   " dispatches it then.")
def deliver_alert(context: dg.OpExecutionContext, config: AlertConfig, postgres: PostgresResource,
                  alerts: AlertsResource) -> None:
    with postgres.connect(autocommit=True) as conn:
        outcomes = deliver_queue(conn, config.event_id, alerts.settings())
    for outcome in outcomes:
        summary = f"{outcome.event_id}: {outcome.status} {outcome.detail}".strip()
        if outcome.status == "failed":
            raise dg.Failure(description=f"{summary}; `carnivore alerts retry {outcome.event_id}` sends it again",
                             allow_retries=False)
        if outcome.status == "retry":
            context.log.warning(f"{summary}; due again in {outcome.retry_in:.1f} s")
        else:
            context.log.info(summary)


@dg.job(description="Deliver alerts from the outbox, in order, starting at the head of one destination's queue:"
                    " trend spikes to editors, or failed runs to on-call.")
def deliver_alert_job():
    deliver_alert()
