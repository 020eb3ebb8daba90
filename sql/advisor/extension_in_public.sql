SELECT e.extname AS object, 'extension installed in the public schema' AS detail
FROM pg_extension AS e
WHERE e.extnamespace = 'public'::regnamespace AND e.extname <> 'plpgsql'
