SELECT p.table_name AS object,
       format('policies %s exist but row-level security is off', string_agg(p.policy, ', ' ORDER BY p.policy)) AS detail
FROM policies AS p
WHERE p.relkind = 'r' AND NOT p.rls
GROUP BY p.table_name
