-- user_metadata is written by the user: a policy must never trust it.
SELECT DISTINCT p.table_name AS object, format('policy %s reads user_metadata', p.policy) AS detail
FROM policies AS p
CROSS JOIN LATERAL (VALUES (p.using_expr), (p.check_expr)) AS e(expr)
WHERE e.expr LIKE '%user_metadata%'
  AND (e.expr LIKE '%auth.jwt()%' OR e.expr LIKE '%request.jwt.claim%')
