-- Every version of every week's file, byte for byte, kept for good: a file replaced by a
-- corrected one is no longer lost, and `carnivore replay WEEK --sha256 PREFIX` can bring
-- any version back. analyzed_content_weeks keeps the week's current file; this table
-- holds each file once per week it was imported for, the current one included, and is
-- only ever added to.

CREATE TABLE analyzed_content_versions (
    week           date        NOT NULL REFERENCES analyzed_content_weeks (week),
    sha256         char(64)    NOT NULL,
    source_file    text        NOT NULL,
    raw_content    text        NOT NULL,
    document_shape text        NOT NULL,
    imported_at    timestamptz NOT NULL DEFAULT now(),  -- when this version first came in
    CONSTRAINT analyzed_content_versions_pkey PRIMARY KEY (week, sha256),
    CONSTRAINT version_sha256_hex CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT version_shape_valid CHECK (document_shape IN ('nested', 'flat'))
);
-- As the current archive: out of line, uncompressed (read only to replay).
ALTER TABLE analyzed_content_versions ALTER COLUMN raw_content SET STORAGE EXTERNAL;

INSERT INTO analyzed_content_versions (week, sha256, source_file, raw_content, document_shape, imported_at)
SELECT week, sha256, source_file, raw_content, document_shape, imported_at FROM analyzed_content_weeks;

SELECT private.make_append_only('analyzed_content_versions');

-- The pipeline's raw input, like the current archive: the service role only, and it
-- only reads and adds.
REVOKE ALL ON analyzed_content_versions FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT, INSERT ON analyzed_content_versions TO service_role;
ALTER TABLE analyzed_content_versions ENABLE ROW LEVEL SECURITY;
