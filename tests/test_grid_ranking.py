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
