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
