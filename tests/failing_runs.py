"""A run that fails, and run_failure_alert_sensor's view of it, for the alert tests."""

import dagster as dg
import pytest

from carnivore_orchestration.cli import runs
from carnivore_orchestration.defs.sensors import build_sensors

SENSORS = {sensor.name: sensor for sensor in build_sensors(running=True)}


def failed_import(instance: dg.DagsterInstance, week: str, resources: dict) -> tuple[dg.DagsterRun, dg.DagsterEvent]:
    """weekly_import_job for `week`, which must fail; the run and its failure event."""
    with pytest.raises(runs.RunFailed):
        runs.run_job("weekly_import_job", week, instance=instance, resources=resources)
    run = instance.get_runs(limit=1)[0]
    failure = next(e for e in instance.all_logs(run.run_id) if e.dagster_event
                   and e.dagster_event.event_type == dg.DagsterEventType.RUN_FAILURE).dagster_event
    return run, failure


def sense_failure(instance: dg.DagsterInstance, run: dg.DagsterRun, failure: dg.DagsterEvent, resources: dict):
    """One evaluation of run_failure_alert_sensor on that failure."""
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor", dagster_instance=instance, dagster_run=run,
        dagster_event=failure, resources=resources).for_run_failure()
    SENSORS["run_failure_alert_sensor"](context)
