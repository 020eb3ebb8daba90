"""What writing a week changes: only what differs from what the database holds."""

import json
import shutil
from datetime import date

from psycopg import sql

from carnivore_orchestration.content.loading import load_week
from carnivore_orchestration.content.store import write_week
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

NEWEST = sorted(BUNDLED_CONTENT_DIR.glob("*.json"))[-1]
WEEK = date.fromisoformat(NEWEST.stem)


def _row_versions(db, table: str, key: str) -> dict:
    # xmin changes whenever a row is written, even with the values it had.
    query = sql.SQL("SELECT {}, xmin::text FROM {} WHERE week = %s").format(sql.Identifier(key), sql.Identifier(table))
    return dict(db.execute(query, [WEEK]).fetchall())


def test_a_replaced_file_with_one_edit_writes_that_row_and_its_audit_entry_only(db, tmp_path):
    path = shutil.copy(NEWEST, tmp_path / NEWEST.name)
    write_week(db, WEEK, load_week(path, WEEK))
    topics, videos = _row_versions(db, "trending_topic_weeks", "topic_id"), _row_versions(db, "top_video_weeks",
                                                                                          "video_pk")
    last_audit = db.execute("SELECT max(id) FROM audit_log").fetchone()[0]

    document = json.loads(path.read_text())
    edited = document["analysis"]["trending_topics"][1]
    edited["engagement_score"] = 7 if edited["engagement_score"] != 7 else 8
    path.write_text(json.dumps(document))
    write = write_week(db, WEEK, load_week(path, WEEK))

    edited_id = db.execute("SELECT id FROM trending_topics WHERE topic_name = %s", [edited["topic"]]).fetchone()[0]
    assert write.status == "replaced"
    assert (write.topics.rows_inserted, write.topics.rows_updated) == (0, 1)
    assert (write.videos.rows_inserted, write.videos.rows_updated, write.videos.rows_unchanged) == (0, 0, len(videos))
    after = _row_versions(db, "trending_topic_weeks", "topic_id")
    assert {topic for topic in after if after[topic] != topics[topic]} == {edited_id}
    assert _row_versions(db, "top_video_weeks", "video_pk") == videos
    assert db.execute("SELECT table_name, record_id, operation FROM audit_log WHERE id > %s",
                      [last_audit]).fetchall() == [("trending_topics", edited_id, "UPDATE")]
