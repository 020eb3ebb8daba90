-- Supabase may change auth's unique constraints (only its primary keys are stable).
SELECT r.qualified AS object,
       format('foreign key %s references %s through a unique index, not its primary key', k.conname,
              k.confrelid::regclass) AS detail
FROM pg_constraint AS k
JOIN relations AS r ON r.oid = k.conrelid
JOIN pg_class AS target ON target.oid = k.confrelid
JOIN pg_index AS i ON i.indexrelid = k.conindid
WHERE k.contype = 'f' AND target.relnamespace = to_regnamespace('auth') AND i.indisunique AND NOT i.indisprimary
