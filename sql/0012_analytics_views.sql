-- Read-only views for dashboards (blueprint Policy 2 and Section 10). Three of them
-- run as the caller (security_invoker), so the tables' row-level security decides what
-- each reader sees. The sentiment aggregate deliberately runs as its owner: it counts
-- every interaction, and shows only counts, never a user.

CREATE VIEW engagement_sentiment_aggregate AS
    SELECT content_type,
           content_id,
           count(*) FILTER (WHERE sentiment = 'positive') AS positive_count,
           count(*) FILTER (WHERE sentiment = 'neutral')  AS neutral_count,
           count(*) FILTER (WHERE sentiment = 'negative') AS negative_count,
           count(*)                                       AS total_count,
           round(100.0 * count(*) FILTER (WHERE sentiment = 'positive') / count(*), 2) AS positive_percent
    FROM content_engagement
    WHERE created_at >= now() - interval '7 days'
    GROUP BY content_type, content_id;

-- Weeks start on Monday 00:00 UTC, whatever the session's time zone.
CREATE VIEW trending_topics_by_week WITH (security_invoker = true) AS
    SELECT date_trunc('week', created_at AT TIME ZONE 'UTC')::date AS week,
           topic_name,
           count(*)              AS mentions,
           avg(engagement_score) AS avg_score
    FROM trending_topics
    WHERE is_active
    GROUP BY 1, topic_name;

-- The blueprint summed full_data->>'views' (text, which sum() rejects); views is a column.
CREATE VIEW creator_performance WITH (security_invoker = true) AS
    SELECT c.id                      AS creator_id,
           c.creator_name,
           count(v.id)               AS video_count,
           coalesce(sum(v.views), 0) AS total_views,
           avg(v.views)              AS avg_views
    FROM creators AS c
    LEFT JOIN top_videos AS v ON v.creator_id = c.id AND v.is_active
    GROUP BY c.id, c.creator_name;

CREATE VIEW user_engagement_summary WITH (security_invoker = true) AS
    SELECT user_id,
           count(*)                                              AS total_interactions,
           count(*) FILTER (WHERE interaction_type = 'share')    AS share_count,
           round(100.0 * count(*) FILTER (WHERE sentiment = 'positive') / count(*), 2) AS positive_percent
    FROM content_engagement
    WHERE user_id IS NOT NULL
    GROUP BY user_id;

REVOKE ALL ON engagement_sentiment_aggregate, trending_topics_by_week, creator_performance,
              user_engagement_summary
    FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT ON engagement_sentiment_aggregate, trending_topics_by_week, creator_performance
    TO anon, authenticated, service_role;
-- Per-user figures: readers see their own row (RLS on content_engagement), admins all.
GRANT SELECT ON user_engagement_summary TO authenticated, service_role;
