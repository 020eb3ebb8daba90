"""The lints behind Supabase's Security and Performance Advisors, as the project's own
queries (`sql/advisor/`), so that they run on any PostgreSQL in CI and in
`carnivore db check`, not only in Supabase's dashboard.

Supabase's lints live in supabase/splinter as SQL views, not as a package; copying its
file would drift from it unnoticed. Each lint here keeps the advisor's name and level
(ERROR, WARN, INFO), and its rule, written against the catalogs as this module reads
them. Left out, because they look at Supabase's platform rather than the database:
anonymous sign-ins (an Auth setting), storage buckets, pg_graphql's exposure, pgmq
queues, table bloat (`db check` reports dead tuples instead).

What the API serves: PostgREST's `db-schemas`, which Supabase also keeps in the
`pgrst.db_schemas` setting; on a database without it, `public`, PostgREST's default.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from carnivore_orchestration.settings import sql_dir

# name -> level, as Supabase's advisor reports them (invalid_index is ours).
LINTS = {
    "unindexed_foreign_keys": "INFO",
    "auth_users_exposed": "ERROR",
    "auth_rls_initplan": "WARN",
    "no_primary_key": "INFO",
    "unused_index": "INFO",
    "multiple_permissive_policies": "WARN",
    "policy_exists_rls_disabled": "ERROR",
    "rls_enabled_no_policy": "INFO",
    "duplicate_index": "WARN",
    "security_definer_view": "ERROR",
    "function_search_path_mutable": "WARN",
    "rls_disabled_in_public": "ERROR",
    "extension_in_public": "WARN",
    "rls_references_user_metadata": "ERROR",
    "materialized_view_in_api": "WARN",
    "foreign_table_in_api": "WARN",
    "unsupported_reg_types": "WARN",
    "fkey_to_auth_unique": "ERROR",
    "extension_versions_outdated": "WARN",
    "sensitive_columns_exposed": "ERROR",
    "rls_policy_always_true": "WARN",
    "anon_security_definer_function_executable": "WARN",
    "authenticated_security_definer_function_executable": "WARN",
    "invalid_index": "WARN",
}
# Schemas Supabase manages (and the catalogs): not ours to lint.
MANAGED_SCHEMAS = [
    "pg_catalog", "information_schema", "pg_toast", "auth", "storage", "extensions", "graphql", "graphql_public",
    "realtime", "supabase_functions", "supabase_migrations", "vault", "pgsodium", "pgsodium_masks", "cron", "net",
    "pgbouncer", "pgtle", "pgmq", "repack", "tiger", "topology", "_timescaledb_cache", "_timescaledb_catalog",
    "_timescaledb_config", "_timescaledb_internal",
]
@dataclass(frozen=True)
class Finding:
    lint: str
    level: str
    object: str
    detail: str

    def line(self) -> str:
        return f"{self.level:<5}  {self.lint}  {self.object}: {self.detail}"


def run(conn: psycopg.Connection, lints: list[str] | None = None) -> list[Finding]:
    """Every lint (or those named), in one read-only transaction, ordered ERROR first."""
    directory = sql_dir() / "advisor"
    catalog = (directory / "_catalog.sql").read_text(encoding="utf-8")
    findings = []
    with conn.transaction():
        conn.execute("SET TRANSACTION READ ONLY")
        conn.execute(
            "SELECT set_config('carnivore.exposed_schemas', %s::text[]::text, true),"
            " set_config('carnivore.managed_schemas', %s::text[]::text, true)",
            [exposed_schemas(conn), MANAGED_SCHEMAS],
        )
        for name in lints or LINTS:
            query = (directory / f"{name}.sql").read_text(encoding="utf-8")
            for obj, detail in conn.execute(f"{catalog}\n{query}").fetchall():
                findings.append(Finding(name, LINTS[name], obj, detail))
    order = {"ERROR": 0, "WARN": 1, "INFO": 2}
    return sorted(findings, key=lambda f: (order[f.level], f.lint, f.object, f.detail))


def exposed_schemas(conn: psycopg.Connection) -> list[str]:
    configured = conn.execute("SELECT current_setting('pgrst.db_schemas', true)").fetchone()[0]
    schemas = [s.strip() for s in (configured or "").split(",") if s.strip()]
    return schemas or ["public"]


def problems(findings: list[Finding]) -> list[Finding]:
    """What fails the advisor's bar: any ERROR or WARN, and any unindexed foreign key."""
    return [f for f in findings if f.level in ("ERROR", "WARN") or f.lint == "unindexed_foreign_keys"]
