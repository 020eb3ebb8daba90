-- Permissive policies are OR-ed: every one of them runs for every row.
SELECT p.table_name AS object,
       format('role %s has %s permissive policies for %s: %s', role.rolname, count(*), action.name,
              string_agg(p.policy, ', ' ORDER BY p.policy)) AS detail
FROM policies AS p
JOIN pg_roles AS role ON role.oid = ANY (p.roles) OR p.roles = '{0}'
CROSS JOIN LATERAL unnest(CASE p.command WHEN 'r' THEN ARRAY['SELECT'] WHEN 'a' THEN ARRAY['INSERT']
                                         WHEN 'w' THEN ARRAY['UPDATE'] WHEN 'd' THEN ARRAY['DELETE']
                                         ELSE ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'] END) AS action(name)
WHERE p.relkind = 'r' AND p.permissive
  AND role.rolname NOT LIKE 'pg\_%' AND role.rolname NOT LIKE 'supabase%admin' AND NOT role.rolbypassrls
GROUP BY p.table_name, role.rolname, action.name
HAVING count(*) > 1
