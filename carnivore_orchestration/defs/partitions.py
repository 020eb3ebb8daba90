import dagster as dg

from carnivore_orchestration.content.weeks import FIRST_WEEK

# One partition per week, keyed by its Monday (UTC), which is also the file's name.
# end_offset=1: the current week's partition exists from Monday 00:00, so the Monday
# 10:00 schedule can import the week that has just been published.
weekly_partitions = dg.WeeklyPartitionsDefinition(
    start_date=FIRST_WEEK.isoformat(), day_offset=1, end_offset=1, timezone="UTC", fmt="%Y-%m-%d"
)
