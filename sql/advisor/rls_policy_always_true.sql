-- A permissive policy for anon or authenticated whose condition is always true lets
-- them change every row; reading every row (SELECT ... true) is left alone, as it is
-- usually meant.
SELECT p.table_name AS object, format('policy %s allows every row for %s', p.policy,
       CASE p.command WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END) AS detail
FROM policies AS p
CROSS JOIN LATERAL (SELECT regexp_replace(lower(coalesce(p.using_expr, '')), '\s', '', 'g'),
                           regexp_replace(lower(coalesce(p.check_expr, '')), '\s', '', 'g')) AS norm(using_expr, check_expr)
WHERE p.relkind = 'r' AND p.rls AND p.permissive AND p.command <> 'r'
  AND (p.roles = '{0}' OR EXISTS (SELECT 1 FROM unnest(p.roles) AS role(oid)
                                  WHERE role.oid::regrole::text IN ('anon', 'authenticated')))
  AND ((p.command IN ('w', 'd', '*') AND (norm.using_expr IN ('true', '(true)', '1=1', '(1=1)') OR p.using_expr IS NULL))
       OR norm.check_expr IN ('true', '(true)', '1=1', '(1=1)')
       OR (p.check_expr IS NULL AND p.command = 'a'))
