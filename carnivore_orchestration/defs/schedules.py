import os

import dagster as dg

WEEKLY_IMPORT_ASSETS = ["analyzed_content", "trending_topics", "top_videos", "creators", "bento_grid_items",
                        "homepage_grid"]


# Jobs that write the grid run one at a time (dagster.yaml limits this tag to 1), and
# failed scheduled runs are retried from the failed step, twice at most.
GRID_WRITER = {"carnivore/writes": "grid"}
RETRIED = {"dagster/max_retries": "2", "dagster/retry_strategy": "FROM_FAILURE"}


def automation_status() -> dg.DefaultScheduleStatus:
    """Schedules run by default; CARNIVORE_AUTOMATION=off turns them off (staging)."""
    off = os.environ.get("CARNIVORE_AUTOMATION", "on").strip().lower() in {"off", "0", "false", "no"}
    return dg.DefaultScheduleStatus.STOPPED if off else dg.DefaultScheduleStatus.RUNNING


weekly_import_job = dg.define_asset_job(
    "weekly_import_job",
    selection=dg.AssetSelection.assets(*WEEKLY_IMPORT_ASSETS),
    description="Import one week's analyzed_content.json and rebuild the homepage grid.",
    tags={**GRID_WRITER, **RETRIED},
)


@dg.schedule(
    job=weekly_import_job,
    cron_schedule="0 10 * * 1",
    execution_timezone="UTC",
    default_status=automation_status(),
    description="Mondays 10:00 UTC: import the week that starts that Monday.",
)
def weekly_import_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    monday = context.scheduled_execution_time.date().isoformat()
    return dg.RunRequest(partition_key=monday, tags={"carnivore/week": monday})


def _stamped_schedule(name: str, job, cron: str, description: str, tag: str, stamp: str) -> dg.ScheduleDefinition:
    """A UTC schedule for an unpartitioned job, tagging each run with its slot."""

    @dg.schedule(name=name, job=job, cron_schedule=cron, execution_timezone="UTC",
                 default_status=automation_status(), description=description)
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return dg.RunRequest(tags={tag: context.scheduled_execution_time.strftime(stamp)})

    return _schedule


hourly_rerank_job = dg.define_asset_job(
    "hourly_rerank_job",
    selection=dg.AssetSelection.assets("bento_grid_items", "homepage_grid"),
    description="Re-score the grid from the last 24 hours of engagement, re-rank it and refresh homepage_grid.",
    tags={**GRID_WRITER, **RETRIED},
)
hourly_rerank_schedule = _stamped_schedule(
    "hourly_rerank_schedule", hourly_rerank_job, "0 * * * *",
    "Every hour: old interactions age out of the 24-hour window and the grid follows readers.",
    "carnivore/hour", "%Y-%m-%dT%H:00Z",
)

monthly_partition_job = dg.define_asset_job(
    "monthly_partition_job",
    selection=dg.AssetSelection.assets("content_engagement_partitions"),
    description="Make content_engagement's partitions for this month and the next three.",
    tags=RETRIED,
)
monthly_partition_schedule = _stamped_schedule(
    "monthly_partition_schedule", monthly_partition_job, "0 0 1 * *",
    "The first of each month, 00:00 UTC: partitions for the months ahead.",
    "carnivore/month", "%Y-%m",
)
