import os

import dagster as dg

WEEKLY_IMPORT_ASSETS = ["analyzed_content", "trending_topics", "top_videos", "creators", "bento_grid_items",
                        "homepage_grid"]


def automation_status() -> dg.DefaultScheduleStatus:
    """Schedules run by default; CARNIVORE_AUTOMATION=off turns them off (staging)."""
    off = os.environ.get("CARNIVORE_AUTOMATION", "on").strip().lower() in {"off", "0", "false", "no"}
    return dg.DefaultScheduleStatus.STOPPED if off else dg.DefaultScheduleStatus.RUNNING


weekly_import_job = dg.define_asset_job(
    "weekly_import_job",
    selection=dg.AssetSelection.assets(*WEEKLY_IMPORT_ASSETS),
    description="Import one week's analyzed_content.json and rebuild the homepage grid.",
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


hourly_rerank_job = dg.define_asset_job(
    "hourly_rerank_job",
    selection=dg.AssetSelection.assets("bento_grid_items", "homepage_grid"),
    description="Re-score the grid from the last 24 hours of engagement, re-rank it and refresh homepage_grid.",
)


@dg.schedule(
    job=hourly_rerank_job,
    cron_schedule="0 * * * *",
    execution_timezone="UTC",
    default_status=automation_status(),
    description="Every hour: old interactions age out of the 24-hour window and the grid follows readers.",
)
def hourly_rerank_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(tags={"carnivore/hour": context.scheduled_execution_time.strftime("%Y-%m-%dT%H:00Z")})


monthly_partition_job = dg.define_asset_job(
    "monthly_partition_job",
    selection=dg.AssetSelection.assets("content_engagement_partitions"),
    description="Make content_engagement's partitions for this month and the next three.",
)


@dg.schedule(
    job=monthly_partition_job,
    cron_schedule="0 0 1 * *",
    execution_timezone="UTC",
    default_status=automation_status(),
    description="The first of each month, 00:00 UTC: partitions for the months ahead.",
)
def monthly_partition_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(tags={"carnivore/month": context.scheduled_execution_time.strftime("%Y-%m")})
