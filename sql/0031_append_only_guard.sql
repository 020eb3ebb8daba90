-- One guard for every table that is only ever added to: UPDATE and DELETE refused with
-- the table's name, TRUNCATE refused too. audit_log had a function of its own; the
-- archive of every version of the weekly files (next migration) needs the same, so both
-- are made append-only by make_append_only().

CREATE FUNCTION private.refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
REVOKE EXECUTE ON FUNCTION private.refuse_change() FROM PUBLIC;

CREATE FUNCTION private.make_append_only(target regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
DECLARE
    name text := (SELECT relname FROM pg_catalog.pg_class WHERE oid = target);
BEGIN
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %s'
                   ' FOR EACH ROW EXECUTE FUNCTION private.refuse_change()', name || '_immutable', target);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %s'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION private.forbid_truncate()', name || '_no_truncate', target);
END
$$;
REVOKE EXECUTE ON FUNCTION private.make_append_only(regclass) FROM PUBLIC;

-- Dropped and created in one transaction: audit_log is never without its guard.
DROP TRIGGER audit_log_immutable ON audit_log;
DROP TRIGGER audit_log_no_truncate ON audit_log;
SELECT private.make_append_only('audit_log');
DROP FUNCTION private.refuse_audit_change();
