SELECT r.qualified AS object, 'table has no primary key' AS detail
FROM relations AS r
WHERE r.relkind = 'r'
  AND NOT EXISTS (SELECT 1 FROM pg_index AS i WHERE i.indrelid = r.oid AND i.indisprimary)
