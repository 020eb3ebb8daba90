-- Topics from the weekly analysis (blueprint Table 3). One row per topic, found by its
-- slug; the weekly history of scores lives beside it (weekly-import migrations).

CREATE TABLE trending_topics (
    id               bigint GENERATED ALWAYS AS IDENTITY,
    topic_name       varchar(500) NOT NULL,
    topic_slug       varchar(500) NOT NULL,
    description      text,
    engagement_score smallint     NOT NULL DEFAULT 0,
    mention_count    smallint     NOT NULL DEFAULT 0,
    creators_array   text[]       NOT NULL DEFAULT '{}',
    full_data        jsonb        NOT NULL,
    is_active        boolean      NOT NULL DEFAULT true,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    modified_at      timestamptz  NOT NULL DEFAULT now(),
    created_by       uuid REFERENCES auth.users (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT trending_topics_pkey PRIMARY KEY (id),
    CONSTRAINT trending_topics_topic_slug_key UNIQUE (topic_slug),
    CONSTRAINT topic_name_not_empty CHECK (length(trim(topic_name)) > 0),
    -- The slug is used in URLs: lowercase ASCII words joined by single hyphens.
    CONSTRAINT topic_slug_url_safe CHECK (topic_slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    CONSTRAINT trending_engagement_score_range CHECK (engagement_score BETWEEN 0 AND 100),
    CONSTRAINT trending_mention_count_non_negative CHECK (mention_count >= 0),
    CONSTRAINT trending_full_data_is_object CHECK (jsonb_typeof(full_data) = 'object')
);

CREATE INDEX idx_trending_engagement_score ON trending_topics (engagement_score DESC, created_at DESC);
CREATE INDEX idx_trending_created_at ON trending_topics (created_at DESC);
CREATE INDEX idx_trending_is_active ON trending_topics (is_active) WHERE is_active;
CREATE INDEX idx_trending_mention_count ON trending_topics (mention_count DESC);
CREATE INDEX idx_trending_creators ON trending_topics USING gin (creators_array);

CREATE TRIGGER update_trending_topics_modtime
    BEFORE UPDATE ON trending_topics
    FOR EACH ROW EXECUTE FUNCTION private.update_timestamp_column('modified_at');
-- Protection 1: a hard DELETE removes nothing; soft delete is `is_active = false`.
CREATE TRIGGER protect_trending_topics_deletion
    BEFORE DELETE ON trending_topics
    FOR EACH ROW EXECUTE FUNCTION private.ignore_delete();
CREATE TRIGGER trending_topics_no_truncate
    BEFORE TRUNCATE ON trending_topics
    FOR EACH STATEMENT EXECUTE FUNCTION private.forbid_truncate();
SELECT private.enable_audit('trending_topics');

-- Anyone reads active rows; admins and the pipeline write; nobody hard-deletes.
SELECT private.protect_editorial_table('trending_topics', soft_delete => true);
