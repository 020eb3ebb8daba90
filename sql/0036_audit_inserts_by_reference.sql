-- carnivore: no-transaction
--
-- An INSERT's audit entry names the row (table, id, who, when, which transaction) but no
-- longer copies it. The copy told nothing the trail does not already hold: a row keeps
-- the values it was inserted with until the next change, and every UPDATE and DELETE
-- entry carries the row as it was before (old_values). So what an insert wrote is the
-- next entry's old_values, or the row itself if nothing has changed it since; the
-- audit_trail view below shows each entry with those values filled in.
--
-- Why: the copy was most of the trail's cost and size. A week's import inserts 23,000
-- rows, and to_jsonb of each (its full_data included) tripled the size of audit_log
-- (29 MB against 9 MB) and took about 0.3 s of the big week's 1.9 s write; bulk
-- engagement loads paid the same per interaction. The guarantees stand: every changed
-- row is attributable (one entry per row, as before), and nothing in the trail is
-- editable. Entries written before this migration keep their copies.
--
-- That an insert's values can be found again rests on every later change leaving an
-- entry. TRUNCATE fires no row trigger, so the four audited tables that still allowed
-- it to their owner now refuse it, as topics and interactions always have.
--
-- Safe on a live database: the check is replaced NOT VALID (its lock is held for an
-- instant, nothing scanned) and validated after under a lock that lets writes through;
-- only then does the trigger function stop writing the copy.

ALTER TABLE audit_log
    DROP CONSTRAINT audit_log_values_match_operation,
    ADD CONSTRAINT audit_log_values_match_operation CHECK (
        CASE operation
            WHEN 'INSERT' THEN old_values IS NULL
            WHEN 'UPDATE' THEN old_values IS NOT NULL AND new_values IS NOT NULL
            WHEN 'DELETE' THEN old_values IS NOT NULL AND new_values IS NULL
        END
    ) NOT VALID;
ALTER TABLE audit_log VALIDATE CONSTRAINT audit_log_values_match_operation;

CREATE TRIGGER top_videos_no_truncate BEFORE TRUNCATE ON top_videos
    FOR EACH STATEMENT EXECUTE FUNCTION private.forbid_truncate();
CREATE TRIGGER creators_no_truncate BEFORE TRUNCATE ON creators
    FOR EACH STATEMENT EXECUTE FUNCTION private.forbid_truncate();
CREATE TRIGGER bento_grid_items_no_truncate BEFORE TRUNCATE ON bento_grid_items
    FOR EACH STATEMENT EXECUTE FUNCTION private.forbid_truncate();
CREATE TRIGGER user_interests_no_truncate BEFORE TRUNCATE ON user_interests
    FOR EACH STATEMENT EXECUTE FUNCTION private.forbid_truncate();

-- The row as it is now, for the view. It runs as its caller, so it shows only what the
-- caller may read anyway (admins read every audited table in full).
CREATE FUNCTION private.audited_row(table_name text, record_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = ''
AS $$
DECLARE
    found jsonb;
BEGIN
    EXECUTE format('SELECT to_jsonb(t) FROM public.%I AS t WHERE t.id = $1', table_name)
        INTO found USING record_id;
    RETURN found;
END
$$;
REVOKE EXECUTE ON FUNCTION private.audited_row(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION private.audited_row(text, bigint) TO authenticated, service_role;

-- Every entry with the row's values after it. As its caller: audit_log's policies apply,
-- so admins and the service role see the trail and nobody else does.
CREATE VIEW audit_trail WITH (security_invoker = true) AS
SELECT a.id, a.table_name, a.record_id, a.operation, a.old_values,
       CASE WHEN a.operation = 'INSERT' AND a.new_values IS NULL THEN coalesce(
           (SELECT later.old_values FROM public.audit_log AS later
             WHERE later.table_name = a.table_name AND later.record_id = a.record_id AND later.id > a.id
             ORDER BY later.id LIMIT 1),
           private.audited_row(a.table_name, a.record_id))
       ELSE a.new_values END AS new_values,
       a.changed_by, a.actor_role, a.transaction_id, a.changed_at
FROM public.audit_log AS a;
REVOKE ALL ON audit_trail FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT ON audit_trail TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.audit_changes() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $$
DECLARE
    actor      uuid := auth.uid();
    actor_role text := coalesce(auth.role(), session_user);
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO public.audit_log (table_name, record_id, operation, changed_by, actor_role)
        SELECT TG_TABLE_NAME, n.id, 'INSERT', actor, actor_role
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
