"""The current grid: the latest week's topics and videos, ranked and written whole."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date

import psycopg

from carnivore_orchestration.content.store import WRITE_LOCK
from carnivore_orchestration.homepage.ranking import Candidate, Placed, rank, slot


@dataclass(frozen=True)
class GridChanges:
    week: date | None
    placed: list[Placed]
    inserted: int
    updated: int
    removed: int
    moved: int
    hero: str | None
    hero_changed: bool

    @property
    def unchanged(self) -> int:
        return len(self.placed) - self.inserted - self.updated


# The current content with its weekly score, as (content_type, content_id, title, weekly).
_CURRENT = """
    SELECT 'trending_topic'::text AS content_type, id AS content_id, topic_name AS title,
           engagement_score::numeric AS weekly, full_data || jsonb_build_object('slug', topic_slug) AS data
      FROM trending_topics WHERE is_active AND last_seen_week = %(week)s
    UNION ALL
    SELECT 'top_video', id, title, score, full_data
      FROM top_videos WHERE is_active AND last_seen_week = %(week)s
"""

_CANDIDATES = (
    f"WITH c AS ({_CURRENT})"
    " SELECT c.content_type, c.content_id, c.title, private.rank_score(c.weekly, e.engagement_score)::float8"
    " FROM c LEFT JOIN private.item_engagement((SELECT array_agg(content_type) FROM c),"
    "                                          (SELECT array_agg(content_id) FROM c)) AS e"
    "   ON e.content_type = c.content_type AND e.content_id = c.content_id"
)

_WRITE_GRID = (
    f"WITH c AS ({_CURRENT}),"
    " e AS (SELECT * FROM private.item_engagement((SELECT array_agg(content_type) FROM grid_stage),"
    "                                             (SELECT array_agg(content_id) FROM grid_stage)))"
    " INSERT INTO bento_grid_items AS g (content_type, content_id, content_title, grid_position, weekly_score,"
    "     engagement_score, rank_score, view_count, share_count, bookmark_count, positive_sentiment_percent,"
    "     data)"
    " SELECT s.content_type, s.content_id, s.content_title, s.grid_position, c.weekly,"
    "        coalesce(e.engagement_score, c.weekly), private.rank_score(c.weekly, e.engagement_score),"
    "        coalesce(e.views, 0), coalesce(e.shares, 0), coalesce(e.bookmarks, 0),"
    "        coalesce(e.positive_sentiment_percent, 50), c.data"
    " FROM grid_stage AS s"
    " JOIN c ON c.content_type = s.content_type AND c.content_id = s.content_id"
    " LEFT JOIN e ON e.content_type = s.content_type AND e.content_id = s.content_id"
    " ON CONFLICT (content_type, content_id) DO UPDATE SET"
    "   content_title = EXCLUDED.content_title, grid_position = EXCLUDED.grid_position,"
    "   weekly_score = EXCLUDED.weekly_score, engagement_score = EXCLUDED.engagement_score,"
    "   rank_score = EXCLUDED.rank_score, view_count = EXCLUDED.view_count,"
    "   share_count = EXCLUDED.share_count, bookmark_count = EXCLUDED.bookmark_count,"
    "   positive_sentiment_percent = EXCLUDED.positive_sentiment_percent, data = EXCLUDED.data"
    " WHERE (g.content_title, g.grid_position, g.weekly_score, g.engagement_score, g.rank_score, g.view_count,"
    "        g.share_count, g.bookmark_count, g.positive_sentiment_percent, g.data)"
    "       IS DISTINCT FROM (EXCLUDED.content_title, EXCLUDED.grid_position, EXCLUDED.weekly_score,"
    "        EXCLUDED.engagement_score, EXCLUDED.rank_score, EXCLUDED.view_count, EXCLUDED.share_count,"
    "        EXCLUDED.bookmark_count, EXCLUDED.positive_sentiment_percent, EXCLUDED.data)"
    " RETURNING xmax = 0"
)


def current_candidates(conn: psycopg.Connection) -> tuple[date | None, list[Candidate]]:
    """Active content seen in the latest imported week, scored by the weekly score lifted
    by readers' last 24 hours. Backfilling an older week therefore never changes the
    homepage. Only what ranking needs comes back: the JSON of the few items that make
    the grid is joined in by the database when the grid is written."""
    week = conn.execute("SELECT max(week) FROM analyzed_content_weeks").fetchone()[0]
    rows = conn.execute(_CANDIDATES, {"week": week}).fetchall()
    return week, [Candidate(*row) for row in rows]


def rebuild_grid(conn: psycopg.Connection) -> GridChanges:
    """Rank the current content and make bento_grid_items exactly that, in one
    transaction; rows that already match are left untouched. This is both the weekly
    import's grid step and the hourly re-rank."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
        # Lock the grid in id order, as the engagement trigger does: no deadlocks.
        previous = {
            (content_type, content_id): (position, title)
            for content_type, content_id, position, title in conn.execute(
                "SELECT content_type, content_id, grid_position, content_title FROM bento_grid_items"
                " ORDER BY id FOR UPDATE"
            )
        }
        previous_hero = next((key for key, (position, _) in previous.items() if position == 1), None)
        week, candidates = current_candidates(conn)
        placed = rank(candidates)
        conn.execute(
            "CREATE TEMP TABLE grid_stage ON COMMIT DROP AS"
            " SELECT content_type, content_id, content_title, grid_position FROM bento_grid_items WITH NO DATA"
        )
        with conn.cursor().copy("COPY grid_stage FROM STDIN") as copy:
            for p in placed:
                c = p.candidate
                copy.write_row((c.content_type, c.content_id, c.title[:500], p.position))
        removed = conn.execute(
            "DELETE FROM bento_grid_items AS g WHERE NOT EXISTS"
            " (SELECT FROM grid_stage AS s WHERE s.content_type = g.content_type AND s.content_id = g.content_id)"
        ).rowcount
        written = conn.execute(_WRITE_GRID, {"week": week}).fetchall()
        # Buckets older than the 7-day window (plus its edge hour) are no longer read.
        conn.execute("DELETE FROM private.engagement_buckets WHERE bucket_start < now() - interval '8 days'")
    inserted = sum(1 for (is_new,) in written if is_new)
    moved = sum(
        1 for p in placed
        if (key := (p.candidate.content_type, p.candidate.content_id)) in previous and previous[key][0] != p.position
    )
    hero = placed[0].candidate if placed else None
    hero_key = (hero.content_type, hero.content_id) if hero else None
    return GridChanges(week, placed, inserted, len(written) - inserted, removed, moved,
                       hero.title if hero else None, hero_key != previous_hero)


def refresh_homepage(conn: psycopg.Connection) -> tuple[int, float]:
    """REFRESH ... CONCURRENTLY: readers of homepage_grid are never blocked. Returns the
    view's row count and the refresh time in milliseconds."""
    started = time.perf_counter()
    conn.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY homepage_grid")
    elapsed = (time.perf_counter() - started) * 1000
    return conn.execute("SELECT count(*) FROM homepage_grid").fetchone()[0], elapsed


HOMEPAGE_COLUMNS = ["grid_position", "content_type", "content_id", "content_title", "engagement_score", "rank_score"]


def homepage_items(conn: psycopg.Connection) -> list[dict]:
    """What the website reads, in order."""
    cursor = conn.execute(
        "SELECT grid_position, content_type, content_id, content_title, engagement_score::float8, rank_score::float8"
        " FROM homepage_grid ORDER BY grid_position"
    )
    return [dict(zip(HOMEPAGE_COLUMNS, row)) for row in cursor]


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


def placed_rows(placed: list[Placed]) -> list[tuple[int, str, str, float]]:
    return [(p.position, p.candidate.content_type, p.candidate.title, p.candidate.score) for p in placed]


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
        return [dict(zip(columns, row)) for row in cursor]
