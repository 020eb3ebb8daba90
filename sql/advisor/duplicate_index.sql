-- Two indexes with the same definition but their names: every write maintains both.
SELECT r.qualified AS object,
       format('identical indexes %s', string_agg(quote_ident(c.relname), ', ' ORDER BY c.relname)) AS detail
FROM relations AS r
JOIN pg_index AS i ON i.indrelid = r.oid
JOIN pg_class AS c ON c.oid = i.indexrelid
WHERE r.relkind IN ('r', 'm')
GROUP BY r.qualified, replace(pg_get_indexdef(i.indexrelid), quote_ident(c.relname), '')
HAVING count(*) > 1
