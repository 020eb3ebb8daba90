-- A foreign key whose columns no valid index starts with: deleting or updating a
-- referenced row scans the whole referencing table.
SELECT r.qualified AS object,
       format('foreign key %s has no covering index', k.conname) AS detail
FROM pg_constraint AS k
JOIN relations AS r ON r.oid = k.conrelid
WHERE k.contype = 'f'
  AND NOT EXISTS (
      SELECT 1
      FROM pg_index AS i
      CROSS JOIN LATERAL (SELECT (string_to_array(i.indkey::text, ' ')::smallint[])[1:cardinality(k.conkey)]) AS head(cols)
      WHERE i.indrelid = k.conrelid AND i.indisvalid AND head.cols @> k.conkey AND head.cols <@ k.conkey)
