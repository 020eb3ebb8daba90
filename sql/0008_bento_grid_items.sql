-- The ranked homepage grid (blueprint Table 1). content_id points at trending_topics
-- or top_videos depending on content_type, so it cannot be a foreign key.
-- Positions: 1 is the hero (2x2), 2-5 are featured (2x1), 6 and on are standard.

CREATE TABLE bento_grid_items (
    id                         bigint GENERATED ALWAYS AS IDENTITY,
    content_type               varchar(50)  NOT NULL,
    content_id                 bigint       NOT NULL,
    content_title              varchar(500) NOT NULL,
    grid_position              smallint     NOT NULL,
    engagement_score           numeric(5,2) NOT NULL DEFAULT 0,
    view_count                 bigint       NOT NULL DEFAULT 0,
    share_count                bigint       NOT NULL DEFAULT 0,
    bookmark_count             bigint       NOT NULL DEFAULT 0,
    positive_sentiment_percent numeric(5,2) NOT NULL DEFAULT 50,
    data                       jsonb,
    created_at                 timestamptz  NOT NULL DEFAULT now(),
    modified_at                timestamptz  NOT NULL DEFAULT now(),
    created_by                 uuid REFERENCES auth.users (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT bento_grid_items_pkey PRIMARY KEY (id),
    -- Protection 7: one grid item per piece of content.
    CONSTRAINT unique_content_per_grid UNIQUE (content_type, content_id),
    CONSTRAINT bento_content_type_valid
        CHECK (content_type IN ('trending_topic', 'top_video', 'community_highlight', 'research_update')),
    CONSTRAINT bento_content_title_not_empty CHECK (length(trim(content_title)) > 0),
    CONSTRAINT bento_grid_position_range CHECK (grid_position BETWEEN 1 AND 100),
    -- Protection 3.
    CONSTRAINT engagement_score_range CHECK (engagement_score BETWEEN 0 AND 100),
    CONSTRAINT bento_counts_non_negative CHECK (view_count >= 0 AND share_count >= 0 AND bookmark_count >= 0),
    CONSTRAINT bento_positive_sentiment_range CHECK (positive_sentiment_percent BETWEEN 0 AND 100)
);

-- The blueprint's idx_bento_content_lookup (content_type, content_id) would duplicate
-- the index behind unique_content_per_grid, so it is left out.
CREATE INDEX idx_bento_grid_position ON bento_grid_items (grid_position);
CREATE INDEX idx_bento_engagement_score ON bento_grid_items (engagement_score DESC, grid_position);
CREATE INDEX idx_bento_created_at ON bento_grid_items (created_at DESC);

CREATE TRIGGER update_bento_grid_items_modtime
    BEFORE UPDATE ON bento_grid_items
    FOR EACH ROW EXECUTE FUNCTION private.update_timestamp_column('modified_at');
SELECT private.enable_audit('bento_grid_items');

-- Anyone reads the grid; admins and the pipeline rank it (Protection 6).
SELECT private.protect_editorial_table('bento_grid_items', soft_delete => false);
