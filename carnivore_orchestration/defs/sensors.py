import dagster as dg

from carnivore_orchestration.alerts.delivery import AlertSettings, deliver_event, record_run_failure
from carnivore_orchestration.db.connection import connect
from carnivore_orchestration.defs.alerts import notify_editors_job
from carnivore_orchestration.defs.schedules import (
    automation_status,
    hourly_rerank_job,
    monthly_partition_job,
    weekly_import_job,
)


def _sensor_status() -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus(automation_status().value)


@dg.sensor(job=notify_editors_job, minimum_interval_seconds=30, default_status=_sensor_status(),
           description="New events in the alert outbox become notify_editors_job runs, one per event.")
def trend_spike_sensor(context: dg.SensorEvaluationContext):
    settings = AlertSettings.from_env()
    cursor = int(context.cursor or 0)
    with connect() as conn:
        events = conn.execute(
            "SELECT id, seq, generation, destination FROM alert_events"
            " WHERE seq > %s AND status = 'pending' ORDER BY seq LIMIT 100", [cursor]
        ).fetchall()
    if not events:
        return dg.SkipReason("no new alerts")
    blocked = {d: settings.missing(d) for d in {e[3] for e in events}}
    if any(blocked.values()):
        # The cursor stays put: these events go out once the configuration is there.
        reasons = "; ".join(sorted({r for r in blocked.values() if r}))
        context.log.warning(f"{len(events)} alert(s) pending: {reasons}")
        return dg.SkipReason(f"{len(events)} alert(s) pending: {reasons}")
    context.update_cursor(str(max(e[1] for e in events)))
    # The run key is the event and its re-send generation: however often this sensor
    # runs, an event is handled once, and `carnivore alerts retry` gets a fresh key.
    return [
        dg.RunRequest(run_key=f"{event_id}:{generation}",
                      run_config={"ops": {"deliver_alert": {"config": {"event_id": event_id}}}},
                      tags={"carnivore/alert": event_id})
        for event_id, _, generation, _ in events
    ]


@dg.run_failure_sensor(
    monitored_jobs=[weekly_import_job, hourly_rerank_job, monthly_partition_job],
    default_status=_sensor_status(),
    description="A failed run of the pipeline's jobs pages on-call (notify_editors_job is left out: its failures"
                " are in the outbox, and alerting on them would loop).",
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext) -> None:
    settings = AlertSettings.from_env()
    run = context.dagster_run
    errors = []
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            errors.append(f"{event.step_key}: {data.user_failure_data.description}")
        elif data.error is not None:
            errors.append(f"{event.step_key}: {data.error.message.strip()}")
    error = "; ".join(errors) or context.failure_event.message or "the run failed"
    partition = run.tags.get("dagster/partition")
    payload = {
        "event": "pipeline_run_failed",
        "job": run.job_name,
        "run_id": run.run_id,
        "partition": partition,
        "error": error,
        "url": f"{settings.ui_url}/runs/{run.run_id}",
        "text": f"{run.job_name}{f' ({partition})' if partition else ''} failed: {error[:300]}",
    }
    with connect(autocommit=True) as conn:
        event_id = record_run_failure(conn, payload)
        outcome = deliver_event(conn, event_id, settings)
    # Not delivered now: it stays pending, and trend_spike_sensor dispatches it.
    context.log.info(f"on-call alert {event_id}: {outcome.status} {outcome.detail}".strip())
