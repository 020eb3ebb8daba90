-- Nobody but the owner and BYPASSRLS roles sees a row: sometimes the point (a
-- partition, reached only through its parent's policies), sometimes a mistake.
SELECT r.qualified AS object, 'row-level security is on and no policy exists' AS detail
FROM relations AS r
WHERE r.relkind = 'r' AND r.rls AND NOT EXISTS (SELECT 1 FROM pg_policy AS p WHERE p.polrelid = r.oid)
