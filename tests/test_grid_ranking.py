"""The grid's ranking, done by one SQL statement: order, ties, size, and independence
from the order rows arrive in."""

import json
from datetime import date

import pytest

from carnivore_orchestration.content.loading import load_week
from carnivore_orchestration.content.store import write_week
from carnivore_orchestration.homepage.grid import rebuild_grid
from carnivore_orchestration.homepage.ranking import GRID_SIZE

WEEK = date(2026, 11, 16)


def _write(db, tmp_path, topics, videos=()):
    path = tmp_path / f"{WEEK}.json"
    path.write_text(json.dumps({"analysis_date": str(WEEK), "analysis": {
        "trending_topics": [{"topic": name, "engagement_score": score} for name, score in topics],
        "top_videos": [{"video_id": vid, "title": title, "views": 1000} for vid, title in videos],
    }}))
    write_week(db, WEEK, load_week(path, WEEK))


def _order(db):
    return [(t, title) for t, title in db.execute(
        "SELECT content_type, content_title FROM bento_grid_items ORDER BY grid_position")]


TOPICS = [("lion diet", 80), ("Budget Carnivore", 80), ("beef tallow", 80), ("Organ Meats", 12)]
VIDEOS = [("v1", "Ribeye vs. Strip"), ("v2", "OMAD")]
EXPECTED = [
    ("top_video", "OMAD"),                  # best score
    ("trending_topic", "beef tallow"),      # ties at 80: topics first, then title regardless of case
    ("trending_topic", "Budget Carnivore"),
    ("trending_topic", "lion diet"),
    ("top_video", "Ribeye vs. Strip"),      # 80 too, but a video
    ("trending_topic", "Organ Meats"),
]


def _scores(db):
    db.execute("UPDATE top_videos SET score = CASE video_id WHEN 'v1' THEN 80 ELSE 95.5 END")


def test_best_score_first_and_ties_broken_the_same_way_every_time(db, tmp_path):
    _write(db, tmp_path, TOPICS, VIDEOS)
    _scores(db)
    changes = rebuild_grid(db)
    assert _order(db) == EXPECTED
    assert [item.position for item in changes.grid] == [1, 2, 3, 4, 5, 6]
    assert (changes.items, changes.rows_inserted, changes.hero) == (6, 6, "OMAD")


@pytest.mark.parametrize("reverse", [False, True])
def test_the_order_rows_arrive_in_does_not_matter(db, tmp_path, reverse):
    topics = list(reversed(TOPICS)) if reverse else TOPICS
    videos = list(reversed(VIDEOS)) if reverse else VIDEOS
    _write(db, tmp_path, topics, videos)
    _scores(db)
    rebuild_grid(db)
    assert _order(db) == EXPECTED


def test_the_grid_holds_at_most_its_size_and_its_best(db, tmp_path):
    _write(db, tmp_path, [(f"Topic {i:03d}", i % 100) for i in range(250)])
    changes = rebuild_grid(db)
    scores = [row[0] for row in db.execute("SELECT weekly_score FROM bento_grid_items ORDER BY grid_position")]
    assert changes.items == len(scores) == GRID_SIZE
    # Scores 50-99 appear twice each among the 250: exactly the top 100.
    assert scores == sorted(scores, reverse=True) and min(scores) == 50


def test_content_far_down_the_weekly_ranking_still_reaches_the_grid_when_readers_lift_it(db, tmp_path):
    """The grid ranks only the grid's size of items by weekly score plus everything with
    engagement; this shows the shortcut gives what ranking all of the week would."""
    topics = [(f"Topic {i:03d}", 50 - i % 50) for i in range(250)]
    _write(db, tmp_path, topics, [(f"v{i}", f"Video {i}") for i in range(50)])
    lifted = db.execute("SELECT id FROM trending_topics WHERE topic_name = 'Topic 049'").fetchone()[0]  # score 1
    db.execute("INSERT INTO content_engagement (content_type, content_id, interaction_type, sentiment)"
               " SELECT 'trending_topic', %s, 'share', 'positive' FROM generate_series(1, 400)", [lifted])
    rebuild_grid(db)
    ranked_in_full = db.execute(
        "SELECT c.content_type, c.content_id FROM ("
        "  SELECT 'trending_topic' AS content_type, id AS content_id, topic_name AS title,"
        "         engagement_score::numeric AS weekly FROM trending_topics"
        "  UNION ALL SELECT 'top_video', id, title, score FROM top_videos) AS c"
        " LEFT JOIN private.item_engagement((SELECT array_agg(content_type) FROM (SELECT 'trending_topic'::text"
        "   AS content_type FROM trending_topics UNION ALL SELECT 'top_video' FROM top_videos) AS t),"
        "   (SELECT array_agg(id) FROM (SELECT id FROM trending_topics UNION ALL SELECT id FROM top_videos) AS i)"
        " ) AS e USING (content_type, content_id)"
        " ORDER BY private.rank_score(c.weekly, e.engagement_score) DESC,"
        "          CASE c.content_type WHEN 'trending_topic' THEN 0 ELSE 1 END, lower(c.title) COLLATE \"C\","
        "          c.content_id LIMIT %s", [GRID_SIZE]).fetchall()
    grid = db.execute("SELECT content_type, content_id FROM bento_grid_items ORDER BY grid_position").fetchall()
    assert len(ranked_in_full) == GRID_SIZE  # of 300 items this week
    assert grid == ranked_in_full
    assert ("trending_topic", lifted) in grid  # 1 by itself: 299 items ahead of it
