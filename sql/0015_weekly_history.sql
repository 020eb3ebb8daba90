-- What each topic, video and creator looked like in each week, so that trends over
-- time and week-over-week jumps can be computed. The main tables carry the values of
-- the latest week a row appeared in (last_seen_week); "current" content is content
-- seen in the latest imported week. Deriving the main rows from this history makes an
-- import independent of the order weeks arrive in: backfilling an old week never
-- overwrites newer values.

ALTER TABLE trending_topics
    ADD COLUMN first_seen_week date,
    ADD COLUMN last_seen_week  date;
ALTER TABLE top_videos
    ADD COLUMN score           numeric(5,2) NOT NULL DEFAULT 0,
    ADD COLUMN first_seen_week date,
    ADD COLUMN last_seen_week  date,
    ADD CONSTRAINT video_score_range CHECK (score BETWEEN 0 AND 100);
ALTER TABLE creators
    ADD COLUMN first_seen_week date,
    ADD COLUMN last_seen_week  date;

CREATE INDEX idx_trending_last_seen_week ON trending_topics (last_seen_week);
CREATE INDEX idx_top_videos_last_seen_week ON top_videos (last_seen_week);

CREATE TABLE trending_topic_weeks (
    week             date         NOT NULL REFERENCES analyzed_content_weeks (week),
    topic_id         bigint       NOT NULL REFERENCES trending_topics (id),
    topic_name       varchar(500) NOT NULL,
    description      text,
    engagement_score smallint     NOT NULL,
    mention_count    smallint     NOT NULL,
    creators_array   text[]       NOT NULL,
    full_data        jsonb        NOT NULL,
    CONSTRAINT trending_topic_weeks_pkey PRIMARY KEY (week, topic_id),
    CONSTRAINT topic_week_score_range CHECK (engagement_score BETWEEN 0 AND 100)
);
CREATE INDEX idx_topic_weeks_topic ON trending_topic_weeks (topic_id, week DESC);

CREATE TABLE top_video_weeks (
    week              date         NOT NULL REFERENCES analyzed_content_weeks (week),
    video_pk          bigint       NOT NULL REFERENCES top_videos (id),
    title             varchar(500) NOT NULL,
    creator_name      varchar(500),
    creator_id        bigint REFERENCES creators (id) ON DELETE SET NULL,
    views             bigint       NOT NULL,
    tags              text[]       NOT NULL,
    comment_sentiment jsonb        NOT NULL,
    score             numeric(5,2) NOT NULL,
    full_data         jsonb        NOT NULL,
    CONSTRAINT top_video_weeks_pkey PRIMARY KEY (week, video_pk),
    CONSTRAINT video_week_views_non_negative CHECK (views >= 0),
    CONSTRAINT video_week_score_range CHECK (score BETWEEN 0 AND 100)
);
CREATE INDEX idx_video_weeks_video ON top_video_weeks (video_pk, week DESC);

CREATE TABLE creator_weeks (
    week           date    NOT NULL REFERENCES analyzed_content_weeks (week),
    creator_id     bigint  NOT NULL REFERENCES creators (id),
    topic_mentions integer NOT NULL,
    video_count    integer NOT NULL,
    CONSTRAINT creator_weeks_pkey PRIMARY KEY (week, creator_id)
);
CREATE INDEX idx_creator_weeks_creator ON creator_weeks (creator_id, week DESC);

-- History is public like the tables it describes; the pipeline writes it.
SELECT private.protect_editorial_table('trending_topic_weeks', soft_delete => false);
SELECT private.protect_editorial_table('top_video_weeks', soft_delete => false);
SELECT private.protect_editorial_table('creator_weeks', soft_delete => false);
