"""Running the project's jobs in this process, as the CLI and the tests do, and reading
what they did back as typed results.

This sits above `defs/` (it loads the definitions), so nothing below imports it.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg

from carnivore_orchestration.cli.errors import RunFailed
from carnivore_orchestration.content.store import ImportedWeek, TableChanges
from carnivore_orchestration.content.weeks import check_importable
from carnivore_orchestration.definitions import defs
from carnivore_orchestration.engagement.maintenance import PartitionReport
from carnivore_orchestration.failures import step_failure_message
from carnivore_orchestration.homepage.grid import GridChanges
from carnivore_orchestration.settings import OWNERS_WARNING


@functools.cache
def _definitions() -> dg.Definitions:
    return defs()


def _quiet() -> dict:
    """The run's console log off but for critical events: a failed step's error reaches
    the user once, as the command's own one line (failure_message), not also as
    Dagster's event with its stack trace; the UI of `carnivore dev` keeps every event."""
    return {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def run_job(name: str, partition_key: str | None = None, ops: dict | None = None,
            instance: dg.DagsterInstance | None = None, resources: dict | None = None) -> dg.ExecuteInProcessResult:
    """Run one of the project's jobs in this process, as its schedule would launch it,
    with the definitions' resources unless `resources` replaces some."""
    run_config = _quiet()
    if ops:
        run_config["ops"] = ops
    with warnings.catch_warnings():
        # Dagster's own run_failure_sensor passes a beta parameter (`owners`) and warns each
        # time the definitions resolve: nothing for the user of a command to act on.
        warnings.filterwarnings("ignore", message=OWNERS_WARNING, category=dg.BetaWarning)
        result = _definitions().resolve_job_def(name).execute_in_process(
            partition_key=partition_key,
            run_config=run_config,
            instance=instance or dg.DagsterInstance.ephemeral(),
            resources=resources,
            raise_on_error=False,
        )
    if not result.success:
        raise RunFailed(failure_message(result))
    return result


@dataclass(frozen=True)
class WeekImport:
    week: ImportedWeek
    topics: TableChanges
    grid: GridChanges


def weekly_import(week: date, source: Path | None = None, instance: dg.DagsterInstance | None = None,
                  resources: dict | None = None, archived_sha256: str | None = None) -> WeekImport:
    """Materialize `weekly_import_job` for one week, exactly as the schedule would, from
    `source`, from a version in the archive, or from the content source's file."""
    check_importable(week)  # a week with no partition would fail inside Dagster, as a traceback
    config = {"source_path": str(source) if source is not None else None, "archived_sha256": archived_sha256}
    config = {key: value for key, value in config.items() if value is not None}
    ops = {"weekly_content": {"config": config}} if config else None
    assets = materializations(run_job("weekly_import_job", week.isoformat(), ops, instance, resources))
    return WeekImport(ImportedWeek.from_metadata(assets["analyzed_content"]),
                      TableChanges.from_metadata(assets["trending_topics"]),
                      GridChanges.from_metadata(assets["bento_grid_items"]))


def rerank(instance: dg.DagsterInstance | None = None, resources: dict | None = None) -> GridChanges:
    assets = materializations(run_job("hourly_rerank_job", instance=instance, resources=resources))
    return GridChanges.from_metadata(assets["bento_grid_items"])


def maintain(months_ahead: int = 3, instance: dg.DagsterInstance | None = None,
             resources: dict | None = None) -> PartitionReport:
    ops = {"content_engagement_partitions": {"config": {"months_ahead": months_ahead}}}
    assets = materializations(run_job("maintenance_job", ops=ops, instance=instance, resources=resources))
    return PartitionReport.from_metadata(assets["content_engagement_partitions"])


def materializations(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    """Each materialized asset's metadata, as plain values."""
    return {
        event.asset_key.to_user_string(): {
            key: value.value for key, value in event.event_specific_data.materialization.metadata.items()
        }
        for event in result.get_asset_materialization_events()
    }


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure:
            return step_failure_message(event.step_failure_data)
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                return f"check {evaluation.check_name} failed: {evaluation.description}"
    return "the run failed"
