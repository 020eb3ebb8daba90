SELECT r.qualified AS object, 'the API can read this table and row-level security is off' AS detail
FROM relations AS r
WHERE r.relkind = 'r' AND r.exposed AND r.api_readable AND NOT r.rls
