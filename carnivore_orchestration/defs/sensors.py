import dagster as dg

from carnivore_orchestration.alerts import outbox
from carnivore_orchestration.alerts.oncall import run_failure_payload
from carnivore_orchestration.defs.alerts import deliver_alert_job
from carnivore_orchestration.defs.schedules import automation_on, hourly_rerank_job, maintenance_job, weekly_import_job
from carnivore_orchestration.resources import AlertsResource, PostgresResource


def dispatch_alerts(postgres: PostgresResource, alerts: AlertsResource) -> dg.SkipReason | list[dg.RunRequest]:
    """One delivery run for each outbox event that is due; events whose endpoint is not
    configured or is disabled stay pending, and the skip reason says why."""
    settings = alerts.settings()
    with postgres.connect(autocommit=True) as conn:
        readiness = outbox.readiness(conn, settings)
        dispatched = outbox.dispatch_due(conn, readiness.ready) if readiness.ready else []
        waiting = outbox.pending_count(conn, list(readiness.waiting)) if readiness.waiting else 0
    if not dispatched:
        held = f"; {waiting} pending until {readiness.describe_waiting()}" if waiting else ""
        return dg.SkipReason(f"no alert is due{held}")
    return [
        dg.RunRequest(run_key=d.run_key,
                      run_config={"ops": {"deliver_alert": {"config": {"event_id": d.event_id}}}},
                      tags={"carnivore/alert": d.event_id, "carnivore/attempt": str(d.attempt)})
        for d in dispatched
    ]


def failure_errors(context: dg.RunFailureSensorContext) -> list[str]:
    errors = []
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            errors.append(f"{event.step_key}: {data.user_failure_data.description}")
        elif data.error is not None:
            errors.append(f"{event.step_key}: {data.error.message.strip()}")
    if not errors and context.failure_event.message:
        errors.append(context.failure_event.message)
    return errors


def build_sensors(running: bool) -> list[dg.SensorDefinition]:
    status = dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED

    @dg.sensor(job=deliver_alert_job, minimum_interval_seconds=30, default_status=status,
               description="Every due event in the alert outbox (editors' trend spikes, on-call failures)"
                           " becomes one deliver_alert_job run; retries come back when the outbox says.")
    def alert_outbox_sensor(postgres: PostgresResource, alerts: AlertsResource):
        return dispatch_alerts(postgres, alerts)

    def run_failure_alert_sensor(context: dg.RunFailureSensorContext, postgres: PostgresResource,
                                 alerts: AlertsResource) -> None:
        run = context.dagster_run
        payload = run_failure_payload(run.job_name, run.run_id, run.tags.get("dagster/partition"),
                                      failure_errors(context), alerts.settings().run_url(run.run_id))
        with postgres.connect(autocommit=True) as conn:
            event_id = outbox.record_run_failure(conn, payload)
        context.log.info(f"on-call alert {event_id} queued in the outbox")

    run_failure_alert_sensor = dg.run_failure_sensor(
        monitored_jobs=[weekly_import_job, hourly_rerank_job, maintenance_job],
        default_status=status,
        description="A failed run of the pipeline's jobs becomes an on-call event in the alert outbox"
                    " (deliver_alert_job is left out: its failures are in the outbox, and alerting on them"
                    " would loop).",
    )(run_failure_alert_sensor)

    return [alert_outbox_sensor, run_failure_alert_sensor]


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(sensors=build_sensors(automation_on()))
