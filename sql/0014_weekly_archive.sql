-- The raw analyzed_content.json of every imported week, byte for byte, so that any
-- week can be replayed. One row per week (the Monday, UTC, that names the file); a
-- changed file for the same week replaces it.

CREATE TABLE analyzed_content_weeks (
    week                date        NOT NULL,
    source_file         text        NOT NULL,
    sha256              char(64)    NOT NULL,
    raw_content         text        NOT NULL,
    document_shape      text        NOT NULL,
    analysis_date       timestamptz,
    community_sentiment jsonb,
    topic_count         integer     NOT NULL,
    video_count         integer     NOT NULL,
    imported_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT analyzed_content_weeks_pkey PRIMARY KEY (week),
    CONSTRAINT archive_week_is_monday CHECK (extract(isodow FROM week) = 1),
    CONSTRAINT archive_sha256_hex CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT archive_shape_valid CHECK (document_shape IN ('nested', 'flat'))
);

-- The pipeline's raw input: the service role only.
REVOKE ALL ON analyzed_content_weeks FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE ON analyzed_content_weeks TO service_role;
ALTER TABLE analyzed_content_weeks ENABLE ROW LEVEL SECURITY;
