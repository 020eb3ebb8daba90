-- Without a pinned search_path, a caller's own schema can shadow what the function calls.
SELECT f.signature AS object, 'search_path is not set on the function' AS detail
FROM functions AS f
WHERE NOT EXISTS (SELECT 1 FROM unnest(f.config) AS setting WHERE setting LIKE 'search\_path=%')
