-- Creators (blueprint Table 5). The weekly import learns creators by name only, from
-- `mentioned_by` and from video credits, so channel_id and handle must be allowed to
-- be unknown: they stay unique when known (NULLs never collide) but are not NOT NULL
-- as the blueprint has them, which would make every import fail.

CREATE TABLE creators (
    id                      bigint GENERATED ALWAYS AS IDENTITY,
    creator_name            varchar(500) NOT NULL,
    channel_id              varchar(100),
    handle                  varchar(100),
    bio                     text,
    avatar_url              varchar(500),
    verified                boolean      NOT NULL DEFAULT false,
    subscriber_count        bigint       NOT NULL DEFAULT 0,
    monthly_video_count     smallint     NOT NULL DEFAULT 0,
    average_views_per_video bigint       NOT NULL DEFAULT 0,
    focus_areas             text[]       NOT NULL DEFAULT '{}',
    website_url             varchar(500),
    twitter_handle          varchar(100),
    is_active               boolean      NOT NULL DEFAULT true,
    created_at              timestamptz  NOT NULL DEFAULT now(),
    updated_at              timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT creators_pkey PRIMARY KEY (id),
    CONSTRAINT creators_creator_name_key UNIQUE (creator_name),
    CONSTRAINT creators_channel_id_key UNIQUE (channel_id),
    CONSTRAINT creators_handle_key UNIQUE (handle),
    CONSTRAINT creator_name_not_empty CHECK (length(trim(creator_name)) > 0),
    CONSTRAINT creators_counts_non_negative CHECK (
        subscriber_count >= 0 AND monthly_video_count >= 0 AND average_views_per_video >= 0
    )
);

CREATE INDEX idx_creators_subscriber_count ON creators (subscriber_count DESC);
CREATE INDEX idx_creators_focus_areas ON creators USING gin (focus_areas);
CREATE INDEX idx_creators_is_active ON creators (is_active) WHERE is_active;

CREATE TRIGGER update_creators_modtime
    BEFORE UPDATE ON creators
    FOR EACH ROW EXECUTE FUNCTION private.update_timestamp_column('updated_at');
SELECT private.enable_audit('creators');

-- Anyone reads active rows; admins and the pipeline write; nobody hard-deletes.
SELECT private.protect_editorial_table('creators', soft_delete => true);
