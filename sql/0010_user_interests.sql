-- Each reader's chosen interests, for the personalized grid (blueprint Table 4).

CREATE TABLE user_interests (
    id            bigint GENERATED ALWAYS AS IDENTITY,
    user_id       uuid        NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE ON UPDATE CASCADE,
    interests     jsonb       NOT NULL DEFAULT '[]',
    interest_tags text[]      NOT NULL DEFAULT '{}',
    is_active     boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_interests_pkey PRIMARY KEY (id),
    CONSTRAINT user_interests_unique_user UNIQUE (user_id),
    CONSTRAINT interests_is_array CHECK (jsonb_typeof(interests) = 'array'),
    -- CASE, because jsonb_array_length fails on a non-array and CHECKs run in no set order.
    CONSTRAINT interests_not_empty CHECK (
        CASE WHEN jsonb_typeof(interests) = 'array' THEN jsonb_array_length(interests) > 0 OR NOT is_active END
    )
);

-- The blueprint's idx_user_interests_user_id would duplicate the index behind
-- user_interests_unique_user, so it is left out.
CREATE INDEX idx_user_interests_tags ON user_interests USING gin (interest_tags);
CREATE INDEX idx_user_interests_active ON user_interests (is_active) WHERE is_active;

CREATE TRIGGER update_user_interests_modtime
    BEFORE UPDATE ON user_interests
    FOR EACH ROW EXECUTE FUNCTION private.update_timestamp_column('updated_at');
SELECT private.enable_audit('user_interests');

REVOKE ALL ON user_interests FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON user_interests TO authenticated, service_role;

-- A reader sees and edits only their own interests; admins may read and moderate.
ALTER TABLE user_interests ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_interests_self_read ON user_interests
    FOR SELECT TO authenticated
    USING (user_id = (SELECT auth.uid()) OR (SELECT private.is_admin()));
CREATE POLICY user_interests_self_insert ON user_interests
    FOR INSERT TO authenticated
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY user_interests_self_update ON user_interests
    FOR UPDATE TO authenticated
    USING (user_id = (SELECT auth.uid()) OR (SELECT private.is_admin()))
    WITH CHECK (user_id = (SELECT auth.uid()) OR (SELECT private.is_admin()));
CREATE POLICY user_interests_self_delete ON user_interests
    FOR DELETE TO authenticated
    USING (user_id = (SELECT auth.uid()));
