-- calculate_trending_topics() ranks the topics of the latest week that has any by
-- their score that week. The blueprint filtered on created_at, which an upsert sets once:
-- a topic that kept trending dropped out after its first week.

CREATE OR REPLACE FUNCTION calculate_trending_topics()
    RETURNS TABLE (topic_id bigint, topic_name varchar, engagement_score smallint, rank_position smallint)
    LANGUAGE sql STABLE
    SET search_path = ''
AS $$
    SELECT t.id,
           t.topic_name,
           h.engagement_score,
           (row_number() OVER (ORDER BY h.engagement_score DESC, h.mention_count DESC, t.topic_slug))::smallint
    FROM public.trending_topic_weeks AS h
    JOIN public.trending_topics AS t ON t.id = h.topic_id
    WHERE t.is_active
      AND h.week = (SELECT max(week) FROM public.trending_topic_weeks)
    ORDER BY 4
    LIMIT 5
$$;

-- Weeks come from the history now, with the creators mentioning the topic that week.
CREATE OR REPLACE VIEW trending_topics_by_week WITH (security_invoker = true) AS
    SELECT h.week,
           h.topic_name,
           sum(h.mention_count)    AS mentions,
           avg(h.engagement_score) AS avg_score
    FROM trending_topic_weeks AS h
    JOIN trending_topics AS t ON t.id = h.topic_id
    WHERE t.is_active
    GROUP BY h.week, h.topic_name;
