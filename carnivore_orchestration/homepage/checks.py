"""The invariants of the grid and of an imported week, as queries that can fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import psycopg

from carnivore_orchestration.content.loading import WeekContent


@dataclass(frozen=True)
class Outcome:
    passed: bool
    description: str
    metadata: dict = field(default_factory=dict)


def grid_scores_in_range(conn: psycopg.Connection) -> Outcome:
    bad = conn.execute(
        "SELECT count(*) FROM bento_grid_items WHERE engagement_score NOT BETWEEN 0 AND 100"
        " OR positive_sentiment_percent NOT BETWEEN 0 AND 100"
    ).fetchone()[0]
    return Outcome(bad == 0, f"{bad} grid item(s) with a score outside 0-100", {"out_of_range": bad})


def grid_positions_contiguous(conn: psycopg.Connection) -> Outcome:
    items, distinct, lowest, highest, heroes = conn.execute(
        "SELECT count(*), count(DISTINCT grid_position), min(grid_position), max(grid_position),"
        "       count(*) FILTER (WHERE grid_position = 1)"
        " FROM bento_grid_items"
    ).fetchone()
    passed = items == 0 or (distinct == items and lowest == 1 and highest == items and heroes == 1)
    description = (
        f"{items} items at positions {lowest}..{highest}, {distinct} distinct, {heroes} hero(es)"
        if items else "the grid is empty"
    )
    return Outcome(passed, description, {"items": items, "distinct_positions": distinct, "heroes": heroes})


def grid_content_unique(conn: psycopg.Connection) -> Outcome:
    duplicates = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM bento_grid_items GROUP BY content_type, content_id"
        " HAVING count(*) > 1) AS d"
    ).fetchone()[0]
    return Outcome(duplicates == 0, f"{duplicates} piece(s) of content appear more than once",
                   {"duplicated": duplicates})


# Rows in one and not the other, both ways, over the columns the website reads.
_HOMEPAGE_DIFF = """
WITH shown AS (SELECT id, content_type, content_id, content_title, grid_position, engagement_score, rank_score, data
                 FROM homepage_grid),
     ranked AS (SELECT id, content_type, content_id, content_title, grid_position, engagement_score, rank_score, data
                  FROM bento_grid_items WHERE grid_position <= 7)
SELECT count(*) FROM ((TABLE shown EXCEPT TABLE ranked) UNION ALL (TABLE ranked EXCEPT TABLE shown)) AS diff
"""


def homepage_matches_grid(conn: psycopg.Connection) -> Outcome:
    differing = conn.execute(_HOMEPAGE_DIFF).fetchone()[0]
    return Outcome(differing == 0, f"{differing} row(s) differ between homepage_grid and bento_grid_items",
                   {"differing_rows": differing})


def week_matches_file(conn: psycopg.Connection, week: date, content: WeekContent) -> Outcome:
    """The week's history holds exactly the file's topics and videos, with its scores."""
    topics = set(conn.execute(
        "SELECT t.topic_slug, h.engagement_score FROM trending_topic_weeks AS h"
        " JOIN trending_topics AS t ON t.id = h.topic_id WHERE h.week = %s", [week]
    ).fetchall())
    videos = set(conn.execute(
        "SELECT v.video_id, h.views FROM top_video_weeks AS h"
        " JOIN top_videos AS v ON v.id = h.video_pk WHERE h.week = %s", [week]
    ).fetchall())
    expected_topics = {(t.slug, t.engagement_score) for t in content.topics}
    expected_videos = {(v.video_id, v.views) for v in content.videos}
    missing = len(expected_topics - topics) + len(expected_videos - videos)
    extra = len(topics - expected_topics) + len(videos - expected_videos)
    return Outcome(
        missing == 0 and extra == 0,
        f"{len(topics)} topics and {len(videos)} videos stored for {week}; {missing} missing, {extra} unexpected",
        {"missing": missing, "unexpected": extra},
    )
