"""The current grid: the latest week's topics and videos, ranked and written whole."""

from __future__ import annotations

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

    @property
    def unchanged(self) -> int:
        return len(self.placed) - self.inserted - self.updated


def current_candidates(conn: psycopg.Connection) -> tuple[date | None, list[Candidate]]:
    """Active content seen in the latest imported week. Backfilling an older week
    therefore never changes the homepage."""
    week = conn.execute("SELECT max(week) FROM analyzed_content_weeks").fetchone()[0]
    # Only what ranking needs: the JSON of the few items that make the grid is joined
    # in by the database when the grid is written, not shipped here and back.
    rows = conn.execute(
        "SELECT 'trending_topic', id, topic_name, engagement_score::float8"
        "  FROM trending_topics WHERE is_active AND last_seen_week = %(week)s"
        " UNION ALL "
        "SELECT 'top_video', id, title, score::float8"
        "  FROM top_videos WHERE is_active AND last_seen_week = %(week)s",
        {"week": week},
    ).fetchall()
    return week, [Candidate(*row) for row in rows]


def rebuild_grid(conn: psycopg.Connection) -> GridChanges:
    """Rank the current content and make bento_grid_items exactly that, in one
    transaction; rows that already match are left untouched."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
        week, candidates = current_candidates(conn)
        placed = rank(candidates)
        conn.execute(
            "CREATE TEMP TABLE grid_stage ON COMMIT DROP AS"
            " SELECT content_type, content_id, content_title, grid_position, engagement_score"
            " FROM bento_grid_items WITH NO DATA"
        )
        with conn.cursor().copy("COPY grid_stage FROM STDIN") as copy:
            for p in placed:
                c = p.candidate
                copy.write_row((c.content_type, c.content_id, c.title[:500], p.position, c.score))
        removed = conn.execute(
            "DELETE FROM bento_grid_items AS g WHERE NOT EXISTS"
            " (SELECT FROM grid_stage AS s WHERE s.content_type = g.content_type AND s.content_id = g.content_id)"
        ).rowcount
        written = conn.execute(
            "INSERT INTO bento_grid_items (content_type, content_id, content_title, grid_position, engagement_score, data)"
            " SELECT s.*, coalesce(t.full_data || jsonb_build_object('slug', t.topic_slug), v.full_data)"
            " FROM grid_stage AS s"
            " LEFT JOIN trending_topics AS t ON s.content_type = 'trending_topic' AND t.id = s.content_id"
            " LEFT JOIN top_videos AS v ON s.content_type = 'top_video' AND v.id = s.content_id"
            " ON CONFLICT (content_type, content_id) DO UPDATE SET"
            "   content_title = EXCLUDED.content_title, grid_position = EXCLUDED.grid_position,"
            "   engagement_score = EXCLUDED.engagement_score, data = EXCLUDED.data"
            " WHERE (bento_grid_items.content_title, bento_grid_items.grid_position,"
            "        bento_grid_items.engagement_score, bento_grid_items.data)"
            "       IS DISTINCT FROM (EXCLUDED.content_title, EXCLUDED.grid_position,"
            "        EXCLUDED.engagement_score, EXCLUDED.data)"
            " RETURNING xmax = 0"
        ).fetchall()
        inserted = sum(1 for (is_new,) in written if is_new)
    return GridChanges(week, placed, inserted, len(written) - inserted, removed)


def refresh_homepage(conn: psycopg.Connection) -> tuple[int, float]:
    """REFRESH ... CONCURRENTLY: readers of homepage_grid are never blocked. Returns the
    view's row count and the refresh time in milliseconds."""
    started = time.perf_counter()
    conn.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY homepage_grid")
    elapsed = (time.perf_counter() - started) * 1000
    return conn.execute("SELECT count(*) FROM homepage_grid").fetchone()[0], elapsed


HOMEPAGE_COLUMNS = ["grid_position", "content_type", "content_id", "content_title", "engagement_score"]


def homepage_items(conn: psycopg.Connection) -> list[dict]:
    """What the website reads, in order."""
    cursor = conn.execute(
        "SELECT grid_position, content_type, content_id, content_title, engagement_score::float8"
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
