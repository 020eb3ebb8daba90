-- A policy that calls auth.uid() and friends bare is evaluated once per row; wrapped in
-- a scalar sub-select it becomes an InitPlan, evaluated once per statement.
SELECT DISTINCT p.table_name AS object,
       format('policy %s calls %s for every row instead of (select %s)', p.policy, f.call, f.call) AS detail
FROM policies AS p
CROSS JOIN (VALUES ('auth.uid()'), ('auth.jwt()'), ('auth.role()'), ('auth.email()'), ('current_setting(')) AS f(call)
CROSS JOIN LATERAL (VALUES (p.using_expr), (p.check_expr)) AS e(expr)
WHERE p.rls AND strpos(e.expr, f.call) > 0 AND strpos(lower(e.expr), 'select ' || f.call) = 0
