-- A transactional outbox for webhooks. The blueprint posted from inside the insert
-- trigger with pg_http: the import waited on the network, nothing was retried, and an
-- endpoint that was down lost the alert. Here an event is a row written in the same
-- transaction as the data it announces, and Dagster delivers it afterwards.

CREATE TABLE alert_events (
    id              text        NOT NULL DEFAULT 'evt_' || replace(gen_random_uuid()::text, '-', ''),
    -- The sensor's cursor; a re-send moves the event to the end of the queue.
    seq             bigserial   NOT NULL,
    destination     text        NOT NULL,
    kind            text        NOT NULL,
    -- (topic, week, kind) for trend spikes, the run id for failures: re-running or
    -- backfilling a week creates no second event.
    dedupe_key      text        NOT NULL,
    topic_id        bigint REFERENCES trending_topics (id),
    week            date,
    payload         jsonb       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending',
    -- Bumped by each manual re-send, so that the sensor's run key is fresh.
    generation      integer     NOT NULL DEFAULT 0,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    last_error      text,
    CONSTRAINT alert_events_pkey PRIMARY KEY (id),
    CONSTRAINT alert_events_seq_key UNIQUE (seq),
    CONSTRAINT alert_events_dedupe_key UNIQUE (dedupe_key),
    CONSTRAINT alert_destination_valid CHECK (destination IN ('editors', 'oncall')),
    CONSTRAINT alert_kind_valid CHECK (kind IN ('new_topic', 'score_jump', 'run_failure')),
    CONSTRAINT alert_status_valid CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    CONSTRAINT alert_payload_is_object CHECK (jsonb_typeof(payload) = 'object')
);
CREATE INDEX idx_alert_events_due ON alert_events (next_attempt_at) WHERE status IN ('pending', 'sending');

CREATE TABLE alert_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     text        NOT NULL REFERENCES alert_events (id),
    attempted_at timestamptz NOT NULL DEFAULT now(),
    url          text        NOT NULL,
    status_code  integer,
    error        text,
    duration_ms  integer     NOT NULL
);
CREATE INDEX idx_alert_attempts_event ON alert_attempts (event_id, attempted_at);

-- A 410 Gone disables its endpoint until an operator enables it again; events wait.
CREATE TABLE alert_endpoints (
    url         text        NOT NULL PRIMARY KEY,
    disabled_at timestamptz NOT NULL DEFAULT now(),
    reason      text        NOT NULL
);

-- Operational tables: the pipeline (service role) only.
REVOKE ALL ON alert_events, alert_attempts, alert_endpoints FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT ON alert_events, alert_attempts, alert_endpoints TO service_role;
ALTER TABLE alert_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE alert_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE alert_endpoints ENABLE ROW LEVEL SECURITY;

-- The trend spikes of `p_week`, if it is the newest week imported: topics seen for the
-- first time, and topics whose score rose by more than 20 % over the most recent earlier
-- week they appeared in. Called by the import inside its transaction; an older week (a
-- backfill) records history without paging editors about the past. Returns how many
-- events were new.
CREATE FUNCTION private.record_trend_spikes(p_week date) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
DECLARE
    created integer;
BEGIN
    IF p_week < (SELECT max(week) FROM public.analyzed_content_weeks) THEN
        RETURN 0;
    END IF;
    WITH this_week AS (
        SELECT h.*, t.topic_slug,
               (SELECT p.engagement_score FROM public.trending_topic_weeks AS p
                WHERE p.topic_id = h.topic_id AND p.week < h.week ORDER BY p.week DESC LIMIT 1) AS previous_score
        FROM public.trending_topic_weeks AS h
        JOIN public.trending_topics AS t ON t.id = h.topic_id
        WHERE h.week = p_week
    ),
    spikes AS (
        SELECT w.*,
               CASE WHEN w.previous_score IS NULL THEN 'new_topic' ELSE 'score_jump' END AS kind,
               CASE WHEN w.previous_score > 0
                    THEN round(100.0 * (w.engagement_score - w.previous_score) / w.previous_score, 1) END AS change_percent
        FROM this_week AS w
        WHERE w.previous_score IS NULL
           OR (w.previous_score = 0 AND w.engagement_score > 0)
           OR (w.previous_score > 0 AND w.engagement_score > 1.2 * w.previous_score)
    )
    INSERT INTO public.alert_events (destination, kind, dedupe_key, topic_id, week, payload)
    SELECT 'editors', s.kind, format('%s:%s:%s', s.topic_slug, p_week, s.kind), s.topic_id, p_week,
           jsonb_build_object(
               'event', 'trending_topic_spike_detected',
               'kind', s.kind,
               'topic_name', s.topic_name,
               'topic_slug', s.topic_slug,
               'week', p_week,
               'engagement_score', s.engagement_score,
               'previous_score', s.previous_score,
               'change_percent', s.change_percent,
               'mention_count', s.mention_count,
               'creators', to_jsonb(s.creators_array),
               'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'text', CASE s.kind
                   WHEN 'new_topic' THEN format('New trending topic: "%s" (score %s, mentioned by %s)',
                                                s.topic_name, s.engagement_score, s.mention_count)
                   ELSE format('Trending topic jumped: "%s" %s → %s (%s)',
                               s.topic_name, s.previous_score, s.engagement_score,
                               coalesce('+' || s.change_percent || ' %', 'from zero'))
               END)
    FROM spikes AS s
    ORDER BY s.engagement_score DESC, s.topic_slug
    ON CONFLICT (dedupe_key) DO NOTHING;
    GET DIAGNOSTICS created = ROW_COUNT;
    RETURN created;
END
$$;
REVOKE EXECUTE ON FUNCTION private.record_trend_spikes(date) FROM PUBLIC;
