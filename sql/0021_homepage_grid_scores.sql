-- homepage_grid gains the scores behind the order: the weekly score from the import and
-- the rank score that blends in readers' last 24 hours (engagement_score stays the
-- blueprint's formula value). A materialized view cannot gain columns, so it is made
-- anew, with the same indexes and grants.

DROP MATERIALIZED VIEW homepage_grid;

CREATE MATERIALIZED VIEW homepage_grid AS
    SELECT id,
           content_type,
           content_id,
           content_title,
           grid_position,
           engagement_score,
           weekly_score,
           rank_score,
           view_count,
           share_count,
           bookmark_count,
           positive_sentiment_percent,
           data
    FROM bento_grid_items
    WHERE grid_position <= 7
    ORDER BY grid_position, id
WITH DATA;

CREATE UNIQUE INDEX idx_homepage_grid_id ON homepage_grid (id);
CREATE INDEX idx_homepage_grid_position ON homepage_grid (grid_position);

REVOKE ALL ON homepage_grid FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT ON homepage_grid TO anon, authenticated, service_role;
