-- Two items in one grid slot would be two heroes. Deferred to commit, so that a
-- re-rank can move items past each other inside one transaction.
ALTER TABLE bento_grid_items
    ADD CONSTRAINT bento_grid_position_unique UNIQUE (grid_position) DEFERRABLE INITIALLY DEFERRED;
