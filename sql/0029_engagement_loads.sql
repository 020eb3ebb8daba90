-- Every bulk load of interactions, by the SHA-256 of its file, written in the load's
-- own transaction: a load that was killed left no row (and no interactions), and a
-- file loaded once is recognised when it comes again, so a retried load counts once.

CREATE TABLE carnivore_meta.engagement_loads (
    id        bigint GENERATED ALWAYS AS IDENTITY,
    sha256    text        NOT NULL,
    file_name text        NOT NULL,
    rows      integer     NOT NULL,
    forced    boolean     NOT NULL,  -- loaded again on purpose (--force)
    loaded_at timestamptz NOT NULL DEFAULT now(),
    loaded_by text        NOT NULL DEFAULT current_user,
    CONSTRAINT engagement_loads_pkey PRIMARY KEY (id),
    CONSTRAINT engagement_load_sha256_hex CHECK (sha256 ~ '^[0-9a-f]{64}$')
);
CREATE INDEX idx_engagement_loads_sha256 ON carnivore_meta.engagement_loads (sha256, loaded_at);
REVOKE ALL ON carnivore_meta.engagement_loads FROM PUBLIC;
