from datetime import date

import dagster as dg

from carnivore_orchestration.alerts.outbox import queue_digest
from carnivore_orchestration.defs.partitions import weekly_partitions
from carnivore_orchestration.homepage.digest import NotImported, build_digest, markdown
from carnivore_orchestration.homepage.grid import homepage_items, markdown_table, rebuild_grid, refresh_homepage
from carnivore_orchestration.homepage.picture import markdown_image
from carnivore_orchestration.resources import AlertsResource, PostgresResource


@dg.asset(deps=["trending_topics", "top_videos", "creators"], group_name="homepage")
def bento_grid_items(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """The current grid: the latest imported week's topics and videos ranked together.
    Position 1 is the hero, 2-5 featured, 6 and on standard."""
    with postgres.step_connection(context.retry_number, autocommit=True) as conn:
        changes = rebuild_grid(conn)
    rows = [(item.position, item.content_type, item.title, item.rank_score) for item in changes.grid]
    return dg.MaterializeResult(metadata={**changes.as_metadata(), "grid": dg.MetadataValue.md(markdown_table(rows))})


@dg.asset(deps=[bento_grid_items], group_name="homepage")
def homepage_grid(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """The materialized view the website reads, refreshed CONCURRENTLY so readers never
    wait; its `picture` is the page as the website lays it out."""
    with postgres.step_connection(context.retry_number, autocommit=True) as conn:
        rows, refresh_ms = refresh_homepage(conn)
        items = homepage_items(conn)
        week = conn.execute("SELECT max(week) FROM analyzed_content_weeks").fetchone()[0]
    rows_shown = [(i["grid_position"], i["content_type"], i["content_title"], i["engagement_score"]) for i in items]
    caption = f"Carnivore Weekly homepage, week of {week}" if week else "Carnivore Weekly homepage"
    return dg.MaterializeResult(
        metadata={"rows": rows, "refresh_ms": round(refresh_ms, 1),
                  "picture": dg.MetadataValue.md(markdown_image(items, caption)),
                  "homepage": dg.MetadataValue.md(markdown_table(rows_shown))}
    )


@dg.asset(partitions_def=weekly_partitions, deps=[homepage_grid], group_name="homepage")
def weekly_digest(context: dg.AssetExecutionContext, postgres: PostgresResource,
                  alerts: AlertsResource) -> dg.MaterializeResult:
    """What changed this week, for editors: new topics, jumps over 20 %, topics that fell
    off, the hero, the biggest moves in the grid, the creators mentioned most. Shown here
    as Markdown, and sent once per week to the editors' endpoints through the alert
    outbox; a backfilled week's digest is made for the UI and pages nobody."""
    week = date.fromisoformat(context.partition_key)
    with postgres.step_connection(context.retry_number, autocommit=True) as conn:
        try:
            digest = build_digest(conn, week)
        except NotImported as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        queued = queue_digest(conn, week, digest.payload(), alerts.settings().destinations_for("editors"))
        newest = conn.execute("SELECT max(week) FROM analyzed_content_weeks").fetchone()[0]
    if queued:
        sent = f"queued for the editors ({len(queued)} endpoint queue{'s' if len(queued) > 1 else ''})"
    else:
        sent = "not sent: a backfilled week pages nobody" if week < newest else "already sent for this week"
    return dg.MaterializeResult(metadata={
        "digest": dg.MetadataValue.md(markdown(digest)), "summary": digest.summary(), "sent": sent,
        "new_topics": len(digest.new_topics), "jumps": len(digest.jumps), "fell_off": len(digest.fell_off),
        "hero": digest.hero.title if digest.hero else None, "hero_changed": digest.hero_changed,
    })
