"""Every object the blueprint (as corrected) asks for, found by name in the catalog."""

from datetime import UTC, datetime

import pytest


@pytest.fixture
def db(shared_db):
    # These tests read the catalog (one adds a far-future partition): one database serves them all.
    return shared_db

TABLES = [
    "audit_log",
    "bento_grid_items",
    "content_engagement",
    "creators",
    "top_videos",
    "trending_topics",
    "user_interests",
]

INDEXES = {
    "audit_log": ["audit_log_pkey", "idx_audit_table_record", "idx_audit_changed_at", "idx_audit_changed_by"],
    "bento_grid_items": [
        "bento_grid_items_pkey",
        "unique_content_per_grid",
        "idx_bento_grid_position",
        "idx_bento_engagement_score",
        "idx_bento_created_at",
    ],
    "content_engagement": [
        "content_engagement_pkey",
        "idx_engagement_composite",
        "idx_engagement_created_at",
        "idx_engagement_type_sentiment",
        "idx_engagement_user_id",
    ],
    "creators": [
        "creators_pkey",
        "creators_creator_name_key",
        "creators_channel_id_key",
        "creators_handle_key",
        "idx_creators_subscriber_count",
        "idx_creators_focus_areas",
        "idx_creators_is_active",
    ],
    "top_videos": [
        "top_videos_pkey",
        "top_videos_video_id_key",
        "idx_top_videos_views",
        "idx_top_videos_creator_id",
        "idx_top_videos_tags",
        "idx_top_videos_is_active",
    ],
    "trending_topics": [
        "trending_topics_pkey",
        "trending_topics_topic_slug_key",
        "idx_trending_engagement_score",
        "idx_trending_created_at",
        "idx_trending_is_active",
        "idx_trending_mention_count",
        "idx_trending_creators",
    ],
    "user_interests": [
        "user_interests_pkey",
        "user_interests_unique_user",
        "idx_user_interests_tags",
        "idx_user_interests_active",
    ],
    "homepage_grid": ["idx_homepage_grid_id", "idx_homepage_grid_position"],
}

POLICIES = {
    "audit_log": ["audit_log_admin_only_read", "audit_log_never_update", "audit_log_never_delete"],
    "content_engagement": [
        "content_engagement_user_isolation",
        "content_engagement_user_insert",
        "content_engagement_no_update",
        "content_engagement_no_delete",
    ],
    "user_interests": [
        "user_interests_self_read",
        "user_interests_self_insert",
        "user_interests_self_update",
        "user_interests_self_delete",
    ],
    **{
        table: [f"{table}_public_read", f"{table}_admin_insert", f"{table}_admin_update", f"{table}_admin_delete"]
        for table in ["bento_grid_items", "creators", "top_videos", "trending_topics"]
    },
}

AUDITED = ["bento_grid_items", "content_engagement", "creators", "top_videos", "trending_topics", "user_interests"]
TIMESTAMPED = {
    "bento_grid_items": "update_bento_grid_items_modtime",
    "creators": "update_creators_modtime",
    "top_videos": "update_top_videos_modtime",
    "trending_topics": "update_trending_topics_modtime",
    "user_interests": "update_user_interests_modtime",
}


VIEWS = ["engagement_sentiment_aggregate", "trending_topics_by_week", "creator_performance", "user_engagement_summary",
         "homepage_grid", "audit_trail"]


def _names(db, query, *params):
    return {row[0] for row in db.execute(query, params)}


def test_every_table_exists_with_row_level_security(db):
    rows = db.execute(
        "SELECT c.relname, c.relrowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
        "   AND c.relname = ANY(%s)",
        [TABLES],
    ).fetchall()
    assert dict(rows) == {table: True for table in TABLES}


@pytest.mark.parametrize("table", sorted(INDEXES))
def test_indexes_exist(db, table):
    found = _names(db, "SELECT indexname FROM pg_indexes WHERE schemaname IN ('public', 'private') AND tablename = %s",
                   table)
    assert set(INDEXES[table]) <= found


@pytest.mark.parametrize("table", sorted(POLICIES))
def test_policies_exist(db, table):
    found = _names(db, "SELECT policyname FROM pg_policies WHERE schemaname = 'public' AND tablename = %s", table)
    assert found == set(POLICIES[table])


def _triggers(db, table):
    return _names(
        db, "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", f"public.{table}"
    )


@pytest.mark.parametrize("table", AUDITED)
def test_critical_tables_are_audited(db, table):
    assert {"audit_insert", "audit_update", "audit_delete"} <= _triggers(db, table)


@pytest.mark.parametrize("table", sorted(TIMESTAMPED))
def test_modification_timestamps_are_maintained(db, table):
    assert TIMESTAMPED[table] in _triggers(db, table)


def test_guard_triggers_exist(db):
    assert {"protect_trending_topics_deletion", "trending_topics_no_truncate"} <= _triggers(db, "trending_topics")
    assert {"audit_log_immutable", "audit_log_no_truncate"} <= _triggers(db, "audit_log")
    assert "content_engagement_no_truncate" in _triggers(db, "content_engagement")


def test_views_and_materialized_view_exist(db):
    assert _names(db, "SELECT viewname FROM pg_views WHERE schemaname = 'public'") == set(VIEWS)
    # The materialized view is outside the API's schema; the API reads a view over it.
    assert _names(db, "SELECT matviewname FROM pg_matviews WHERE schemaname = 'public'") == set()
    assert _names(db, "SELECT matviewname FROM pg_matviews WHERE schemaname = 'private'") == {"homepage_grid"}


def test_homepage_grid_can_be_refreshed_concurrently(db):
    # The first refresh of a view may not be concurrent; the migration populates it.
    assert db.execute("SELECT ispopulated FROM pg_matviews WHERE matviewname = 'homepage_grid'").fetchone()[0]
    db.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY private.homepage_grid")
    unique = db.execute(
        "SELECT indisunique, indpred IS NULL FROM pg_index WHERE indexrelid = 'private.idx_homepage_grid_id'::regclass"
    ).fetchone()
    assert unique == (True, True)


def test_homepage_grid_exposes_nothing_about_authors(db):
    columns = _names(
        db, "SELECT attname FROM pg_attribute WHERE attrelid = 'homepage_grid'::regclass AND attnum > 0"
    )
    assert "created_by" not in columns
    assert {"content_title", "grid_position", "engagement_score"} <= columns


def test_functions_exist(db):
    expected = {
        ("auth", "uid"),
        ("auth", "role"),
        ("auth", "jwt"),
        ("public", "calculate_trending_topics"),
        ("private", "is_admin"),
        ("private", "update_timestamp_column"),
        ("private", "audit_changes"),
        ("private", "create_engagement_partition"),
    }
    found = {
        tuple(row)
        for row in db.execute(
            "SELECT n.nspname, p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname IN ('auth', 'public', 'private')"
        )
    }
    assert expected <= found


def test_security_definer_functions_pin_their_search_path(db):
    definers = db.execute(
        "SELECT p.oid::regprocedure::text, p.proconfig FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE p.prosecdef AND n.nspname IN ('public', 'private', 'auth')"
    ).fetchall()
    assert definers, "the audit trigger function at least is SECURITY DEFINER"
    for name, config in definers:
        assert any(setting.startswith("search_path=") for setting in config or []), name


def test_content_engagement_is_partitioned_by_month_with_a_default(db):
    key = db.execute("SELECT pg_get_partkeydef('content_engagement'::regclass)").fetchone()[0]
    assert key == "RANGE (created_at)"
    pk_columns = _names(
        db,
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        " WHERE i.indexrelid = 'content_engagement_pkey'::regclass",
    )
    assert pk_columns == {"id", "created_at"}
    partitions = dict(
        db.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'content_engagement'::regclass"
        ).fetchall()
    )
    assert partitions["content_engagement_default"] == "DEFAULT"
    this_month = datetime.now(UTC).strftime("content_engagement_%Y_%m")
    assert this_month in partitions


def test_partition_bounds_are_utc_whatever_the_session_time_zone(db):
    db.execute("SET TIME ZONE 'America/Los_Angeles'")
    name = db.execute("SELECT private.create_engagement_partition('2031-03-15')").fetchone()[0]
    assert name == "content_engagement_2031_03"
    db.execute("SET TIME ZONE 'UTC'")
    bound = db.execute(
        "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'content_engagement_2031_03'"
    ).fetchone()[0]
    assert bound == "FOR VALUES FROM ('2031-03-01 00:00:00+00') TO ('2031-04-01 00:00:00+00')"
    # Creating it again is harmless.
    assert db.execute("SELECT private.create_engagement_partition('2031-03-01')").fetchone()[0] == name


def test_api_roles_have_no_privileges_on_partitions(db):
    rows = db.execute(
        "SELECT c.relname, r.rolname, has_table_privilege(r.rolname, c.oid, 'SELECT, INSERT, UPDATE, DELETE')"
        " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " CROSS JOIN (VALUES ('anon'), ('authenticated'), ('service_role')) AS r(rolname)"
        " WHERE i.inhparent = 'content_engagement'::regclass"
    ).fetchall()
    assert rows and all(not allowed for _, _, allowed in rows)


def test_api_roles_exist_as_supabase_defines_them(db):
    roles = dict(
        (name, (login, bypass))
        for name, login, bypass in db.execute(
            "SELECT rolname, rolcanlogin, rolbypassrls FROM pg_roles"
            " WHERE rolname IN ('anon', 'authenticated', 'service_role')"
        )
    )
    assert roles == {"anon": (False, False), "authenticated": (False, False), "service_role": (False, True)}
