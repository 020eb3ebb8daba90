-- Left by a concurrent build that failed: maintained on every write, never read.
SELECT format('%I.%I', r.schema, c.relname) AS object, format('index on %s is invalid', r.qualified) AS detail
FROM pg_index AS i
JOIN relations AS r ON r.oid = i.indrelid
JOIN pg_class AS c ON c.oid = i.indexrelid
WHERE NOT i.indisvalid
