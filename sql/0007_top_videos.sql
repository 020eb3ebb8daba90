-- Top videos of each week. The blueprint imports into this table but never defines
-- it; this design takes its columns from the import script and its data-flow diagram,
-- and links each video to its creator.

CREATE TABLE top_videos (
    id                bigint GENERATED ALWAYS AS IDENTITY,
    video_id          varchar(64)  NOT NULL,
    title             varchar(500) NOT NULL,
    creator_name      varchar(500),
    creator_id        bigint REFERENCES creators (id) ON DELETE SET NULL ON UPDATE CASCADE,
    views             bigint       NOT NULL DEFAULT 0,
    tags              text[]       NOT NULL DEFAULT '{}',
    -- {"positive_percent": .., "negative_percent": .., "neutral_percent": ..}
    comment_sentiment jsonb        NOT NULL DEFAULT '{}',
    full_data         jsonb        NOT NULL,
    is_active         boolean      NOT NULL DEFAULT true,
    created_at        timestamptz  NOT NULL DEFAULT now(),
    updated_at        timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT top_videos_pkey PRIMARY KEY (id),
    CONSTRAINT top_videos_video_id_key UNIQUE (video_id),
    CONSTRAINT video_id_not_empty CHECK (length(trim(video_id)) > 0),
    CONSTRAINT video_title_not_empty CHECK (length(trim(title)) > 0),
    CONSTRAINT video_views_non_negative CHECK (views >= 0),
    CONSTRAINT video_comment_sentiment_is_object CHECK (jsonb_typeof(comment_sentiment) = 'object'),
    CONSTRAINT video_full_data_is_object CHECK (jsonb_typeof(full_data) = 'object')
);

CREATE INDEX idx_top_videos_views ON top_videos (views DESC);
CREATE INDEX idx_top_videos_creator_id ON top_videos (creator_id);
CREATE INDEX idx_top_videos_tags ON top_videos USING gin (tags);
CREATE INDEX idx_top_videos_is_active ON top_videos (is_active) WHERE is_active;

CREATE TRIGGER update_top_videos_modtime
    BEFORE UPDATE ON top_videos
    FOR EACH ROW EXECUTE FUNCTION private.update_timestamp_column('updated_at');
SELECT private.enable_audit('top_videos');

-- Anyone reads active rows; admins and the pipeline write; nobody hard-deletes.
SELECT private.protect_editorial_table('top_videos', soft_delete => true);
