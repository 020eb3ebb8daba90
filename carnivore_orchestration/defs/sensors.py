import dagster as dg

from carnivore_orchestration.alerts import outbox
from carnivore_orchestration.alerts.oncall import Retry, run_failure_payload
from carnivore_orchestration.defs.alerts import deliver_alert_job
from carnivore_orchestration.defs.database import database_checks_job
from carnivore_orchestration.defs.schedules import automation_on, hourly_rerank_job, maintenance_job, weekly_import_job
from carnivore_orchestration.failures import step_failure_message
from carnivore_orchestration.resources import AlertsResource, PostgresResource


def dispatch_alerts(postgres: PostgresResource, alerts: AlertsResource) -> dg.SkipReason | list[dg.RunRequest]:
    """One delivery run for each destination whose queue's head is due (the run goes on
    down the queue in order); events whose endpoint is not configured or is disabled
    stay pending, and the skip reason says why."""
    settings = alerts.settings()
    with postgres.connect(autocommit=True) as conn:
        readiness = outbox.readiness(conn, settings)
        dispatched = outbox.dispatch_due(conn, readiness.ready) if readiness.ready else []
        waiting = outbox.pending_count(conn, list(readiness.waiting)) if readiness.waiting else {}
    if not dispatched:
        held = (f"; {sum(waiting.values())} pending until {readiness.describe_waiting(waiting)}" if waiting
                else "")
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
        errors.append(f"{event.step_key}: {step_failure_message(event.step_failure_data)}")
    if not errors and context.failure_event.message:
        errors.append(context.failure_event.message)
    return errors


def retry_of(instance: dg.DagsterInstance, run: dg.DagsterRun) -> Retry:
    """Whether Dagster retries this failed run. It records its decision on the run as it
    fails (`dagster/will_retry`, from dagster.yaml's run_retries); the run is read again
    here because the tag is added just after the failure this sensor reacts to."""
    tags = (instance.get_run_by_id(run.run_id) or run).tags
    return Retry(coming=tags.get("dagster/will_retry") == "true", number=int(tags.get("dagster/retry_number", 0)),
                 max_retries=int(tags.get("dagster/max_retries", instance.run_retries_max_retries)))


def build_sensors(running: bool) -> list[dg.SensorDefinition]:
    status = dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED

    @dg.sensor(job=deliver_alert_job, minimum_interval_seconds=30, default_status=status,
               description="The due head of each destination's queue in the alert outbox (editors' trend"
                           " spikes, on-call failures) becomes one deliver_alert_job run, which delivers"
                           " the queue in order; retries come back when the outbox says.")
    def alert_outbox_sensor(postgres: PostgresResource, alerts: AlertsResource):
        return dispatch_alerts(postgres, alerts)

    def run_failure_alert_sensor(context: dg.RunFailureSensorContext, postgres: PostgresResource,
                                 alerts: AlertsResource) -> None:
        run = context.dagster_run
        root = run.root_run_id or run.run_id
        settings = alerts.settings()
        payload = run_failure_payload(run.job_name, run.run_id, root, run.tags.get("dagster/partition"),
                                      failure_errors(context), settings.run_url(run.run_id),
                                      retry_of(context.instance, run))
        with postgres.connect(autocommit=True) as conn:
            recorded = outbox.record_run_failure(conn, payload, settings.destinations_for("oncall"))
        for event in recorded:
            if event.new:
                context.log.info(f"on-call alert {event.event_id} queued in the outbox")
            else:
                state = "its body updated, not yet sent" if event.updated else "already sent"
                context.log.info(f"run {run.run_id} is a retry of {root}: on-call alert {event.event_id} {state}")

    run_failure_alert_sensor = dg.run_failure_sensor(
        monitored_jobs=[weekly_import_job, hourly_rerank_job, maintenance_job, database_checks_job],
        default_status=status,
        description="A failed run of the pipeline's jobs becomes an on-call event in the alert outbox"
                    " (deliver_alert_job is left out: its failures are in the outbox, and alerting on them"
                    " would loop).",
    )(run_failure_alert_sensor)

    return [alert_outbox_sensor, run_failure_alert_sensor]


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(sensors=build_sensors(automation_on()))
