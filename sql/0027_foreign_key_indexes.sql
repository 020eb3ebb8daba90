-- carnivore: no-transaction
--
-- Four foreign keys had no index on their referencing column, so deleting a Supabase
-- user (or a topic) scanned each table in full to set created_by / creator_id /
-- topic_id to NULL. Built concurrently, so that a live database keeps taking writes;
-- partial, because only rows that reference something need finding.

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_trending_created_by
    ON trending_topics (created_by) WHERE created_by IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_bento_created_by
    ON bento_grid_items (created_by) WHERE created_by IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_video_weeks_creator
    ON top_video_weeks (creator_id) WHERE creator_id IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_alert_events_topic
    ON alert_events (topic_id) WHERE topic_id IS NOT NULL;
