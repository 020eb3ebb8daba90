-- A materialized view has no row-level security: the API serves all of it.
SELECT r.qualified AS object, 'materialized view readable by anon or authenticated through the API' AS detail
FROM relations AS r
WHERE r.relkind = 'm' AND r.exposed AND r.api_readable
