-- Every version of every week's file, byte for byte, kept for good: a file replaced by a
-- corrected one is no longer lost, and `carnivore replay WEEK --sha256 PREFIX` can bring
-- any version back. The bytes live here only: analyzed_content_weeks keeps, for each
-- week, which version is current (its sha256, a reference to this table) and what was
-- read from it, and no longer a second copy of the file.

CREATE TABLE analyzed_content_versions (
    week           date        NOT NULL,
    sha256         char(64)    NOT NULL,
    source_file    text        NOT NULL,
    raw_content    text        NOT NULL,
    document_shape text        NOT NULL,
    imported_at    timestamptz NOT NULL DEFAULT now(),  -- when this version first came in
    CONSTRAINT analyzed_content_versions_pkey PRIMARY KEY (week, sha256),
    CONSTRAINT version_week_is_monday CHECK (extract(isodow FROM week) = 1),
    CONSTRAINT version_sha256_hex CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT version_shape_valid CHECK (document_shape IN ('nested', 'flat'))
);
-- Out of line and uncompressed: read only to replay a week, and pglz spent 0.1 s of a
-- big week's import (6 MB) compressing it. A usual week is tens of kilobytes.
ALTER TABLE analyzed_content_versions ALTER COLUMN raw_content SET STORAGE EXTERNAL;

INSERT INTO analyzed_content_versions (week, sha256, source_file, raw_content, document_shape, imported_at)
SELECT week, sha256, source_file, raw_content, document_shape, imported_at FROM analyzed_content_weeks;

ALTER TABLE analyzed_content_weeks
    ADD CONSTRAINT analyzed_content_weeks_current_version_fkey
        FOREIGN KEY (week, sha256) REFERENCES analyzed_content_versions (week, sha256),
    DROP COLUMN raw_content;
-- Versions are never deleted, so nothing looks the reference up from that side; the
-- index (one row a week) keeps Supabase's unindexed_foreign_keys lint clean all the same.
CREATE INDEX idx_archive_current_version ON analyzed_content_weeks (week, sha256);

SELECT private.make_append_only('analyzed_content_versions');

-- The pipeline's raw input, like the current archive: the service role only, and it
-- only reads and adds.
REVOKE ALL ON analyzed_content_versions FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT, INSERT ON analyzed_content_versions TO service_role;
ALTER TABLE analyzed_content_versions ENABLE ROW LEVEL SECURITY;
