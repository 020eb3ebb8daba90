-- Every view, click, share, bookmark, comment and reaction (blueprint Table 2),
-- range-partitioned by month on created_at. A partitioned table's primary key must
-- contain the partition key, hence (id, created_at). The DEFAULT partition catches
-- whatever no monthly partition covers, so an insert never fails for want of one.

CREATE TABLE content_engagement (
    -- bigserial, not an identity column: identity on partitioned tables needs PostgreSQL 17.
    id               bigserial,
    content_id       bigint      NOT NULL,
    content_type     varchar(50) NOT NULL,
    user_id          uuid REFERENCES auth.users (id) ON DELETE SET NULL ON UPDATE CASCADE,
    -- Derived rather than supplied, so it can never contradict user_id.
    is_anonymous     boolean GENERATED ALWAYS AS (user_id IS NULL) STORED,
    interaction_type varchar(50) NOT NULL,
    sentiment        varchar(20),
    sentiment_score  numeric(3,2),
    comment_text     text,
    metadata         jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT content_engagement_pkey PRIMARY KEY (id, created_at),
    CONSTRAINT engagement_content_type_valid
        CHECK (content_type IN ('trending_topic', 'top_video', 'community_highlight', 'research_update')),
    CONSTRAINT engagement_interaction_type_valid
        CHECK (interaction_type IN ('view', 'click', 'share', 'bookmark', 'comment', 'reaction')),
    CONSTRAINT engagement_sentiment_valid CHECK (sentiment IN ('positive', 'negative', 'neutral')),
    CONSTRAINT engagement_sentiment_score_range CHECK (sentiment_score BETWEEN -1 AND 1),
    -- Protection 4: no interaction from the future.
    CONSTRAINT engagement_timestamp_valid CHECK (created_at <= now()),
    CONSTRAINT engagement_metadata_is_object CHECK (metadata IS NULL OR jsonb_typeof(metadata) = 'object')
) PARTITION BY RANGE (created_at);

CREATE TABLE content_engagement_default PARTITION OF content_engagement DEFAULT;

-- Scoring counts interactions per (content_type, content_id) over a time window; this
-- index answers that from the index alone. The blueprint keyed it on content_id only,
-- which mixes a video and a topic that share an id; its single-column index on
-- content_id is the prefix of the same mistake and is left out.
CREATE INDEX idx_engagement_composite
    ON content_engagement (content_type, content_id, created_at DESC) INCLUDE (interaction_type, sentiment);
CREATE INDEX idx_engagement_created_at ON content_engagement (created_at DESC);
CREATE INDEX idx_engagement_type_sentiment ON content_engagement (interaction_type, sentiment);
CREATE INDEX idx_engagement_user_id ON content_engagement (user_id) WHERE user_id IS NOT NULL;

CREATE TRIGGER content_engagement_no_truncate
    BEFORE TRUNCATE ON content_engagement
    FOR EACH STATEMENT EXECUTE FUNCTION private.forbid_truncate();
SELECT private.enable_audit('content_engagement');

-- The website appends; nobody updates or deletes an interaction, the service role
-- (which bypasses row-level security) included.
REVOKE ALL ON content_engagement FROM PUBLIC, anon, authenticated, service_role;
GRANT INSERT ON content_engagement TO anon;
GRANT SELECT, INSERT ON content_engagement TO authenticated, service_role;
GRANT USAGE ON SEQUENCE content_engagement_id_seq TO anon, authenticated, service_role;

ALTER TABLE content_engagement ENABLE ROW LEVEL SECURITY;
CREATE POLICY content_engagement_user_isolation ON content_engagement
    FOR SELECT TO authenticated
    USING (user_id = (SELECT auth.uid()) OR (SELECT private.is_admin()));
-- Anonymous visitors (no uid) can only record interactions without a user id.
CREATE POLICY content_engagement_user_insert ON content_engagement
    FOR INSERT TO anon, authenticated
    WITH CHECK (user_id IS NULL OR user_id = (SELECT auth.uid()));
CREATE POLICY content_engagement_no_update ON content_engagement
    FOR UPDATE USING (false);
CREATE POLICY content_engagement_no_delete ON content_engagement
    FOR DELETE USING (false);

-- A partition named in a query is read without the parent's policies, so the API
-- roles get no privilege on any partition; RLS is on as a second lock.
CREATE FUNCTION private.lock_engagement_partition(partition regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
BEGIN
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC, anon, authenticated, service_role', partition);
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', partition);
END
$$;
REVOKE EXECUTE ON FUNCTION private.lock_engagement_partition(regclass) FROM PUBLIC;

-- The monthly partition holding `month`, created if missing; returns its name. Bounds
-- are UTC midnights written out in full: a bare date would follow the session's time
-- zone and leave gaps or overlaps between months.
CREATE FUNCTION private.create_engagement_partition(month date) RETURNS text
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
DECLARE
    first_day date := make_date(extract(year FROM month)::int, extract(month FROM month)::int, 1);
    next_day  date := (first_day + interval '1 month')::date;
    name      text := 'content_engagement_' || to_char(first_day, 'YYYY_MM');
BEGIN
    IF to_regclass(format('public.%I', name)) IS NULL THEN
        EXECUTE format('CREATE TABLE public.%I PARTITION OF public.content_engagement FOR VALUES FROM (%L) TO (%L)',
                       name, first_day::timestamp AT TIME ZONE 'UTC', next_day::timestamp AT TIME ZONE 'UTC');
    END IF;
    PERFORM private.lock_engagement_partition(format('public.%I', name)::regclass);
    RETURN name;
END
$$;
REVOKE EXECUTE ON FUNCTION private.create_engagement_partition(date) FROM PUBLIC;

SELECT private.lock_engagement_partition('content_engagement_default');
-- This month and the next, so that the first inserts land in monthly partitions.
SELECT private.create_engagement_partition((now() AT TIME ZONE 'UTC')::date);
SELECT private.create_engagement_partition(((now() AT TIME ZONE 'UTC') + interval '1 month')::date);
