"""On a database that already has Supabase's auth schema, functions and roles, the
migrations apply without error and change nothing of Supabase's."""

import psycopg
import pytest

from carnivore_orchestration.db import migrations

# Supabase's own definitions (supabase/auth migrations: the users table as its initial
# schema creates it, plus later columns; the function bodies of 2022-02-24 and
# 2022-05-31, which differ from our stand-ins: no pinned search_path, and auth.email()).
SUPABASE = r"""
CREATE SCHEMA auth;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
CREATE TABLE auth.users (
    instance_id uuid,
    id uuid NOT NULL PRIMARY KEY,
    aud varchar(255),
    role varchar(255),
    email varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    is_super_admin bool,
    created_at timestamptz,
    updated_at timestamptz,
    phone text DEFAULT NULL::character varying,
    is_anonymous boolean NOT NULL DEFAULT false
);
CREATE INDEX users_instance_id_email_idx ON auth.users USING btree (instance_id, email);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
  select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
$$;
CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$
  select coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text
$$;
CREATE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS $$
  select coalesce(nullif(current_setting('request.jwt.claim.email', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email'))::text
$$;
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$
  select coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$$;
"""


def snapshot(conn) -> dict:
    """Everything of Supabase's that our migrations could touch."""
    return {
        "functions": conn.execute(
            "SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid), p.proacl::text, p.proowner::regrole::text"
            " FROM pg_proc p WHERE p.pronamespace = 'auth'::regnamespace ORDER BY 1").fetchall(),
        "columns": conn.execute(
            "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns"
            " WHERE table_schema = 'auth' ORDER BY table_name, ordinal_position").fetchall(),
        "tables": conn.execute(
            "SELECT relname, relacl::text, relrowsecurity FROM pg_class"
            " WHERE relnamespace = 'auth'::regnamespace ORDER BY 1").fetchall(),
        "schema_acl": conn.execute("SELECT nspacl::text FROM pg_namespace WHERE nspname = 'auth'").fetchone(),
        "roles": conn.execute(
            "SELECT rolname, rolsuper, rolinherit, rolcanlogin, rolbypassrls FROM pg_roles"
            " WHERE rolname IN ('anon', 'authenticated', 'service_role', 'supabase_admin') ORDER BY 1").fetchall(),
        "default_acl": conn.execute("SELECT defaclrole::regrole::text, defaclobjtype, defaclacl::text"
                                    " FROM pg_default_acl ORDER BY 1, 2").fetchall(),
    }


@pytest.fixture
def supabase_role(admin_url):
    """Supabase's admin role (its presence tells the migrations they are on Supabase).
    Roles are cluster-wide, so it is removed again afterwards."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        created = not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'supabase_admin'").fetchone()
        if created:
            conn.execute("CREATE ROLE supabase_admin NOLOGIN")
    yield
    if created:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute("DROP ROLE supabase_admin")


def test_migrations_leave_supabase_auth_as_it_was(empty_db_url, supabase_role):
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(SUPABASE)
        before = snapshot(conn)
        applied = migrations.migrate(conn)
        after = snapshot(conn)
        assert len(applied) == len(migrations.discover())
        assert after == before
        # Ours on top of theirs: the policies work with Supabase's functions.
        assert conn.execute("SELECT to_regclass('public.trending_topics') IS NOT NULL").fetchone()[0]
        with conn.transaction(force_rollback=True):
            conn.execute("SELECT set_config('role', 'authenticated', true),"
                         " set_config('request.jwt.claims', '{\"role\": \"authenticated\", \"app_metadata\": {\"role\": \"admin\"}}', true)")
            assert conn.execute("SELECT private.is_admin()").fetchone()[0] is True
            conn.execute("INSERT INTO trending_topics (topic_name, topic_slug, full_data) VALUES ('A', 'a', '{}')")


def test_on_plain_postgresql_the_stand_ins_are_created(empty_db_url):
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        migrations.migrate(conn)
        functions = {row[0] for row in conn.execute(
            "SELECT proname FROM pg_proc WHERE pronamespace = 'auth'::regnamespace")}
        assert functions == {"uid", "role", "jwt"}
        default_acl = conn.execute("SELECT count(*) FROM pg_default_acl").fetchone()[0]
        assert default_acl == 3  # Supabase's defaults for tables, sequences and functions, mirrored
