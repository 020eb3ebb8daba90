-- The three roles PostgREST switches to for each request, as Supabase defines them.
-- Supabase already has them (and more); on plain PostgreSQL we create them, so that
-- the same grants and row-level security policies work in both places. Roles are
-- cluster-wide: a second database on the same server finds them already there.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
        CREATE ROLE anon NOLOGIN NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        -- service_role is the trusted back end: it bypasses row-level security.
        CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
    END IF;
END
$$;

-- The migrating role must be able to SET ROLE to the API roles (as PostgREST's
-- authenticator does) so that tests and operators can act as them. A superuser can
-- already; granting membership to one is a no-op that only adds a notice.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT anon, authenticated, service_role TO %I', current_user);
    END IF;
END
$$;

-- Supabase's grants: the API roles may use the public schema, and what they may do
-- with each table is decided by that table's grants and policies (later migrations).
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;

-- On Supabase, tables, sequences and functions that `postgres` creates in public are
-- granted to all three API roles by default. Mirror that on plain PostgreSQL so that
-- both behave alike; every table migration here then revokes and grants exactly what
-- it means, so our own objects never depend on these defaults.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'supabase_admin') THEN
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
    END IF;
END
$$;
