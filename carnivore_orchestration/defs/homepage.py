import dagster as dg

from carnivore_orchestration.homepage.grid import homepage_items, markdown_table, rebuild_grid, refresh_homepage
from carnivore_orchestration.resources import PostgresResource


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
    """The materialized view the website reads, refreshed CONCURRENTLY so readers never wait."""
    with postgres.step_connection(context.retry_number, autocommit=True) as conn:
        rows, refresh_ms = refresh_homepage(conn)
        items = homepage_items(conn)
    rows_shown = [(i["grid_position"], i["content_type"], i["content_title"], i["engagement_score"]) for i in items]
    return dg.MaterializeResult(
        metadata={"rows": rows, "refresh_ms": round(refresh_ms, 1),
                  "homepage": dg.MetadataValue.md(markdown_table(rows_shown))}
    )
