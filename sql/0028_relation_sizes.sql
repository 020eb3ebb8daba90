-- What `carnivore db check` (and the daily database checks) saw of each table's size,
-- so that the next check can say how much each grew since. Partitions are counted in
-- their parent. Only the project writes it; nothing here is served by the API.

CREATE TABLE carnivore_meta.relation_sizes (
    checked_at  timestamptz NOT NULL,
    relation    text        NOT NULL,
    table_bytes bigint      NOT NULL,
    index_bytes bigint      NOT NULL,
    CONSTRAINT relation_sizes_pkey PRIMARY KEY (checked_at, relation)
);
CREATE INDEX idx_relation_sizes_relation ON carnivore_meta.relation_sizes (relation, checked_at DESC);
REVOKE ALL ON carnivore_meta.relation_sizes FROM PUBLIC;
