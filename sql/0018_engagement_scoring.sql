-- Engagement scoring that keeps up with inserts without re-reading history.
--
-- The blueprint recounted an item's whole history three times on every insert (a
-- per-row trigger), so inserts slowed with the square of the rows. Here a statement-
-- level trigger folds each INSERT's rows (one or a COPY of thousands) into hourly
-- buckets per item and all-time totals, then re-scores the grid items it touched:
-- the cost of an insert depends on the hours in the windows, not on the events. The
-- edge hour of each window is counted exactly from the events (at most an hour's
-- worth), so the 24-hour and 7-day windows are exact, and they move with time even
-- when nothing is inserted: the hourly re-rank recomputes every grid item.

-- What the weekly import gave an item, and the blend that orders the grid.
ALTER TABLE bento_grid_items
    ADD COLUMN weekly_score numeric(5,2) NOT NULL DEFAULT 0,
    ADD COLUMN rank_score   numeric(5,2) NOT NULL DEFAULT 0,
    ADD CONSTRAINT bento_weekly_score_range CHECK (weekly_score BETWEEN 0 AND 100),
    ADD CONSTRAINT bento_rank_score_range CHECK (rank_score BETWEEN 0 AND 100);
UPDATE bento_grid_items SET weekly_score = engagement_score, rank_score = engagement_score;

CREATE TABLE private.engagement_buckets (
    content_type varchar(50) NOT NULL,
    content_id   bigint      NOT NULL,
    bucket_start timestamptz NOT NULL,  -- the UTC hour
    views        integer     NOT NULL DEFAULT 0,
    shares       integer     NOT NULL DEFAULT 0,
    bookmarks    integer     NOT NULL DEFAULT 0,
    positives    integer     NOT NULL DEFAULT 0,
    interactions integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (content_type, content_id, bucket_start)
);

CREATE TABLE private.engagement_totals (
    content_type varchar(50) NOT NULL,
    content_id   bigint      NOT NULL,
    views        bigint      NOT NULL DEFAULT 0,
    shares       bigint      NOT NULL DEFAULT 0,
    bookmarks    bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (content_type, content_id)
);
REVOKE ALL ON private.engagement_buckets, private.engagement_totals FROM PUBLIC, anon, authenticated, service_role;

-- The blueprint's formula, on one item's last 24 hours.
CREATE FUNCTION private.engagement_score(views bigint, shares bigint, bookmarks bigint, positives bigint,
                                         interactions bigint) RETURNS numeric
    LANGUAGE sql IMMUTABLE
    SET search_path = ''
AS $$
    SELECT round(least(greatest(
        views * 1 + shares * 5 + bookmarks * 3
        + CASE WHEN interactions > 0 THEN 20.0 * positives / interactions ELSE 0 END, 0), 100), 2)
$$;

-- The grid's order: the weekly score, lifted by half of however far readers' 24-hour
-- score exceeds it. Readers can raise an item but never sink it below its weekly score
-- (a single view scores 1, which would otherwise knock the hero off the page).
CREATE FUNCTION private.rank_score(weekly numeric, engaged numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE
    SET search_path = ''
AS $$
    SELECT round(weekly + greatest(coalesce(engaged, 0) - weekly, 0) / 2, 2)
$$;

-- Each item's engagement now: all-time counts, the 24-hour score (NULL when nothing
-- happened in the last 24 hours) and the 7-day positive share (50 when nothing).
CREATE FUNCTION private.item_engagement(p_types text[], p_ids bigint[], p_now timestamptz DEFAULT now())
    RETURNS TABLE (content_type varchar, content_id bigint, views bigint, shares bigint, bookmarks bigint,
                   interactions_24h bigint, engagement_score numeric, positive_sentiment_percent numeric)
    LANGUAGE sql STABLE
    SET search_path = ''
AS $$
    WITH items AS (
        SELECT DISTINCT u.t::varchar AS content_type, u.i AS content_id FROM unnest(p_types, p_ids) AS u(t, i)
    ),
    edges AS (
        SELECT p_now - interval '24 hours' AS since_day,
               p_now - interval '7 days'   AS since_week,
               date_trunc('hour', p_now - interval '24 hours', 'UTC') AS day_edge,
               date_trunc('hour', p_now - interval '7 days', 'UTC')   AS week_edge
    ),
    whole_hours AS (  -- buckets entirely inside each window
        SELECT i.content_type, i.content_id,
               coalesce(sum(b.views)        FILTER (WHERE b.bucket_start > e.day_edge), 0) AS views,
               coalesce(sum(b.shares)       FILTER (WHERE b.bucket_start > e.day_edge), 0) AS shares,
               coalesce(sum(b.bookmarks)    FILTER (WHERE b.bucket_start > e.day_edge), 0) AS bookmarks,
               coalesce(sum(b.positives)    FILTER (WHERE b.bucket_start > e.day_edge), 0) AS positives,
               coalesce(sum(b.interactions) FILTER (WHERE b.bucket_start > e.day_edge), 0) AS interactions,
               coalesce(sum(b.positives), 0)    AS week_positives,
               coalesce(sum(b.interactions), 0) AS week_interactions
        FROM items AS i
        CROSS JOIN edges AS e
        LEFT JOIN private.engagement_buckets AS b
               ON b.content_type = i.content_type AND b.content_id = i.content_id AND b.bucket_start > e.week_edge
        GROUP BY i.content_type, i.content_id
    ),
    edge_hours AS (  -- the part of each window's first hour that is inside it, from the events
        SELECT i.content_type, i.content_id,
               count(*) FILTER (WHERE x.day AND c.interaction_type = 'view')     AS views,
               count(*) FILTER (WHERE x.day AND c.interaction_type = 'share')    AS shares,
               count(*) FILTER (WHERE x.day AND c.interaction_type = 'bookmark') AS bookmarks,
               count(*) FILTER (WHERE x.day AND c.sentiment = 'positive')        AS positives,
               count(*) FILTER (WHERE x.day)                                     AS interactions,
               count(*) FILTER (WHERE x.week AND c.sentiment = 'positive')       AS week_positives,
               count(*) FILTER (WHERE x.week)                                    AS week_interactions
        FROM items AS i
        CROSS JOIN edges AS e
        JOIN public.content_engagement AS c
          ON c.content_type = i.content_type AND c.content_id = i.content_id
         AND ((c.created_at >= e.since_day AND c.created_at < e.day_edge + interval '1 hour')
           OR (c.created_at >= e.since_week AND c.created_at < e.week_edge + interval '1 hour'))
        CROSS JOIN LATERAL (SELECT c.created_at >= e.since_day AND c.created_at < e.day_edge + interval '1 hour',
                                   c.created_at >= e.since_week AND c.created_at < e.week_edge + interval '1 hour')
                           AS x(day, week)
        GROUP BY i.content_type, i.content_id
    )
    SELECT w.content_type, w.content_id,
           coalesce(t.views, 0), coalesce(t.shares, 0), coalesce(t.bookmarks, 0),
           w.interactions + coalesce(g.interactions, 0),
           CASE WHEN w.interactions + coalesce(g.interactions, 0) > 0 THEN
               private.engagement_score(w.views + coalesce(g.views, 0), w.shares + coalesce(g.shares, 0),
                                        w.bookmarks + coalesce(g.bookmarks, 0), w.positives + coalesce(g.positives, 0),
                                        w.interactions + coalesce(g.interactions, 0))
           END,
           CASE WHEN w.week_interactions + coalesce(g.week_interactions, 0) = 0 THEN 50.00
                ELSE round(100.0 * (w.week_positives + coalesce(g.week_positives, 0))
                           / (w.week_interactions + coalesce(g.week_interactions, 0)), 2)
           END
    FROM whole_hours AS w
    LEFT JOIN edge_hours AS g USING (content_type, content_id)
    LEFT JOIN private.engagement_totals AS t USING (content_type, content_id)
$$;

-- Bring the scores and counts of the given grid items up to date (positions are the
-- re-rank's job). Rows are locked in id order, as the grid writers do, so that a bulk
-- load and a re-rank queue instead of deadlocking.
CREATE FUNCTION private.refresh_grid_scores(p_types text[], p_ids bigint[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
DECLARE
    changed integer;
BEGIN
    PERFORM 1 FROM public.bento_grid_items AS g
    WHERE (g.content_type, g.content_id) IN (SELECT * FROM unnest(p_types, p_ids))
    ORDER BY g.id FOR UPDATE;

    UPDATE public.bento_grid_items AS g
    SET engagement_score = coalesce(e.engagement_score, g.weekly_score),
        rank_score = private.rank_score(g.weekly_score, e.engagement_score),
        view_count = e.views, share_count = e.shares, bookmark_count = e.bookmarks,
        positive_sentiment_percent = e.positive_sentiment_percent
    FROM private.item_engagement(p_types, p_ids) AS e
    WHERE g.content_type = e.content_type AND g.content_id = e.content_id
      AND (g.engagement_score, g.rank_score, g.view_count, g.share_count, g.bookmark_count,
           g.positive_sentiment_percent)
          IS DISTINCT FROM
          (coalesce(e.engagement_score, g.weekly_score), private.rank_score(g.weekly_score, e.engagement_score),
           e.views, e.shares, e.bookmarks, e.positive_sentiment_percent);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;

-- SECURITY DEFINER: the website inserts as anon, who may not touch the buckets or the grid.
CREATE FUNCTION private.track_engagement() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $$
BEGIN
    INSERT INTO private.engagement_buckets AS b
        (content_type, content_id, bucket_start, views, shares, bookmarks, positives, interactions)
    SELECT n.content_type, n.content_id, date_trunc('hour', n.created_at, 'UTC'),
           count(*) FILTER (WHERE n.interaction_type = 'view'),
           count(*) FILTER (WHERE n.interaction_type = 'share'),
           count(*) FILTER (WHERE n.interaction_type = 'bookmark'),
           count(*) FILTER (WHERE n.sentiment = 'positive'),
           count(*)
    FROM new_rows AS n
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
    ON CONFLICT (content_type, content_id, bucket_start) DO UPDATE
    SET views = b.views + EXCLUDED.views, shares = b.shares + EXCLUDED.shares,
        bookmarks = b.bookmarks + EXCLUDED.bookmarks, positives = b.positives + EXCLUDED.positives,
        interactions = b.interactions + EXCLUDED.interactions;

    INSERT INTO private.engagement_totals AS t (content_type, content_id, views, shares, bookmarks)
    SELECT n.content_type, n.content_id,
           count(*) FILTER (WHERE n.interaction_type = 'view'),
           count(*) FILTER (WHERE n.interaction_type = 'share'),
           count(*) FILTER (WHERE n.interaction_type = 'bookmark')
    FROM new_rows AS n
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (content_type, content_id) DO UPDATE
    SET views = t.views + EXCLUDED.views, shares = t.shares + EXCLUDED.shares,
        bookmarks = t.bookmarks + EXCLUDED.bookmarks;

    PERFORM private.refresh_grid_scores(array_agg(k.content_type), array_agg(k.content_id))
    FROM (SELECT DISTINCT n.content_type, n.content_id FROM new_rows AS n) AS k;
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION private.track_engagement(), private.refresh_grid_scores(text[], bigint[]),
    private.item_engagement(text[], bigint[], timestamptz) FROM PUBLIC;

CREATE TRIGGER engagement_tracking
    AFTER INSERT ON content_engagement
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION private.track_engagement();

-- Interactions recorded before this migration count too.
INSERT INTO private.engagement_buckets (content_type, content_id, bucket_start, views, shares, bookmarks, positives,
                                        interactions)
SELECT content_type, content_id, date_trunc('hour', created_at, 'UTC'),
       count(*) FILTER (WHERE interaction_type = 'view'), count(*) FILTER (WHERE interaction_type = 'share'),
       count(*) FILTER (WHERE interaction_type = 'bookmark'), count(*) FILTER (WHERE sentiment = 'positive'), count(*)
FROM content_engagement
GROUP BY 1, 2, 3;
INSERT INTO private.engagement_totals (content_type, content_id, views, shares, bookmarks)
SELECT content_type, content_id, count(*) FILTER (WHERE interaction_type = 'view'),
       count(*) FILTER (WHERE interaction_type = 'share'), count(*) FILTER (WHERE interaction_type = 'bookmark')
FROM content_engagement
GROUP BY 1, 2;
