-- A view runs as its owner unless it says security_invoker: the owner bypasses the
-- row-level security of everything it reads.
SELECT r.qualified AS object, 'view runs as its owner (no security_invoker), bypassing row-level security' AS detail
FROM relations AS r
WHERE r.relkind = 'v' AND r.exposed AND r.api_readable AND NOT r.security_invoker
