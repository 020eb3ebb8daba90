"""The auth functions and the corrected admin test, exercised as PostgREST would call them.
(The full row-level security matrix is its own suite.)"""

import uuid

import pytest
from psycopg import errors

ADMIN = {"app_metadata": {"role": "admin"}}


def test_auth_functions_read_the_request_claims(act_as):
    user = uuid.uuid4()
    with act_as("authenticated", {"sub": str(user), "email": "a@example.com"}) as conn:
        uid, role, jwt = conn.execute("SELECT auth.uid(), auth.role(), auth.jwt()").fetchone()
    assert (uid, role, jwt["email"]) == (user, "authenticated", "a@example.com")


def test_an_empty_claims_setting_means_nobody(db):
    # After a pooled connection's transaction, the setting is '' rather than absent.
    with db.transaction(force_rollback=True):
        db.execute("SELECT set_config('request.jwt.claims', '', true)")
        assert db.execute("SELECT auth.uid(), auth.role(), auth.jwt()").fetchone() == (None, None, None)


@pytest.mark.parametrize(
    "claims, expected",
    [
        (ADMIN, True),
        ({"role": "admin"}, False),  # the blueprint's test: Supabase never sets this
        ({"app_metadata": {"role": "editor"}}, False),
        ({"user_metadata": {"role": "admin"}}, False),  # users can write user_metadata themselves
        ({}, False),
    ],
)
def test_admins_are_recognised_by_app_metadata_only(act_as, claims, expected):
    with act_as("authenticated", claims) as conn:
        assert conn.execute("SELECT private.is_admin()").fetchone()[0] is expected


def test_only_an_admin_may_write_topics(act_as):
    insert = ("INSERT INTO trending_topics (topic_name, topic_slug, full_data)"
              " VALUES ('Organ Meats', 'organ-meats', '{}')")
    with act_as("authenticated", {"sub": str(uuid.uuid4())}) as conn:
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(insert)
    with act_as("anon") as conn:
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(insert)
    with act_as("authenticated", {"sub": str(uuid.uuid4()), **ADMIN}) as conn:
        assert conn.execute(insert).rowcount == 1


def test_a_partition_cannot_be_read_around_the_parents_policies(act_as):
    for role in ("anon", "authenticated", "service_role"):
        with act_as(role) as conn:
            with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
                conn.execute("SELECT * FROM content_engagement_default")


def test_anonymous_visitors_record_interactions_without_a_user(db, act_as):
    user = uuid.uuid4()
    db.execute("INSERT INTO auth.users (id) VALUES (%s)", [user])
    insert = "INSERT INTO content_engagement (content_type, content_id, interaction_type, user_id) VALUES ('top_video', 1, 'view', %s)"
    with act_as("anon") as conn:
        conn.execute(insert, [None])
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(insert, [user])


def test_the_sentiment_aggregate_counts_everyone_and_shows_no_user(db, act_as):
    users = [uuid.uuid4(), uuid.uuid4()]
    for user in users:
        db.execute("INSERT INTO auth.users (id) VALUES (%s)", [user])
        db.execute(
            "INSERT INTO content_engagement (content_type, content_id, interaction_type, sentiment, user_id)"
            " VALUES ('top_video', 9, 'comment', 'positive', %s)",
            [user],
        )
    with act_as("anon") as conn:
        row = conn.execute("SELECT * FROM engagement_sentiment_aggregate WHERE content_id = 9")
        columns = [c.name for c in row.description]
        assert row.fetchone()[columns.index("total_count")] == 2
    assert not any("user" in column for column in columns)
    with act_as("authenticated", {"sub": str(users[0])}) as conn:
        summary = conn.execute("SELECT user_id, total_interactions FROM user_engagement_summary").fetchall()
    assert summary == [(users[0], 1)]
    with act_as("anon") as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("SELECT * FROM user_engagement_summary")


def test_calculate_trending_topics_ranks_the_latest_weeks_topics(db, act_as):
    """By the weeks topics appeared in: a topic first seen long ago still counts if it
    appears in the latest week; one that did not appear this week does not."""
    weeks = ["2026-11-09", "2026-11-16"]
    for week in weeks:
        db.execute("INSERT INTO analyzed_content_versions (week, sha256, source_file, raw_content, document_shape)"
                   " VALUES (%s, repeat('a', 64), 'f.json', '{}', 'nested')", [week])
        db.execute("INSERT INTO analyzed_content_weeks (week, source_file, sha256, document_shape, topic_count,"
                   " video_count) VALUES (%s, 'f.json', repeat('a', 64), 'nested', 0, 0)", [week])
    scores = {"old-favourite": (99, 90), "gone": (98, None), "a": (None, 70), "b": (None, 60), "c": (None, 95),
              "d": (None, 10), "e": (None, 30), "retired": (None, 100)}
    for slug, per_week in scores.items():
        topic = db.execute(
            "INSERT INTO trending_topics (topic_name, topic_slug, full_data, created_at)"
            " VALUES (%s, %s, '{}', now() - interval '60 days') RETURNING id", [slug.title(), slug]
        ).fetchone()[0]
        for week, score in zip(weeks, per_week, strict=True):
            if score is not None:
                db.execute(
                    "INSERT INTO trending_topic_weeks (week, topic_id, topic_name, engagement_score, mention_count,"
                    " creators_array, full_data) VALUES (%s, %s, %s, %s, 1, '{}', '{}')", [week, topic, slug, score]
                )
    db.execute("UPDATE trending_topics SET is_active = false WHERE topic_slug = 'retired'")
    with act_as("anon") as conn:
        rows = conn.execute("SELECT topic_name, engagement_score, rank_position FROM calculate_trending_topics()").fetchall()
    assert rows == [("C", 95, 1), ("Old-Favourite", 90, 2), ("A", 70, 3), ("B", 60, 4), ("E", 30, 5)]
