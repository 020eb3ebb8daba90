SELECT r.qualified AS object, 'foreign table readable through the API, without row-level security' AS detail
FROM relations AS r
WHERE r.relkind = 'f' AND r.exposed AND r.api_readable
