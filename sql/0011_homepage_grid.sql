-- The homepage reads this materialized view, not the table. It holds the first seven
-- positions (hero, four featured, two standard): the blueprint's summary and its
-- appendix read seven items from it, while its definition kept only five.
-- Only columns anyone may read: nothing about who created an item.

CREATE MATERIALIZED VIEW homepage_grid AS
    SELECT id,
           content_type,
           content_id,
           content_title,
           grid_position,
           engagement_score,
           view_count,
           share_count,
           bookmark_count,
           positive_sentiment_percent,
           data
    FROM bento_grid_items
    WHERE grid_position <= 7
    ORDER BY grid_position, engagement_score DESC, id
WITH DATA;

-- REFRESH ... CONCURRENTLY needs a unique index on plain columns with no WHERE clause.
CREATE UNIQUE INDEX idx_homepage_grid_id ON homepage_grid (id);
CREATE INDEX idx_homepage_grid_position ON homepage_grid (grid_position);

-- Materialized views have no row-level security: what is in it is public by design.
REVOKE ALL ON homepage_grid FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT ON homepage_grid TO anon, authenticated, service_role;
