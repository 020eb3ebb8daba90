import dagster as dg

from carnivore_orchestration.defs.database import database_checks_job

WEEKLY_IMPORT_ASSETS = ["analyzed_content", "trending_topics", "top_videos", "creators", "bento_grid_items",
                        "homepage_grid", "weekly_digest"]

# Jobs that write the grid run one at a time (dagster.yaml limits this tag to 1). How
# runs are retried is the instance's (dagster.yaml's run_retries), the same for every
# run however it was launched, and steps retry their own transient database errors.
GRID_WRITER = {"carnivore/writes": "grid"}


def automation_on() -> bool:
    """Schedules and sensors start running unless CARNIVORE_AUTOMATION is off (staging).
    Read when the definitions load, since a default status is part of a definition."""
    value = dg.EnvVar("CARNIVORE_AUTOMATION").get_value("on") or "on"
    return value.strip().lower() not in {"off", "0", "false", "no"}


weekly_import_job = dg.define_asset_job(
    "weekly_import_job",
    selection=dg.AssetSelection.assets(*WEEKLY_IMPORT_ASSETS),
    description="Import one week's analyzed_content.json, rebuild the homepage grid and make the week's editor digest.",
    tags=GRID_WRITER,
)

hourly_rerank_job = dg.define_asset_job(
    "hourly_rerank_job",
    selection=dg.AssetSelection.assets("bento_grid_items", "homepage_grid"),
    description="Re-score the grid from the last 24 hours of engagement, re-rank it and refresh homepage_grid.",
    tags=GRID_WRITER,
)

maintenance_job = dg.define_asset_job(
    "maintenance_job",
    selection=dg.AssetSelection.groups("maintenance"),
    description="content_engagement's partitions for this month and the next three; expired scoring buckets dropped.",
)


def _weekly_import(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    monday = context.scheduled_execution_time.date().isoformat()
    return dg.RunRequest(partition_key=monday, tags={"carnivore/week": monday})


def _stamped(tag: str, stamp: str):
    """Tag each run of an unpartitioned job with its slot, so runs are easy to find."""

    def request(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return dg.RunRequest(tags={tag: context.scheduled_execution_time.strftime(stamp)})

    return request


def build_schedules(running: bool) -> list[dg.ScheduleDefinition]:
    status = dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED
    specs = [
        ("weekly_import_schedule", weekly_import_job, "0 10 * * 1", _weekly_import,
         "Mondays 10:00 UTC: import the week that starts that Monday."),
        ("hourly_rerank_schedule", hourly_rerank_job, "0 * * * *", _stamped("carnivore/hour", "%Y-%m-%dT%H:00Z"),
         "Every hour: old interactions age out of the 24-hour window and the grid follows readers."),
        ("daily_maintenance_schedule", maintenance_job, "0 0 * * *", _stamped("carnivore/day", "%Y-%m-%d"),
         "Every day, 00:00 UTC: partitions for the months ahead (made once, checked daily), old buckets dropped."),
        ("daily_database_checks_schedule", database_checks_job, "0 6 * * *", _stamped("carnivore/day", "%Y-%m-%d"),
         "Every day, 06:00 UTC: `carnivore db check` as asset checks on `database`; a failure pages on-call."),
    ]
    return [
        dg.schedule(name=name, job=job, cron_schedule=cron, execution_timezone="UTC", default_status=status,
                    description=description)(fn)
        for name, job, cron, fn, description in specs
    ]


@dg.definitions
def schedules() -> dg.Definitions:
    return dg.Definitions(jobs=[weekly_import_job, hourly_rerank_job, maintenance_job, database_checks_job],
                          schedules=build_schedules(automation_on()))
