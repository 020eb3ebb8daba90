"""The current grid: the latest week's topics and videos, ranked and written whole."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import psycopg

from carnivore_orchestration.content.store import WRITE_LOCK
from carnivore_orchestration.homepage.ranking import GRID_SIZE, slot
from carnivore_orchestration.summaries import MetadataSummary, detail


@dataclass(frozen=True)
class GridItem:
    position: int
    content_type: str
    content_id: int
    title: str
    rank_score: float


@dataclass(frozen=True)
class GridChanges(MetadataSummary):
    week: str | None  # the imported week the grid shows (ISO date)
    items: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    rows_removed: int
    items_moved: int
    hero: str | None
    hero_changed: bool
    grid: list[GridItem] = detail()


# Active content seen in the latest imported week, with its weekly score lifted by
# readers' last 24 hours, ranked and cut to the grid's size in the same statement. Ties
# go to topics over videos, then by title (case-insensitive, byte order so that every
# server agrees), then by id: the order never depends on the order rows come in. Then the
# grid becomes exactly that: rows no longer ranked are deleted, the others upserted only
# where something changed.
_REBUILD = """
WITH current_content AS (
    SELECT 'trending_topic'::text AS content_type, id AS content_id, topic_name AS title,
           engagement_score::numeric AS weekly, full_data || jsonb_build_object('slug', topic_slug) AS data
      FROM trending_topics WHERE is_active AND last_seen_week = %(week)s
    UNION ALL
    SELECT 'top_video', id, title, score, full_data
      FROM top_videos WHERE is_active AND last_seen_week = %(week)s
),
-- Only these can make the grid. Engagement only ever lifts a score (rank_score() is
-- at least the weekly score), so content nobody has engaged with (no row in
-- engagement_totals, where every event leaves one) ranks by its weekly score alone,
-- behind at least the grid's size of items ahead of it on that score: the big week's
-- 23,000 candidates become some hundred.
candidates AS (
    SELECT c.* FROM current_content AS c
     WHERE EXISTS (SELECT FROM private.engagement_totals AS t
                    WHERE t.content_type = c.content_type AND t.content_id = c.content_id)
        OR (c.content_type, c.content_id) IN (
               SELECT w.content_type, w.content_id FROM current_content AS w
                ORDER BY w.weekly DESC, CASE w.content_type WHEN 'trending_topic' THEN 0 ELSE 1 END,
                         lower(w.title) COLLATE "C", w.content_id
                LIMIT %(size)s)
),
engaged AS (
    SELECT * FROM private.item_engagement((SELECT array_agg(content_type) FROM candidates),
                                          (SELECT array_agg(content_id) FROM candidates))
),
ranked AS (
    SELECT c.*, e.engagement_score AS engaged, e.views, e.shares, e.bookmarks, e.positive_sentiment_percent,
           private.rank_score(c.weekly, e.engagement_score) AS rank_score,
           row_number() OVER (ORDER BY private.rank_score(c.weekly, e.engagement_score) DESC,
                                       CASE c.content_type WHEN 'trending_topic' THEN 0 ELSE 1 END,
                                       lower(c.title) COLLATE "C", c.content_id) AS grid_position
      FROM candidates AS c
      LEFT JOIN engaged AS e ON e.content_type = c.content_type AND e.content_id = c.content_id
     ORDER BY grid_position
     LIMIT %(size)s
),
removed AS (
    DELETE FROM bento_grid_items AS g
     WHERE NOT EXISTS (SELECT FROM ranked AS r WHERE r.content_type = g.content_type AND r.content_id = g.content_id)
    RETURNING 1
),
written AS (
    INSERT INTO bento_grid_items AS g (content_type, content_id, content_title, grid_position, weekly_score,
        engagement_score, rank_score, view_count, share_count, bookmark_count, positive_sentiment_percent, data)
    SELECT r.content_type, r.content_id, left(r.title, 500), r.grid_position, r.weekly,
           coalesce(r.engaged, r.weekly), r.rank_score, coalesce(r.views, 0), coalesce(r.shares, 0),
           coalesce(r.bookmarks, 0), coalesce(r.positive_sentiment_percent, 50), r.data
      FROM ranked AS r
    ON CONFLICT (content_type, content_id) DO UPDATE SET
        content_title = EXCLUDED.content_title, grid_position = EXCLUDED.grid_position,
        weekly_score = EXCLUDED.weekly_score, engagement_score = EXCLUDED.engagement_score,
        rank_score = EXCLUDED.rank_score, view_count = EXCLUDED.view_count,
        share_count = EXCLUDED.share_count, bookmark_count = EXCLUDED.bookmark_count,
        positive_sentiment_percent = EXCLUDED.positive_sentiment_percent, data = EXCLUDED.data
    WHERE (g.content_title, g.grid_position, g.weekly_score, g.engagement_score, g.rank_score, g.view_count,
           g.share_count, g.bookmark_count, g.positive_sentiment_percent, g.data)
          IS DISTINCT FROM (EXCLUDED.content_title, EXCLUDED.grid_position, EXCLUDED.weekly_score,
           EXCLUDED.engagement_score, EXCLUDED.rank_score, EXCLUDED.view_count, EXCLUDED.share_count,
           EXCLUDED.bookmark_count, EXCLUDED.positive_sentiment_percent, EXCLUDED.data)
    RETURNING xmax = 0 AS inserted
)
SELECT (SELECT count(*) FROM removed), count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
  FROM written
"""


def rebuild_grid(conn: psycopg.Connection) -> GridChanges:
    """Rank the current content and make bento_grid_items exactly that, in one
    transaction; rows that already match are left untouched. This is both the weekly
    import's grid step and the hourly re-rank. Backfilling an older week never changes
    the grid: only the latest imported week's content is current."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
        # Lock the grid in id order, as the engagement trigger does: no deadlocks.
        previous = {
            (content_type, content_id): position
            for content_type, content_id, position in conn.execute(
                "SELECT content_type, content_id, grid_position FROM bento_grid_items ORDER BY id FOR UPDATE"
            )
        }
        week = conn.execute("SELECT max(week) FROM analyzed_content_weeks").fetchone()[0]
        removed, inserted, updated = conn.execute(_REBUILD, {"week": week, "size": GRID_SIZE}).fetchone()
        grid = [GridItem(*row) for row in conn.execute(
            "SELECT grid_position, content_type, content_id, content_title, rank_score::float8"
            " FROM bento_grid_items ORDER BY grid_position"
        )]
    moved = sum(1 for item in grid if previous.get((item.content_type, item.content_id), item.position)
                != item.position)
    previous_hero = next((key for key, position in previous.items() if position == 1), None)
    hero = grid[0] if grid else None
    return GridChanges(
        week=week.isoformat() if week else None, items=len(grid), rows_inserted=inserted, rows_updated=updated,
        rows_unchanged=len(grid) - inserted - updated, rows_removed=removed, items_moved=moved,
        hero=hero.title if hero else None,
        hero_changed=(hero.content_type, hero.content_id) != previous_hero if hero else previous_hero is not None,
        grid=grid,
    )


def refresh_homepage(conn: psycopg.Connection) -> tuple[int, float]:
    """REFRESH ... CONCURRENTLY: readers of homepage_grid are never blocked. Returns the
    view's row count and the refresh time in milliseconds."""
    started = time.perf_counter()
    conn.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY private.homepage_grid")
    elapsed = (time.perf_counter() - started) * 1000
    return conn.execute("SELECT count(*) FROM homepage_grid").fetchone()[0], elapsed


HOMEPAGE_COLUMNS = ["grid_position", "content_type", "content_id", "content_title", "engagement_score", "rank_score"]


def homepage_items(conn: psycopg.Connection) -> list[dict]:
    """What the website reads, in order."""
    cursor = conn.execute(
        "SELECT grid_position, content_type, content_id, content_title, engagement_score::float8, rank_score::float8"
        " FROM homepage_grid ORDER BY grid_position"
    )
    return [dict(zip(HOMEPAGE_COLUMNS, row, strict=True)) for row in cursor]


def markdown_table(rows: list[tuple[int, str, str, float]], limit: int = 12) -> str:
    """(position, content type, title, score) rows as the homepage shows them, for
    Dagster's Markdown metadata preview."""
    lines = ["| # | slot | type | title | score |", "|---|---|---|---|---|"]
    for position, content_type, title, score in rows[:limit]:
        escaped = title.replace("|", "\\|")
        lines.append(f"| {position} | {slot(position)} | {content_type} | {escaped} | {score:.2f} |")
    if len(rows) > limit:
        lines.append(f"| … | | | {len(rows) - limit} more | |")
    return "\n".join(lines)


def personalized_items(conn: psycopg.Connection, user_id: str, limit: int = 7) -> list[dict]:
    """get_personalized_grid() called as that reader would call it through PostgREST:
    as `authenticated`, with their id in the JWT claims, so row-level security applies."""
    claims = json.dumps({"sub": str(user_id), "role": "authenticated"})
    with conn.transaction(force_rollback=True):
        conn.execute("SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
                     [claims])
        cursor = conn.execute(
            "SELECT grid_position, content_type, content_id, content_title, engagement_score::float8,"
            " personalized_score::float8, personalization_boost FROM get_personalized_grid(%s, %s)",
            [user_id, limit],
        )
        columns = HOMEPAGE_COLUMNS[:-1] + ["personalized_score", "personalization_boost"]
        return [dict(zip(columns, row, strict=True)) for row in cursor]
