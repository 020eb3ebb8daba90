"""Running the project's jobs in this process, as the CLI and the tests do."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg


class RunFailed(RuntimeError):
    """A Dagster run failed; the message is the failing step's own explanation."""


def _quiet() -> dict:
    return {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def weekly_import(week: date, source: Path | None = None, instance: dg.DagsterInstance | None = None):
    """Materialize `weekly_import_job` for one week, exactly as the schedule would."""
    from carnivore_orchestration.definitions import defs

    run_config = _quiet()
    if source is not None:
        run_config["ops"] = {"weekly_content": {"config": {"source_path": str(source)}}}
    job = defs().resolve_job_def("weekly_import_job")
    result = job.execute_in_process(
        partition_key=week.isoformat(),
        run_config=run_config,
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    if not result.success:
        raise RunFailed(failure_message(result))
    return result


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data is not None and data.user_failure_data.description:
                return data.user_failure_data.description
            return data.error.message.strip() if data.error else f"step {event.step_key} failed"
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                return f"check {evaluation.check_name} failed: {evaluation.description}"
    return "the run failed"
