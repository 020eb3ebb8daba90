-- The five topics for the homepage hero section (blueprint Function 3): active topics
-- first seen in the last seven days, best score first, newest first among equals.
-- Written in SQL rather than PL/pgSQL: the blueprint's PL/pgSQL version fails because
-- its output column names collide with the table's columns.

CREATE FUNCTION calculate_trending_topics()
    RETURNS TABLE (topic_id bigint, topic_name varchar, engagement_score smallint, rank_position smallint)
    LANGUAGE sql STABLE
    SET search_path = ''
AS $$
    SELECT t.id,
           t.topic_name,
           t.engagement_score,
           (row_number() OVER (ORDER BY t.engagement_score DESC, t.created_at DESC, t.id))::smallint
    FROM public.trending_topics AS t
    WHERE t.is_active
      AND t.created_at >= now() - interval '7 days'
    ORDER BY 4
    LIMIT 5
$$;

REVOKE EXECUTE ON FUNCTION calculate_trending_topics() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION calculate_trending_topics() TO anon, authenticated, service_role;
