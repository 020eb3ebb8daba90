-- A schema for the functions our policies and triggers share. PostgREST exposes only
-- the schemas it is told to (public by default), so nothing here becomes an API.

CREATE SCHEMA IF NOT EXISTS private;
REVOKE ALL ON SCHEMA private FROM PUBLIC;
-- Policies run as the caller, so the API roles must be able to reach is_admin().
GRANT USAGE ON SCHEMA private TO anon, authenticated, service_role;

-- The admin test of every policy. Supabase always sets the top-level `role` claim to
-- the database role ('authenticated'), so the blueprint's `auth.jwt() ->> 'role' =
-- 'admin'` can never match there; admins are marked in `app_metadata`, which only
-- the service role can write.
CREATE FUNCTION private.is_admin() RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = ''
AS $$
    SELECT coalesce((auth.jwt() -> 'app_metadata' ->> 'role') = 'admin', false)
$$;
REVOKE EXECUTE ON FUNCTION private.is_admin() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION private.is_admin() TO anon, authenticated, service_role;

-- The blueprint stamps `modified_at` on some tables and `updated_at` on others; the
-- trigger is told which column it keeps.
CREATE FUNCTION private.update_timestamp_column() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
BEGIN
    CASE TG_ARGV[0]
        WHEN 'modified_at' THEN NEW.modified_at := now();
        WHEN 'updated_at' THEN NEW.updated_at := now();
        ELSE RAISE EXCEPTION 'update_timestamp_column: unknown column %', TG_ARGV[0];
    END CASE;
    RETURN NEW;
END
$$;

-- Soft delete only: a DELETE finds the rows but removes none, and raises no error
-- (the blueprint's Protection 1). `is_active = false` is the way to retire a row.
CREATE FUNCTION private.ignore_delete() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
BEGIN
    RETURN NULL;
END
$$;

-- TRUNCATE skips row triggers, so tables that must keep their history refuse it.
CREATE FUNCTION private.forbid_truncate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
BEGIN
    RAISE EXCEPTION '% keeps its history: TRUNCATE is not allowed', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

-- The editorial tables (topics, videos, creators, the grid) share one access model:
-- anyone reads, only admins write, and the service role (the pipeline) writes too.
-- Tables with soft delete show retired rows to admins only, and nobody hard-deletes
-- them; the others may be deleted by admins.
CREATE FUNCTION private.protect_editorial_table(target regclass, soft_delete boolean) RETURNS void
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
DECLARE
    name text := (SELECT relname FROM pg_catalog.pg_class WHERE oid = target);
    writes text := CASE WHEN soft_delete THEN 'SELECT, INSERT, UPDATE' ELSE 'SELECT, INSERT, UPDATE, DELETE' END;
BEGIN
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC, anon, authenticated, service_role', target);
    EXECUTE format('GRANT SELECT ON %s TO anon', target);
    EXECUTE format('GRANT %s ON %s TO authenticated, service_role', writes, target);
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);

    EXECUTE format('CREATE POLICY %I ON %s FOR SELECT TO anon, authenticated USING (%s)',
                   name || '_public_read', target,
                   CASE WHEN soft_delete THEN 'is_active OR (SELECT private.is_admin())' ELSE 'true' END);
    EXECUTE format('CREATE POLICY %I ON %s FOR INSERT TO authenticated WITH CHECK ((SELECT private.is_admin()))',
                   name || '_admin_insert', target);
    EXECUTE format('CREATE POLICY %I ON %s FOR UPDATE TO authenticated USING ((SELECT private.is_admin()))'
                   ' WITH CHECK ((SELECT private.is_admin()))',
                   name || '_admin_update', target);
    EXECUTE format('CREATE POLICY %I ON %s FOR DELETE TO authenticated USING (%s)',
                   name || '_admin_delete', target,
                   CASE WHEN soft_delete THEN 'false' ELSE '(SELECT private.is_admin())' END);
END
$$;
REVOKE EXECUTE ON FUNCTION private.protect_editorial_table(regclass, boolean) FROM PUBLIC;
