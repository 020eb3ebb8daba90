-- The audit trail: one row for every row that any actor inserts, updates or deletes
-- in a critical table. Rows are captured per statement from transition tables, so a
-- weekly import of thousands of rows costs one INSERT ... SELECT, not thousands.

CREATE TABLE audit_log (
    id             bigint GENERATED ALWAYS AS IDENTITY,
    table_name     varchar(100) NOT NULL,
    record_id      bigint       NOT NULL,
    operation      varchar(10)  NOT NULL,
    old_values     jsonb,
    new_values     jsonb,
    -- Not a foreign key to auth.users: the blueprint's ON DELETE RESTRICT would make
    -- any user who ever wrote something impossible to delete (and its ON UPDATE
    -- CASCADE would rewrite history). The trail records who it was, even later.
    changed_by     uuid,
    -- The JWT role claim for API callers, the database role for direct connections.
    actor_role     text         NOT NULL,
    transaction_id xid8         NOT NULL DEFAULT pg_current_xact_id(),
    changed_at     timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT audit_log_pkey PRIMARY KEY (id),
    CONSTRAINT audit_log_operation_valid CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
    CONSTRAINT audit_log_values_match_operation CHECK (
        CASE operation
            WHEN 'INSERT' THEN old_values IS NULL AND new_values IS NOT NULL
            WHEN 'UPDATE' THEN old_values IS NOT NULL AND new_values IS NOT NULL
            WHEN 'DELETE' THEN old_values IS NOT NULL AND new_values IS NULL
        END
    )
);

-- "What happened to this row" is the question asked most; the blueprint's index on
-- table_name alone is the prefix of this one.
CREATE INDEX idx_audit_table_record ON audit_log (table_name, record_id, changed_at DESC);
CREATE INDEX idx_audit_changed_at ON audit_log (changed_at DESC);
CREATE INDEX idx_audit_changed_by ON audit_log (changed_by) WHERE changed_by IS NOT NULL;

-- Nobody changes the trail: not the API roles (no privilege, and policies that deny),
-- not service_role (which bypasses row-level security, hence the revoke), and not the
-- table owner (the triggers below).
REVOKE ALL ON audit_log FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT ON audit_log TO authenticated, service_role;

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_log_admin_only_read ON audit_log
    FOR SELECT TO authenticated
    USING ((SELECT private.is_admin()));
CREATE POLICY audit_log_never_update ON audit_log
    FOR UPDATE USING (false);
CREATE POLICY audit_log_never_delete ON audit_log
    FOR DELETE USING (false);

CREATE FUNCTION private.refuse_audit_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_immutable
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION private.refuse_audit_change();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION private.forbid_truncate();

-- SECURITY DEFINER so that actors who may not write audit_log themselves still leave
-- their trace; the pinned search_path keeps callers from substituting objects.
CREATE FUNCTION private.audit_changes() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $$
DECLARE
    actor      uuid := auth.uid();
    actor_role text := coalesce(auth.role(), session_user);
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO public.audit_log (table_name, record_id, operation, new_values, changed_by, actor_role)
        SELECT TG_TABLE_NAME, n.id, 'INSERT', to_jsonb(n), actor, actor_role
        FROM new_rows AS n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO public.audit_log (table_name, record_id, operation, old_values, new_values, changed_by, actor_role)
        SELECT TG_TABLE_NAME, n.id, 'UPDATE', to_jsonb(o), to_jsonb(n), actor, actor_role
        FROM new_rows AS n
        JOIN old_rows AS o ON o.id = n.id;
    ELSE
        INSERT INTO public.audit_log (table_name, record_id, operation, old_values, changed_by, actor_role)
        SELECT TG_TABLE_NAME, o.id, 'DELETE', to_jsonb(o), actor, actor_role
        FROM old_rows AS o;
    END IF;
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION private.audit_changes() FROM PUBLIC;

-- Attach the audit triggers to a table (one per operation: a trigger with transition
-- tables may only handle one). Tables call this from their own migrations.
CREATE FUNCTION private.enable_audit(target regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER audit_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION private.audit_changes()', target);
    EXECUTE format('CREATE TRIGGER audit_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows'
                   ' NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION private.audit_changes()', target);
    EXECUTE format('CREATE TRIGGER audit_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION private.audit_changes()', target);
END
$$;
REVOKE EXECUTE ON FUNCTION private.enable_audit(regclass) FROM PUBLIC;
