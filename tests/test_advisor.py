"""Supabase's advisor lints (our queries, sql/advisor/) on the migrated schema, on the
schema as it was before this was fixed, and on one bad object per lint."""

import shutil

import psycopg
import pytest

from carnivore_orchestration.db import advisor, migrations
from carnivore_orchestration.settings import sql_dir


def _problems(conn):
    return sorted((f.lint, f.object) for f in advisor.problems(advisor.run(conn)))


def test_the_migrated_schema_is_clean(db):
    """No ERROR, no WARN, no unindexed foreign key; on both servers CI runs."""
    findings = advisor.run(db)
    assert advisor.problems(findings) == []
    assert {f.lint for f in findings} <= {"unused_index", "rls_enabled_no_policy"}


def test_the_lints_find_what_the_advisor_reported_before_the_fix(empty_db_url, tmp_path):
    """Up to 0024, the schema had the advisor's ERROR, its WARN and four unindexed
    foreign keys; the lints find exactly those."""
    before = tmp_path / "sql"
    before.mkdir()
    for path in sorted(sql_dir().glob("*.sql")):
        if int(path.name[:4]) <= 24:
            shutil.copy(path, before)
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        migrations.migrate(conn, before)
        assert _problems(conn) == [
            ("materialized_view_in_api", "public.homepage_grid"),
            ("security_definer_view", "public.engagement_sentiment_aggregate"),
            ("unindexed_foreign_keys", "public.alert_events"),
            ("unindexed_foreign_keys", "public.bento_grid_items"),
            ("unindexed_foreign_keys", "public.top_video_weeks"),
            ("unindexed_foreign_keys", "public.trending_topics"),
        ]


def test_the_api_schemas_follow_postgrest_setting(db):
    assert advisor.exposed_schemas(db) == ["public"]
    db.execute("SET pgrst.db_schemas = 'public, graphql_public,api'")
    assert advisor.exposed_schemas(db) == ["public", "graphql_public", "api"]


ROLE_CLAIMS = "current_setting('request.jwt.claims', true)::jsonb -> 'user_metadata' ->> 'admin' = 'yes'"
# lint -> (statements making one offending object, the object the lint must name)
OFFENDERS = {
    "unindexed_foreign_keys": ("CREATE TABLE lint_child (id int PRIMARY KEY, parent bigint REFERENCES creators (id))",
                               "public.lint_child"),
    "auth_users_exposed": ("CREATE VIEW lint_users AS SELECT id, email FROM auth.users;"
                           " GRANT SELECT ON lint_users TO anon", "public.lint_users"),
    "auth_rls_initplan": ("CREATE TABLE lint_own (id int PRIMARY KEY, owner uuid); ALTER TABLE lint_own ENABLE ROW"
                          " LEVEL SECURITY; CREATE POLICY own ON lint_own USING (owner = auth.uid())", "public.lint_own"),
    "no_primary_key": ("CREATE TABLE lint_heap (a int)", "public.lint_heap"),
    "unused_index": ("CREATE TABLE lint_heap (a int PRIMARY KEY, b int); CREATE INDEX lint_b ON lint_heap (b)",
                     "public.lint_b"),
    "multiple_permissive_policies": ("CREATE TABLE lint_two (id int PRIMARY KEY); ALTER TABLE lint_two ENABLE ROW LEVEL"
                                     " SECURITY; CREATE POLICY a ON lint_two FOR SELECT TO anon USING (id > 0);"
                                     " CREATE POLICY b ON lint_two FOR SELECT TO anon USING (id < 9)",
                                     "public.lint_two"),
    "policy_exists_rls_disabled": ("CREATE TABLE lint_off (id int PRIMARY KEY); CREATE POLICY a ON lint_off USING (true)",
                                   "public.lint_off"),
    "rls_enabled_no_policy": ("CREATE TABLE lint_shut (id int PRIMARY KEY); ALTER TABLE lint_shut ENABLE ROW LEVEL"
                              " SECURITY", "public.lint_shut"),
    "duplicate_index": ("CREATE TABLE lint_dup (id int PRIMARY KEY, b int); CREATE INDEX lint_b1 ON lint_dup (b);"
                        " CREATE INDEX lint_b2 ON lint_dup (b)", "public.lint_dup"),
    "security_definer_view": ("CREATE VIEW lint_definer AS SELECT 1 AS one; GRANT SELECT ON lint_definer TO anon",
                              "public.lint_definer"),
    "function_search_path_mutable": ("CREATE FUNCTION private.lint_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'",
                                     "private.lint_fn()"),
    "rls_disabled_in_public": ("CREATE TABLE lint_open (id int PRIMARY KEY); GRANT SELECT ON lint_open TO anon",
                               "public.lint_open"),
    "extension_in_public": ("CREATE EXTENSION citext SCHEMA public", "citext"),
    "rls_references_user_metadata": ("CREATE TABLE lint_meta (id int PRIMARY KEY); ALTER TABLE lint_meta ENABLE ROW"
                                     f" LEVEL SECURITY; CREATE POLICY m ON lint_meta USING ({ROLE_CLAIMS})",
                                     "public.lint_meta"),
    "materialized_view_in_api": ("CREATE MATERIALIZED VIEW lint_mv AS SELECT 1 AS one; GRANT SELECT ON lint_mv TO anon",
                                 "public.lint_mv"),
    "foreign_table_in_api": ("CREATE EXTENSION file_fdw SCHEMA private; CREATE SERVER lint_files FOREIGN DATA WRAPPER"
                             " file_fdw; CREATE FOREIGN TABLE lint_ft (a text) SERVER lint_files OPTIONS"
                             " (filename '/dev/null'); GRANT SELECT ON lint_ft TO anon", "public.lint_ft"),
    "unsupported_reg_types": ("CREATE TABLE lint_reg (id int PRIMARY KEY, f regproc)", "public.lint_reg"),
    "fkey_to_auth_unique": ("CREATE UNIQUE INDEX lint_email ON auth.users (email); CREATE TABLE lint_mail (id int"
                            " PRIMARY KEY, email varchar(255) REFERENCES auth.users (email))", "public.lint_mail"),
    "extension_versions_outdated": ("CREATE EXTENSION hstore SCHEMA private VERSION '1.4'", "hstore"),
    "sensitive_columns_exposed": ("CREATE TABLE lint_secrets (id int PRIMARY KEY, api_key text);"
                                  " GRANT SELECT ON lint_secrets TO authenticated", "public.lint_secrets"),
    "rls_policy_always_true": ("CREATE TABLE lint_true (id int PRIMARY KEY); ALTER TABLE lint_true ENABLE ROW LEVEL"
                               " SECURITY; CREATE POLICY t ON lint_true FOR UPDATE TO anon USING (true)",
                               "public.lint_true"),
    "anon_security_definer_function_executable": (
        "CREATE FUNCTION lint_rpc() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = '' AS 'SELECT 1'",
        "public.lint_rpc()"),
    "authenticated_security_definer_function_executable": (
        "CREATE FUNCTION lint_rpc() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = '' AS 'SELECT 1'",
        "public.lint_rpc()"),
    "invalid_index": ("CREATE TABLE lint_twins (a int); INSERT INTO lint_twins VALUES (1), (1)", "public.lint_twins_a"),
}


def test_every_lint_has_an_offender():
    assert set(OFFENDERS) == set(advisor.LINTS)


@pytest.mark.parametrize("lint", sorted(OFFENDERS))
def test_each_lint_finds_its_offender(db, lint):
    statements, offender = OFFENDERS[lint]
    assert offender not in {f.object for f in advisor.run(db, [lint])}
    db.execute(statements)
    if lint == "invalid_index":
        with pytest.raises(psycopg.errors.UniqueViolation):
            db.execute("CREATE UNIQUE INDEX CONCURRENTLY lint_twins_a ON lint_twins (a)")
    found = advisor.run(db, [lint])
    assert offender in {f.object for f in found}
    assert all(f.level == advisor.LINTS[lint] for f in found)
