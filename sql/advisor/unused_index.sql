-- Never scanned since statistics were last reset (on a new database: every index).
SELECT format('%I.%I', s.schemaname, s.indexrelname) AS object,
       format('index on %s has not been used', r.qualified) AS detail
FROM pg_stat_user_indexes AS s
JOIN relations AS r ON r.oid = s.relid
JOIN pg_index AS i ON i.indexrelid = s.indexrelid
WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
