-- engagement_sentiment_aggregate ran as its owner (0012) so that anyone could read
-- counts over every reader's interactions. A view that bypasses row-level security is
-- what Supabase's Security Advisor reports as an ERROR (security_definer_view), and
-- rightly: anything later added to its query would be exposed just as silently.
-- The elevated part is now one function outside the API's schema, with a pinned
-- search_path, that returns only the counts; the view runs as its caller and reads
-- the function. What each role may read is unchanged (tests/security_matrix.py).

CREATE FUNCTION private.engagement_sentiment_7d()
    RETURNS TABLE (content_type varchar, content_id bigint, positive_count bigint, neutral_count bigint,
                   negative_count bigint, total_count bigint, positive_percent numeric)
    LANGUAGE sql STABLE
    SECURITY DEFINER
    SET search_path = ''
AS $$
    SELECT content_type,
           content_id,
           count(*) FILTER (WHERE sentiment = 'positive'),
           count(*) FILTER (WHERE sentiment = 'neutral'),
           count(*) FILTER (WHERE sentiment = 'negative'),
           count(*),
           round(100.0 * count(*) FILTER (WHERE sentiment = 'positive') / count(*), 2)
    FROM public.content_engagement
    WHERE created_at >= now() - interval '7 days'
    GROUP BY content_type, content_id
$$;
REVOKE EXECUTE ON FUNCTION private.engagement_sentiment_7d() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION private.engagement_sentiment_7d() TO anon, authenticated, service_role;

-- Same columns, same grants: CREATE OR REPLACE keeps the privileges already given.
CREATE OR REPLACE VIEW engagement_sentiment_aggregate WITH (security_invoker = true) AS
    SELECT content_type::varchar(50), content_id, positive_count, neutral_count, negative_count, total_count,
           positive_percent
    FROM private.engagement_sentiment_7d();
