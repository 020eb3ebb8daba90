-- A view the API serves that reads auth.users without row-level security on the way.
SELECT DISTINCT r.qualified AS object, 'reads auth.users and may expose it to anon or authenticated' AS detail
FROM relations AS r
JOIN pg_rewrite AS w ON w.ev_class = r.oid
JOIN pg_depend AS d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid AND d.deptype = 'n'
JOIN pg_class AS users ON users.oid = d.refobjid AND users.oid = to_regclass('auth.users')
WHERE r.relkind IN ('v', 'm') AND r.exposed AND r.api_readable
  AND (r.relkind = 'm' OR NOT r.security_invoker OR NOT users.relrowsecurity)
