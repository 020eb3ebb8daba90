-- What every lint reads: the project's relations, policies and functions, without
-- the schemas Supabase manages and without objects that belong to an extension.
-- `exposed` is whether PostgREST serves the schema; `api_readable` whether anon or
-- authenticated may SELECT it.
WITH relations AS (
    SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind, c.relrowsecurity AS rls,
           format('%I.%I', n.nspname, c.relname) AS qualified,
           n.nspname = ANY (current_setting('carnivore.exposed_schemas')::text[]) AS exposed,
           has_table_privilege('anon', c.oid, 'SELECT')
               OR has_table_privilege('authenticated', c.oid, 'SELECT') AS api_readable,
           coalesce(lower(c.reloptions::text)::text[], '{}')
               && ARRAY['security_invoker=1', 'security_invoker=true', 'security_invoker=yes',
                        'security_invoker=on'] AS security_invoker
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname <> ALL (current_setting('carnivore.managed_schemas')::text[])
      AND NOT EXISTS (SELECT 1 FROM pg_depend AS d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
),
policies AS (
    SELECT r.oid AS table_oid, r.qualified AS table_name, r.relkind, r.rls, p.polname AS policy,
           p.polpermissive AS permissive, p.polroles AS roles, p.polcmd AS command,
           pg_get_expr(p.polqual, p.polrelid) AS using_expr,
           pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
    FROM pg_policy AS p
    JOIN relations AS r ON r.oid = p.polrelid
),
functions AS (
    SELECT p.oid, format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) AS signature,
           p.prosecdef AS security_definer, coalesce(p.proconfig, '{}') AS config,
           n.nspname = ANY (current_setting('carnivore.exposed_schemas')::text[]) AS exposed
    FROM pg_proc AS p
    JOIN pg_namespace AS n ON n.oid = p.pronamespace
    WHERE n.nspname <> ALL (current_setting('carnivore.managed_schemas')::text[])
      AND NOT EXISTS (SELECT 1 FROM pg_depend AS d
                      WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
)
