SELECT e.name AS object,
       format('installed %s, %s available: ALTER EXTENSION %I UPDATE', e.installed_version, e.default_version,
              e.name) AS detail
FROM pg_available_extensions AS e
WHERE e.installed_version IS NOT NULL AND e.installed_version <> e.default_version
