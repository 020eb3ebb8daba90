-- The homepage for one reader (blueprint Edge Function 2), as a function the website
-- calls through PostgREST (`/rpc/get_personalized_grid`). Every grid item gets +5 per
-- tag it shares with the reader's interest_tags, at most +20, capped at 100, and the
-- grid is re-sorted by that. It runs as the caller (SECURITY INVOKER), so row-level
-- security decides whose interests it can see: asking for another reader's id finds no
-- interests and returns the public grid, as do no id, an unknown id and inactive ones.

CREATE FUNCTION get_personalized_grid(p_user_id uuid DEFAULT NULL, p_limit integer DEFAULT 7)
    RETURNS TABLE (id bigint, content_type varchar, content_id bigint, content_title varchar,
                   grid_position smallint, engagement_score numeric, positive_sentiment_percent numeric,
                   personalization_boost integer, personalized_score numeric, data jsonb)
    LANGUAGE sql STABLE
    SET search_path = ''
AS $$
    WITH mine AS (
        SELECT coalesce((SELECT u.interest_tags FROM public.user_interests AS u
                         WHERE u.user_id = p_user_id AND u.is_active), '{}') AS tags
    ),
    boosted AS (
        SELECT g.*,
               least(5 * (SELECT count(DISTINCT tag)::integer
                          FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(g.data -> 'tags') = 'array'
                                                              THEN g.data -> 'tags' ELSE '[]' END) AS tag
                          WHERE tag = ANY (mine.tags)), 20) AS boost
        FROM public.bento_grid_items AS g
        CROSS JOIN mine
    )
    SELECT b.id, b.content_type, b.content_id, b.content_title, b.grid_position, b.engagement_score,
           b.positive_sentiment_percent, b.boost, least(b.rank_score + b.boost, 100), b.data
    FROM boosted AS b
    ORDER BY least(b.rank_score + b.boost, 100) DESC, b.grid_position
    LIMIT greatest(least(p_limit, 100), 0)
$$;

REVOKE EXECUTE ON FUNCTION get_personalized_grid(uuid, integer) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION get_personalized_grid(uuid, integer) TO anon, authenticated, service_role;
