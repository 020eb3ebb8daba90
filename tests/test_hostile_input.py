"""Hostile names and text: stored and read back verbatim, or refused with a clear error;
and no SQL in the project built by formatting values into strings."""

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from content_cases import HOSTILE
from psycopg import sql

from carnivore_orchestration.content.loading import ContentError, load_week
from carnivore_orchestration.content.store import write_week
from carnivore_orchestration.engagement.loading import EngagementError, load_engagement
from carnivore_orchestration.settings import PACKAGE_DIR

WEEK = date(2026, 11, 16)


def _week_file(tmp_path, topics, description="desc"):
    document = {"analysis_date": "2026-11-16T10:00:00Z",
                "analysis": {"trending_topics": [{"topic": name, "description": description, "engagement_score": 50,
                                                  "mentioned_by": [name]} for name in topics],
                             "top_videos": [{"video_id": "v'1;--", "title": HOSTILE[3], "views": 1}]}}
    path = tmp_path / "2026-11-16.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    return path, document


def test_hostile_names_round_trip_verbatim(db, tmp_path):
    long_description = "x'; --" * 17_000  # about 100 KB of text
    path, document = _week_file(tmp_path, HOSTILE, long_description)
    write_week(db, WEEK, load_week(path, WEEK))
    stored = dict(db.execute("SELECT topic_name, full_data FROM trending_topics").fetchall())
    assert set(stored) == set(HOSTILE)
    for topic in document["analysis"]["trending_topics"]:
        assert stored[topic["topic"]] == topic  # the whole item, byte for byte
    assert db.execute("SELECT length(description) FROM trending_topics LIMIT 1").fetchone()[0] == len(long_description)
    creators = {row[0] for row in db.execute("SELECT creator_name FROM creators")}
    assert creators == set(HOSTILE)
    assert db.execute("SELECT title FROM top_videos WHERE video_id = %s", ["v'1;--"]).fetchone()[0] == HOSTILE[3]
    slugs = [row[0] for row in db.execute("SELECT topic_slug FROM trending_topics")]
    assert all(slug.replace("-", "").isalnum() and slug.isascii() for slug in slugs)
    assert db.execute("SELECT v.raw_content FROM analyzed_content_weeks AS w JOIN analyzed_content_versions AS v USING (week, sha256)"
                      ).fetchone()[0] == path.read_text()


def test_arrays_and_json_reach_the_tables_exactly(db, tmp_path):
    # The write formats arrays as PostgreSQL literals and JSON with orjson; what array
    # syntax means (commas, braces, quotes, backslashes, NULL, the empty string) and what
    # orjson cannot write (an integer beyond 64 bits) must arrive as plain values.
    tags = [*HOSTILE, "NULL", "", "{a,b}", '"', "\\", "  spaced  ", "ends with \\"]
    video = {"video_id": "v1", "title": "Tags", "views": 5, "tags": tags,
             "comment_sentiment": {"positive_percent": 60.5, "negative_percent": 10},
             "unknown": {"big": 10**30, "small": -(2**70), "float": 0.1, "text": HOSTILE[5]}}
    topic = {"topic": "Creators", "engagement_score": 50, "mentioned_by": HOSTILE}
    path = tmp_path / "2026-11-16.json"
    path.write_text(json.dumps({"analysis_date": "2026-11-16T10:00:00Z",
                                "analysis": {"trending_topics": [topic], "top_videos": [video]}}, ensure_ascii=False))
    write_week(db, WEEK, load_week(path, WEEK))
    for table in ("top_videos", "top_video_weeks"):
        query = sql.SQL("SELECT tags, comment_sentiment, full_data FROM {}").format(sql.Identifier(table))
        assert db.execute(query).fetchone() == (tags, video["comment_sentiment"], video)  # 10**30 read back exactly
    assert db.execute("SELECT creators_array, full_data FROM trending_topics").fetchone() == (HOSTILE, topic)


def test_a_100_kb_name_is_refused_clearly(tmp_path):
    path, _ = _week_file(tmp_path, ["Butter" * 17_000])
    with pytest.raises(ContentError, match=r"analysis\.trending_topics\[0\]\.topic: String should have at most 500"):
        load_week(path, WEEK)


def test_a_nul_character_is_refused_clearly(tmp_path):
    path, _ = _week_file(tmp_path, ["Nul \u0000 byte"])
    with pytest.raises(ContentError, match=r"analysis\.trending_topics\[0\]\.topic: contains a NUL character"):
        load_week(path, WEEK)


def test_hostile_engagement_metadata_round_trips_and_nul_is_refused(db, tmp_path):
    metadata = {"referrer": HOSTILE[0], "note": HOSTILE[5], "weird key '; --": HOSTILE[3], "big": 10**30}
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"content_type": "top_video", "content_id": 1, "interaction_type": "comment",
                                "metadata": metadata}, ensure_ascii=False))
    load_engagement(db, good)
    assert db.execute("SELECT metadata FROM content_engagement").fetchone()[0] == metadata
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"content_type": "top_video", "content_id": 1, "interaction_type": "view",
                               "metadata": {"note": "nul \u0000"}}))
    with pytest.raises(EngagementError, match="line 1: metadata: .*NUL character"):
        load_engagement(db, bad)


def _ruff_sql_findings(target: Path) -> list[str]:
    """ruff's S608 (SQL built from strings: f-strings, %, +, .format, in calls and in
    constants alike), run on `target` as CI runs ruff."""
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "--isolated", "--select", "S608", "--output-format", "concise",
                             "--no-cache", str(target)], capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stderr
    return [line for line in result.stdout.splitlines() if "S608" in line]


def test_no_sql_is_built_by_formatting_values_into_strings():
    assert _ruff_sql_findings(PACKAGE_DIR) == [], "pass values as parameters; compose identifiers with psycopg.sql"


def test_the_static_check_catches_what_it_should(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('COLUMNS = "id, name"\n'
                   'QUERY = f"SELECT {COLUMNS} FROM t WHERE kind = 1"\n'
                   'def find(conn, name):\n'
                   '    conn.execute("SELECT * FROM t WHERE name = \'%s\'" % name)\n'
                   '    conn.execute("SELECT * FROM t WHERE id = {}".format(name))\n')
    good = tmp_path / "good.py"
    good.write_text('def find(conn, sql, x, t):\n'
                    '    conn.execute("SELECT * FROM t WHERE id = %s", [x])\n'
                    '    conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(t)))\n')
    assert len(_ruff_sql_findings(bad)) == 3
    assert _ruff_sql_findings(good) == []
