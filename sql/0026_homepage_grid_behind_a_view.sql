-- The website reads `homepage_grid` through the API. As a materialized view in the
-- exposed schema it has no row-level security to speak of, and Supabase's Performance
-- and Security Advisor warns about it (materialized_view_in_api). The materialized view
-- moves to `private`, which PostgREST does not expose; `public.homepage_grid` becomes a
-- plain view over it that runs as its caller, so the API's reads, their columns and
-- their order stay exactly as they were. SET SCHEMA keeps the rows, the unique index
-- that REFRESH ... CONCURRENTLY needs, and the grants.

ALTER MATERIALIZED VIEW homepage_grid SET SCHEMA private;

CREATE VIEW homepage_grid WITH (security_invoker = true) AS
    SELECT id, content_type, content_id, content_title, grid_position, engagement_score, weekly_score, rank_score,
           view_count, share_count, bookmark_count, positive_sentiment_percent, data
    FROM private.homepage_grid
    ORDER BY grid_position, id;

REVOKE ALL ON homepage_grid FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT ON homepage_grid TO anon, authenticated, service_role;
