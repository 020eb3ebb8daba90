-- A SECURITY DEFINER function in a schema the API serves is an RPC that runs with its
-- owner's rights.
SELECT f.signature AS object, 'authenticated can call this SECURITY DEFINER function through the API' AS detail
FROM functions AS f
WHERE f.security_definer AND f.exposed AND has_function_privilege('authenticated', f.oid, 'EXECUTE')
