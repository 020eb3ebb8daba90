"""The row-level security matrix, cell by cell, as PostgREST would run each request:
per transaction, `SET ROLE` to the API role and the JWT claims in request.jwt.claims.
Never asserted as a superuser, except in the column that documents the owner."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from psycopg import errors, sql
from security_matrix import ACTORS, DOC, expected, rendered_doc

USERS = {"user_a": uuid.UUID(int=0xA), "user_b": uuid.UUID(int=0xB), "admin": uuid.UUID(int=0xC)}
WEEK = "2026-11-16"


def _claims(actor):
    if actor == "owner":
        return None, None
    if actor in ("anon", "service_role"):
        return actor, {"role": actor}
    claims = {"sub": str(USERS[actor]), "role": "authenticated"}
    if actor == "admin":
        claims["app_metadata"] = {"role": "admin"}
    return "authenticated", claims


@pytest.fixture(scope="module")
def world(shared_db):
    """One database with a little of everything, shared by every cell (each runs in a
    transaction that is rolled back)."""
    db = shared_db
    for user in USERS.values():
        db.execute("INSERT INTO auth.users (id) VALUES (%s)", [user])
    # The week's file, a version for the INSERT cells' new week to refer to, and the week.
    db.execute("INSERT INTO analyzed_content_versions (week, sha256, source_file, raw_content, document_shape)"
               " VALUES (%s, repeat('a', 64), 'f.json', '{}', 'nested'),"
               " ('2026-01-05', repeat('0', 64), 'f', '{}', 'nested')", [WEEK])
    db.execute("INSERT INTO analyzed_content_weeks (week, source_file, sha256, document_shape, topic_count,"
               " video_count) VALUES (%s, 'f.json', repeat('a', 64), 'nested', 1, 1)", [WEEK])
    ids = {}
    for table, columns, values in [
        ("trending_topics", "topic_name, topic_slug, full_data, is_active", "'{name}', '{slug}', '{{}}', {active}"),
        ("top_videos", "video_id, title, full_data, is_active", "'{slug}', '{name}', '{{}}', {active}"),
        ("creators", "creator_name, is_active", "'{name}', {active}"),
    ]:
        for active in (True, False):
            name, slug = ("Active" if active else "Retired"), ("active" if active else "retired")
            ids[(table, active)] = db.execute(
                f"INSERT INTO {table} ({columns}) VALUES ({values.format(name=name, slug=slug, active=active)})"
                " RETURNING id").fetchone()[0]
    db.execute("INSERT INTO trending_topic_weeks VALUES (%s, %s, 'Active', NULL, 50, 1, '{}', '{}')",
               [WEEK, ids[("trending_topics", True)]])
    db.execute("INSERT INTO top_video_weeks (week, video_pk, title, views, tags, comment_sentiment, score, full_data)"
               " VALUES (%s, %s, 'Active', 10, '{}', '{}', 50, '{}')", [WEEK, ids[("top_videos", True)]])
    db.execute("INSERT INTO creator_weeks VALUES (%s, %s, 1, 1)", [WEEK, ids[("creators", True)]])
    db.execute("UPDATE top_videos SET creator_id = %s", [ids[("creators", True)]])
    for position in (1, 2):
        db.execute("INSERT INTO bento_grid_items (content_type, content_id, content_title, grid_position)"
                   " VALUES ('trending_topic', %s, 'Item', %s)", [position, position])
    db.execute("REFRESH MATERIALIZED VIEW private.homepage_grid")
    for user in (USERS["user_a"], USERS["user_b"], None):
        db.execute("INSERT INTO content_engagement (content_type, content_id, interaction_type, sentiment, user_id)"
                   " VALUES ('top_video', 1, 'comment', 'positive', %s)", [user])
    db.execute("INSERT INTO content_engagement (content_type, content_id, interaction_type, created_at)"
               " VALUES ('top_video', 1, 'view', now() - interval '500 days')")
    for user in (USERS["user_b"], USERS["admin"]):
        db.execute("INSERT INTO user_interests (user_id, interests, interest_tags) VALUES (%s, '[\"x\"]', '{x}')",
                   [user])
    event = db.execute("INSERT INTO alert_events (destination, kind, dedupe_key, payload)"
                       " VALUES ('editors', 'new_topic', 'k', '{}') RETURNING id").fetchone()[0]
    db.execute("INSERT INTO alert_attempts (event_id, url, duration_ms) VALUES (%s, 'http://127.0.0.1/', 1)", [event])
    db.execute("INSERT INTO alert_endpoints (url, reason) VALUES ('http://127.0.0.1/gone', '410')")
    today = datetime.now(UTC)
    this_month = "content_engagement_" + today.strftime("%Y_%m")
    next_month = "content_engagement_" + (today.replace(day=28) + timedelta(days=5)).strftime("%Y_%m")
    db.execute("INSERT INTO content_engagement (content_type, content_id, interaction_type)"
               " VALUES ('top_video', 3, 'view')")  # this month's partition has a row of its own too
    return {"db": db, "ids": ids, "event": event, "this_month": this_month, "next_month": next_month}


def _object(world, name):
    return {"content_engagement_<this month>": world["this_month"],
            "content_engagement_<next month>": world["next_month"]}.get(name, name)


def _insert(world, obj):
    ids, a = world["ids"], USERS["user_a"]
    retired = {t: ids[(t, False)] for t in ("trending_topics", "top_videos", "creators")}
    statements = {
        "trending_topics": ("INSERT INTO trending_topics (topic_name, topic_slug, full_data) VALUES ('N', 'n', '{}')", []),
        "top_videos": ("INSERT INTO top_videos (video_id, title, full_data) VALUES ('n', 'N', '{}')", []),
        "creators": ("INSERT INTO creators (creator_name) VALUES ('N')", []),
        "bento_grid_items": ("INSERT INTO bento_grid_items (content_type, content_id, content_title, grid_position)"
                             " VALUES ('top_video', 9, 'N', 9)", []),
        "trending_topic_weeks": ("INSERT INTO trending_topic_weeks VALUES (%s, %s, 'N', NULL, 1, 1, '{}', '{}')",
                                 [WEEK, retired["trending_topics"]]),
        "top_video_weeks": ("INSERT INTO top_video_weeks (week, video_pk, title, views, tags, comment_sentiment, score,"
                            " full_data) VALUES (%s, %s, 'N', 1, '{}', '{}', 1, '{}')", [WEEK, retired["top_videos"]]),
        "creator_weeks": ("INSERT INTO creator_weeks VALUES (%s, %s, 0, 0)", [WEEK, retired["creators"]]),
        "content_engagement": ("INSERT INTO content_engagement (content_type, content_id, interaction_type)"
                               " VALUES ('top_video', 2, 'view')", []),
        "content_engagement with A": ("INSERT INTO content_engagement (content_type, content_id, interaction_type,"
                                      " user_id) VALUES ('top_video', 2, 'view', %s)", [a]),
        "content_engagement_default": ("INSERT INTO content_engagement_default (content_type, content_id,"
                                       " interaction_type, created_at) VALUES ('top_video', 2, 'view',"
                                       " now() - interval '500 days')", []),
        "user_interests with A": ("INSERT INTO user_interests (user_id, interests) VALUES (%s, '[\"x\"]')", [a]),
        "audit_log": ("INSERT INTO audit_log (table_name, record_id, operation, new_values, actor_role)"
                      " VALUES ('x', 1, 'INSERT', '{}', 'forged')", []),
        "alert_events": ("INSERT INTO alert_events (destination, kind, dedupe_key, payload)"
                         " VALUES ('editors', 'new_topic', 'k2', '{}')", []),
        "alert_attempts": ("INSERT INTO alert_attempts (event_id, url, duration_ms) VALUES (%s, 'u', 1)",
                           [world["event"]]),
        "alert_endpoints": ("INSERT INTO alert_endpoints (url, reason) VALUES ('u2', 'r')", []),
        "analyzed_content_weeks": ("INSERT INTO analyzed_content_weeks (week, source_file, sha256,"
                                   " document_shape, topic_count, video_count)"
                                   " VALUES ('2026-01-05', 'f', repeat('0', 64), 'nested', 0, 0)", []),
        "analyzed_content_versions": ("INSERT INTO analyzed_content_versions (week, sha256, source_file,"
                                      " raw_content, document_shape) VALUES (%s, repeat('b', 64), 'f', '{}',"
                                      " 'nested')", [WEEK]),
    }
    if obj == world["this_month"]:
        return (f"INSERT INTO {obj} (content_type, content_id, interaction_type) VALUES ('top_video', 2, 'view')", [])
    if obj == world["next_month"]:
        # Every timestamp that partition takes is in the future, which the CHECK refuses.
        return (f"INSERT INTO {obj} (content_type, content_id, interaction_type, created_at)"
                " VALUES ('top_video', 2, 'view', now())", [])
    return statements[obj]


UPDATED = {"trending_topics": "description", "top_videos": "title", "creators": "bio",
           "bento_grid_items": "content_title", "trending_topic_weeks": "topic_name", "top_video_weeks": "title",
           "creator_weeks": "topic_mentions", "user_interests": "interest_tags", "audit_log": "actor_role",
           "alert_events": "last_error", "alert_attempts": "error", "alert_endpoints": "reason",
           "analyzed_content_weeks": "source_file", "analyzed_content_versions": "source_file"}


def _statement(world, obj, operation):
    if operation == "EXECUTE":
        call = "calculate_trending_topics()" if obj.startswith("calculate") else "get_personalized_grid()"
        return f"SELECT count(*) FROM {call}", []
    if operation.startswith("INSERT"):
        return _insert(world, obj + (" with A" if "user A" in operation else ""))
    name = sql.Identifier(obj).as_string()
    if operation == "SELECT":
        return f"SELECT count(*) FROM {name}", []
    if operation == "DELETE":
        return f"DELETE FROM {name}", []
    column = sql.Identifier(UPDATED.get(obj, "metadata")).as_string()
    return f"UPDATE {name} SET {column} = {column}", []


def _counts(world, obj, actor):
    """How many rows each outcome means for this object and actor, seen by the owner."""
    db = world["db"]
    name = sql.Identifier(obj).as_string()
    counts = {"all": db.execute(f"SELECT count(*) FROM {name}").fetchone()[0], "none": 0}
    if obj in ("trending_topics", "top_videos", "creators"):
        counts["active"] = db.execute(f"SELECT count(*) FROM {name} WHERE is_active").fetchone()[0]
    if obj == "creator_performance":
        counts["active"] = db.execute("SELECT count(*) FROM creators WHERE is_active").fetchone()[0]
    if obj in ("content_engagement", "user_interests", "user_engagement_summary") and actor in USERS:
        counts["own"] = db.execute(f"SELECT count(*) FROM {name} WHERE user_id = %s", [USERS[actor]]).fetchone()[0]
    return counts


def _outcome(world, actor, statement, params):
    db = world["db"]
    role, claims = _claims(actor)
    try:
        with db.transaction(force_rollback=True):
            if actor != "owner":
                db.execute("SELECT set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                           [role, json.dumps(claims)])
            cursor = db.execute(statement, params)
            if statement.startswith("INSERT"):
                return "allowed"
            return cursor.fetchone()[0] if statement.startswith("SELECT") else cursor.rowcount
    except errors.InsufficientPrivilege as exc:
        message = str(exc)
        if "row-level security" in message:
            return "rls"
        return "denied" if "permission denied" in message else "raises"
    except (errors.RaiseException, errors.ForeignKeyViolation, errors.CheckViolation):
        return "raises"


CELLS = [(obj, operation, actor) for (obj, operation), row in expected().items() for actor in row]


@pytest.mark.parametrize("obj, operation, actor", CELLS, ids=[f"{o}|{op}|{a}" for o, op, a in CELLS])
def test_matrix_cell(world, obj, operation, actor):
    want = expected()[(obj, operation)][actor]
    obj = _object(world, obj)
    got = _outcome(world, actor, *_statement(world, obj, operation))
    if operation == "EXECUTE" and isinstance(got, int):
        got = "allowed"  # it ran
    if isinstance(got, int):
        counts = _counts(world, obj, actor)
        assert want in counts, f"{want} is not a row-count outcome here (got {got} rows)"
        assert got == counts[want], f"{want} means {counts[want]} row(s) here; the {actor} got {got}"
    else:
        assert got == want


def test_the_fixture_tells_the_outcomes_apart(world):
    """A cell can only tell 'own' from 'all' (or 'active' from 'all') if the counts differ."""
    for obj in ("content_engagement", "user_interests", "user_engagement_summary"):
        counts = _counts(world, obj, "user_a")
        assert counts["all"] > counts["own"], obj
    for obj in ("trending_topics", "top_videos", "creators", "creator_performance"):
        counts = _counts(world, obj, "anon")
        assert 0 < counts["active"] < counts["all"], obj


def test_the_documented_matrix_is_this_one():
    assert DOC.read_text() == rendered_doc(DOC.read_text()), "run `uv run python tests/security_matrix.py`"
    assert set(ACTORS) == {"anon", "user_a", "user_b", "admin", "service_role", "owner"}


AUDITED_WRITES = [
    ("admin", "trending_topics", "INSERT INTO trending_topics (topic_name, topic_slug, full_data)"
                                 " VALUES ('Audited', 'audited', '{}') RETURNING id", "UPDATE trending_topics"
                                 " SET description = 'changed' WHERE id = %s"),
    ("admin", "top_videos", "INSERT INTO top_videos (video_id, title, full_data) VALUES ('aud', 'A', '{}') RETURNING id",
     "UPDATE top_videos SET title = 'changed' WHERE id = %s"),
    ("admin", "creators", "INSERT INTO creators (creator_name) VALUES ('Audited') RETURNING id",
     "UPDATE creators SET bio = 'changed' WHERE id = %s"),
    ("admin", "bento_grid_items", "INSERT INTO bento_grid_items (content_type, content_id, content_title, grid_position)"
                                  " VALUES ('top_video', 77, 'A', 77) RETURNING id",
     "UPDATE bento_grid_items SET content_title = 'changed' WHERE id = %s"),
    ("user_a", "user_interests", "INSERT INTO user_interests (user_id, interests) VALUES"
                                 " ('00000000-0000-0000-0000-00000000000a', '[\"x\"]') RETURNING id",
     "UPDATE user_interests SET interest_tags = '{changed}' WHERE id = %s"),
]


@pytest.mark.parametrize("actor, table, insert, update", AUDITED_WRITES, ids=[w[1] for w in AUDITED_WRITES])
def test_every_write_through_the_api_leaves_an_audit_row(world, actor, table, insert, update):
    """Rows come from the SECURITY DEFINER trigger, for actors who may not write
    audit_log themselves, with the operation, old and new values and auth.uid()."""
    db = world["db"]
    role, claims = _claims(actor)
    with db.transaction(force_rollback=True):
        db.execute("SELECT set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                   [role, json.dumps(claims)])
        row_id = db.execute(insert).fetchone()[0]
        db.execute(update, [row_id])
        db.execute("RESET ROLE")
        rows = db.execute("SELECT operation, old_values, new_values, changed_by, actor_role FROM audit_trail"
                          " WHERE table_name = %s AND record_id = %s ORDER BY id", [table, row_id]).fetchall()
    assert [r[0] for r in rows] == ["INSERT", "UPDATE"]
    assert rows[0][1] is None and rows[0][2]["id"] == row_id
    assert rows[1][1] != rows[1][2]
    assert {(r[3], r[4]) for r in rows} == {(USERS[actor], "authenticated")}


def test_anonymous_interactions_are_audited_without_a_user(world):
    db = world["db"]
    with db.transaction(force_rollback=True):
        db.execute("SELECT set_config('role', 'anon', true), set_config('request.jwt.claims', '{\"role\": \"anon\"}', true)")
        db.execute("INSERT INTO content_engagement (content_type, content_id, interaction_type)"
                   " VALUES ('top_video', 5, 'share')")
        db.execute("RESET ROLE")
        row = db.execute("SELECT operation, changed_by, actor_role, new_values ->> 'interaction_type' FROM audit_trail"
                         " WHERE table_name = 'content_engagement' ORDER BY id DESC LIMIT 1").fetchone()
    assert row == ("INSERT", None, "anon", "share")


def test_admins_read_what_each_insert_wrote_through_the_api(world):
    """An insert's entry carries no copy of the row; audit_trail shows its values, read
    with the caller's rights: an admin sees them for every audited table (other users'
    interests and interactions included), a user sees no entry at all."""
    db = world["db"]
    owner_view = dict(db.execute("SELECT id, new_values FROM audit_trail WHERE operation = 'INSERT'").fetchall())
    assert owner_view and all(values is not None for values in owner_view.values())
    tables = {r[0] for r in db.execute("SELECT DISTINCT table_name FROM audit_log WHERE operation = 'INSERT'")}
    assert {"content_engagement", "user_interests", "top_videos"} <= tables
    seen = {}
    for actor in ("admin", "user_a"):
        role, claims = _claims(actor)
        with db.transaction(force_rollback=True):
            db.execute("SELECT set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                       [role, json.dumps(claims)])
            seen[actor] = dict(db.execute("SELECT id, new_values FROM audit_trail WHERE operation = 'INSERT'"))
    assert seen["admin"] == owner_view
    assert seen["user_a"] == {}
