"""The constraints and guard triggers reject what the blueprint says they reject."""

import json
import uuid

import pytest
from psycopg import errors


def _topic(db, name="Fat Adaptation", slug="fat-adaptation", score=80, **extra):
    columns = {"topic_name": name, "topic_slug": slug, "engagement_score": score, "full_data": json.dumps({"topic": name})}
    columns.update(extra)
    names = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    return db.execute(f"INSERT INTO trending_topics ({names}) VALUES ({marks}) RETURNING id", list(columns.values())).fetchone()[0]


def _grid_item(db, content_id=1, position=1, score=50, content_type="trending_topic"):
    return db.execute(
        "INSERT INTO bento_grid_items (content_type, content_id, content_title, grid_position, engagement_score)"
        " VALUES (%s, %s, 'A title', %s, %s) RETURNING id",
        [content_type, content_id, position, score],
    ).fetchone()[0]


def _engagement(db, created_at="now()", **values):
    values = {"content_type": "top_video", "content_id": 7, "interaction_type": "view", **values}
    names = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    return db.execute(
        f"INSERT INTO content_engagement ({names}, created_at) VALUES ({marks}, {created_at}) RETURNING id",
        list(values.values()),
    ).fetchone()[0]


@pytest.mark.parametrize("score", [150, -1, 100.01])
def test_grid_engagement_score_must_be_0_to_100(db, score):
    with pytest.raises(errors.CheckViolation, match="engagement_score_range"):
        _grid_item(db, score=score)


def test_topic_engagement_score_must_be_0_to_100(db):
    with pytest.raises(errors.CheckViolation, match="trending_engagement_score_range"):
        _topic(db, score=150)


@pytest.mark.parametrize("position", [0, 101])
def test_grid_position_must_be_1_to_100(db, position):
    with pytest.raises(errors.CheckViolation, match="bento_grid_position_range"):
        _grid_item(db, position=position)


def test_the_same_content_cannot_be_in_the_grid_twice(db):
    _grid_item(db, content_id=42, position=1)
    with pytest.raises(errors.UniqueViolation, match="unique_content_per_grid"):
        _grid_item(db, content_id=42, position=2)
    # The same id under another content type is another piece of content.
    _grid_item(db, content_id=42, position=3, content_type="top_video")


def test_engagement_from_the_future_is_refused(db):
    with pytest.raises(errors.CheckViolation, match="engagement_timestamp_valid"):
        _engagement(db, created_at="now() + interval '1 day'")
    _engagement(db, created_at="now() - interval '400 days'")  # lands in the DEFAULT partition


@pytest.mark.parametrize(
    "column, value, constraint",
    [
        ("interaction_type", "like", "engagement_interaction_type_valid"),
        ("content_type", "podcast", "engagement_content_type_valid"),
        ("sentiment", "angry", "engagement_sentiment_valid"),
        ("sentiment_score", 1.5, "engagement_sentiment_score_range"),
    ],
)
def test_engagement_values_are_checked(db, column, value, constraint):
    with pytest.raises((errors.CheckViolation, errors.NumericValueOutOfRange), match=constraint + "|overflow"):
        _engagement(db, **{column: value})


def test_engagement_requires_an_interaction_type(db):
    with pytest.raises(errors.NotNullViolation, match="interaction_type"):
        db.execute("INSERT INTO content_engagement (content_id, content_type) VALUES (1, 'trending_topic')")


def test_is_anonymous_follows_the_user_id(db):
    user = uuid.uuid4()
    db.execute("INSERT INTO auth.users (id) VALUES (%s)", [user])
    _engagement(db, user_id=user)
    _engagement(db)
    rows = db.execute("SELECT user_id IS NULL, is_anonymous FROM content_engagement").fetchall()
    assert sorted(rows) == [(False, False), (True, True)]
    with pytest.raises(errors.GeneratedAlways):
        db.execute("INSERT INTO content_engagement (content_id, content_type, interaction_type, is_anonymous)"
                   " VALUES (1, 'top_video', 'view', true)")


@pytest.mark.parametrize("name", ["", "   "])
def test_a_topic_name_may_not_be_blank(db, name):
    with pytest.raises(errors.CheckViolation, match="topic_name_not_empty"):
        _topic(db, name=name)


@pytest.mark.parametrize("slug", ["Fat Adaptation", "ça-va", "a--b", "-a", ""])
def test_a_topic_slug_must_be_url_safe(db, slug):
    with pytest.raises(errors.CheckViolation, match="topic_slug_url_safe"):
        _topic(db, slug=slug)


def test_interests_must_be_a_non_empty_array_while_active(db):
    user = uuid.uuid4()
    db.execute("INSERT INTO auth.users (id) VALUES (%s)", [user])
    insert = "INSERT INTO user_interests (user_id, interests, is_active) VALUES (%s, %s, %s)"
    with pytest.raises(errors.CheckViolation, match="interests_not_empty"):
        db.execute(insert, [user, "[]", True])
    with pytest.raises(errors.CheckViolation, match="interests_is_array"):
        db.execute(insert, [user, '{"beginners": true}', True])
    db.execute(insert, [user, "[]", False])


def test_delete_on_trending_topics_removes_nothing(db):
    topic = _topic(db)
    deleted = db.execute("DELETE FROM trending_topics WHERE id = %s", [topic]).rowcount
    assert deleted == 0
    assert db.execute("SELECT count(*) FROM trending_topics").fetchone()[0] == 1
    with pytest.raises(errors.InsufficientPrivilege, match="TRUNCATE is not allowed"):
        db.execute("TRUNCATE trending_topics CASCADE")
    db.execute("UPDATE trending_topics SET is_active = false WHERE id = %s", [topic])
    assert db.execute("SELECT is_active FROM trending_topics").fetchone()[0] is False


def _audit(db, table, relation="audit_log"):
    return db.execute(
        f"SELECT operation, record_id, old_values, new_values, changed_by, actor_role FROM {relation}"
        " WHERE table_name = %s ORDER BY id",
        [table],
    ).fetchall()


def test_inserts_updates_and_deletes_write_audit_rows(db):
    item = _grid_item(db, score=40)
    db.execute("UPDATE bento_grid_items SET engagement_score = 45 WHERE id = %s", [item])
    db.execute("DELETE FROM bento_grid_items WHERE id = %s", [item])
    rows = _audit(db, "bento_grid_items")
    assert [(op, record) for op, record, *_ in rows] == [("INSERT", item), ("UPDATE", item), ("DELETE", item)]
    (_, _, old1, new1, *_), (_, _, old2, new2, *_), (_, _, old3, new3, *_) = rows
    assert old1 is None and new1 is None  # an insert names its row; the next entry holds its values
    assert old2["engagement_score"] == 40 and new2["engagement_score"] == 45
    assert old3["engagement_score"] == 45 and new3 is None
    assert {row[5] for row in rows} == {db.info.user}  # direct connections are named by role


def test_the_audit_trail_shows_what_each_insert_wrote(db):
    """audit_trail fills in an insert's values: the next entry's old values, or the row
    as it is now when nothing has changed it since."""
    changed, deleted, untouched = (_grid_item(db, content_id=n, position=n, score=40 + n) for n in (1, 2, 3))
    db.execute("UPDATE bento_grid_items SET engagement_score = 60 WHERE id = %s", [changed])
    db.execute("UPDATE bento_grid_items SET engagement_score = 70 WHERE id = %s", [changed])
    db.execute("DELETE FROM bento_grid_items WHERE id = %s", [deleted])
    trail = _audit(db, "bento_grid_items", relation="audit_trail")
    shown = [(op, record, new and new["engagement_score"]) for op, record, _, new, *_ in trail]
    assert shown == [
        ("INSERT", changed, 41), ("INSERT", deleted, 42), ("INSERT", untouched, 43),
        ("UPDATE", changed, 60), ("UPDATE", changed, 70), ("DELETE", deleted, None),
    ]
    inserted = {record: new for op, record, _, new, *_ in trail if op == "INSERT"}
    assert inserted[untouched] == db.execute(
        "SELECT to_jsonb(b) FROM bento_grid_items AS b WHERE id = %s", [untouched]).fetchone()[0]
    # Entries that carry their values are shown as they are.
    assert [row[2:4] for row in trail if row[0] != "INSERT"] == [
        row[2:4] for row in _audit(db, "bento_grid_items") if row[0] != "INSERT"]


def test_no_audited_table_can_be_truncated_not_even_by_its_owner(db):
    """TRUNCATE fires no row trigger: it would remove rows without an entry, and with
    them the values of inserts that were never changed. Every table the audit triggers
    watch (found in the catalog, so a table audited later is held to it too) refuses it."""
    audited = [r[0] for r in db.execute(
        "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'audit_insert' ORDER BY 1")]
    assert len(audited) >= 6
    for table in audited:
        with pytest.raises(errors.InsufficientPrivilege, match="TRUNCATE is not allowed"), db.transaction():
            db.execute(f"TRUNCATE {table} CASCADE")


def test_one_statement_writing_many_rows_audits_every_row(db):
    db.execute(
        "INSERT INTO content_engagement (content_type, content_id, interaction_type)"
        " SELECT 'top_video', g, 'view' FROM generate_series(1, 250) AS g"
    )
    assert len(_audit(db, "content_engagement")) == 250


def test_audit_rows_name_the_api_caller(db, act_as):
    user = uuid.uuid4()
    db.execute("INSERT INTO auth.users (id) VALUES (%s)", [user])
    with act_as("authenticated", {"sub": str(user)}) as conn:
        conn.execute("INSERT INTO user_interests (user_id, interests) VALUES (%s, '[\"beginners\"]')", [user])
        conn.execute("UPDATE user_interests SET interests = '[\"meal-prep\"]' WHERE user_id = %s", [user])
        # authenticated may not insert into audit_log: the rows come from the trigger.
        with pytest.raises(errors.InsufficientPrivilege):
            with conn.transaction():
                conn.execute("INSERT INTO audit_log (table_name, record_id, operation, actor_role)"
                             " VALUES ('x', 1, 'INSERT', 'forged')")
        conn.execute("RESET ROLE")  # back to the owner, to read the whole trail
        rows = _audit(conn, "user_interests")
    assert [(op, by, role) for op, _, _, _, by, role in rows] == [
        ("INSERT", user, "authenticated"),
        ("UPDATE", user, "authenticated"),
    ]


def test_nobody_changes_the_audit_log_not_even_its_owner(db):
    _grid_item(db)
    with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
        db.execute("UPDATE audit_log SET operation = 'DELETE'")
    with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
        db.execute("DELETE FROM audit_log")
    with pytest.raises(errors.InsufficientPrivilege, match="TRUNCATE is not allowed"):
        db.execute("TRUNCATE audit_log")
    assert len(_audit(db, "bento_grid_items")) == 1


def test_updates_stamp_modified_at_and_updated_at(db):
    topic = _topic(db)
    db.execute("INSERT INTO creators (creator_name) VALUES ('Dr. Ken Berry')")
    before = db.execute("SELECT modified_at FROM trending_topics WHERE id = %s", [topic]).fetchone()[0]
    creator_before = db.execute("SELECT updated_at FROM creators").fetchone()[0]
    # now() is the transaction's start, so each statement here sees a later one.
    db.execute("UPDATE trending_topics SET mention_count = 3 WHERE id = %s", [topic])
    db.execute("UPDATE creators SET verified = true")
    assert db.execute("SELECT modified_at FROM trending_topics").fetchone()[0] > before
    assert db.execute("SELECT updated_at FROM creators").fetchone()[0] > creator_before


def test_a_video_links_to_its_creator_and_survives_the_creators_removal(db):
    creator = db.execute("INSERT INTO creators (creator_name) VALUES ('Steak and Butter Gal') RETURNING id").fetchone()[0]
    db.execute(
        "INSERT INTO top_videos (video_id, title, creator_name, creator_id, views, full_data)"
        " VALUES ('abc123', 'If I Started Carnivore in 2026...', 'Steak and Butter Gal', %s, 91500, '{}')",
        [creator],
    )
    with pytest.raises(errors.UniqueViolation, match="top_videos_video_id_key"):
        db.execute("INSERT INTO top_videos (video_id, title, full_data) VALUES ('abc123', 'Again', '{}')")
    with pytest.raises(errors.CheckViolation, match="video_views_non_negative"):
        db.execute("INSERT INTO top_videos (video_id, title, views, full_data) VALUES ('x1', 'T', -1, '{}')")
    db.execute("DELETE FROM creators WHERE id = %s", [creator])
    assert db.execute("SELECT creator_id FROM top_videos WHERE video_id = 'abc123'").fetchone()[0] is None
