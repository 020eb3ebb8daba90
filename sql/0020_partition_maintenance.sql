-- Monthly partitions made ahead of need (pg_partman's "premake"), idempotent by the
-- catalog: a partition that exists with the right bounds is left alone, one with the
-- wrong bounds is an error, not a silent pass. Rows that landed in the DEFAULT partition
-- for the month are moved into the new partition in the same transaction (otherwise
-- creating it fails). Moving rows does not go through the parent, so they are neither
-- audited nor counted again.

CREATE OR REPLACE FUNCTION private.create_engagement_partition(month date) RETURNS text
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
DECLARE
    first_day date := make_date(extract(year FROM month)::int, extract(month FROM month)::int, 1);
    lower_bound timestamptz := first_day::timestamp AT TIME ZONE 'UTC';
    upper_bound timestamptz := (first_day + interval '1 month')::date::timestamp AT TIME ZONE 'UTC';
    name text := 'content_engagement_' || to_char(first_day, 'YYYY_MM');
    existing regclass := to_regclass(format('public.%I', name));
    columns text;
    bound text;
    moved bigint;
BEGIN
    IF existing IS NOT NULL THEN
        -- Both sides are rendered in this session's time zone, so equal text is an equal instant.
        SELECT pg_get_expr(c.relpartbound, c.oid) INTO bound FROM pg_catalog.pg_class AS c WHERE c.oid = existing;
        IF bound IS NULL OR NOT EXISTS (
            SELECT FROM pg_catalog.pg_inherits AS i
            WHERE i.inhrelid = existing AND i.inhparent = 'public.content_engagement'::regclass
        ) OR bound <> format('FOR VALUES FROM (%L) TO (%L)', lower_bound, upper_bound) THEN
            RAISE EXCEPTION '% exists but is not the partition for [%, %): %', name, lower_bound, upper_bound,
                coalesce(bound, 'not a partition');
        END IF;
        RETURN name;
    END IF;

    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO columns
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = 'public.content_engagement'::regclass AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attgenerated = '';
    EXECUTE format('CREATE TEMP TABLE engagement_moving ON COMMIT DROP AS'
                   ' WITH moved AS (DELETE FROM public.content_engagement_default'
                   '                WHERE created_at >= %L AND created_at < %L RETURNING %s)'
                   ' SELECT * FROM moved', lower_bound, upper_bound, columns);
    GET DIAGNOSTICS moved = ROW_COUNT;
    EXECUTE format('CREATE TABLE public.%I PARTITION OF public.content_engagement FOR VALUES FROM (%L) TO (%L)',
                   name, lower_bound, upper_bound);
    EXECUTE format('INSERT INTO public.%I (%s) SELECT %s FROM engagement_moving', name, columns, columns);
    DROP TABLE engagement_moving;
    PERFORM private.lock_engagement_partition(format('public.%I', name)::regclass);
    IF moved > 0 THEN
        RAISE NOTICE 'moved % row(s) from content_engagement_default into %', moved, name;
    END IF;
    RETURN name;
END
$$;
