-- reg* values are OIDs: pg_upgrade cannot carry them over.
SELECT r.qualified AS object, format('column %I has type %s', a.attname, format_type(a.atttypid, NULL)) AS detail
FROM relations AS r
JOIN pg_attribute AS a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE a.atttypid IN ('regcollation'::regtype, 'regconfig'::regtype, 'regdictionary'::regtype,
                     'regnamespace'::regtype, 'regoper'::regtype, 'regoperator'::regtype,
                     'regproc'::regtype, 'regprocedure'::regtype)
