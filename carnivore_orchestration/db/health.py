"""`carnivore db check`, and the daily database checks in Dagster: the blueprint's
deployment checklist (its section 11) as queries that can fail.

Each check returns ok, warn, fail, or note (nothing to judge: an extension is missing,
or it is the first check). Schema drift and the advisor's findings fail; the rest is
monitoring that warns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from carnivore_orchestration.db import advisor, manifest, migrations

# autovacuum starts at 20 % dead rows (its default scale factor): more than that, with
# enough rows to matter, and it is not keeping up.
DEAD_RATIO = 0.2
DEAD_MINIMUM = 1000
# Index usage is judged only on statistics gathered for long enough to include the
# weekly import.
UNUSED_AFTER_DAYS = 7
SHOWN = 5


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok" | "warn" | "fail" | "note"
    summary: str
    details: list[str] = field(default_factory=list)

    def failed(self) -> bool:
        return self.status == "fail"


def schema_matches_migrations(conn: psycopg.Connection) -> Check:
    try:
        state = migrations.status(conn)
    except migrations.MigrationError as exc:
        return Check("schema_matches_migrations", "fail", str(exc))
    live, wanted = set(manifest.snapshot(conn)), set(manifest.expected())
    missing, extra = sorted(wanted - live), sorted(live - wanted)
    details = [f"missing: {line}" for line in missing]
    details += _at_most([f"not from the migrations: {line}" for line in extra])
    if state.pending or missing:
        pending = ", ".join(m.filename for m in state.pending) or "none"
        return Check("schema_matches_migrations", "fail",
                     f"{len(state.pending)} migration(s) pending ({pending}), {len(missing)} object(s) missing",
                     details)
    status = "warn" if extra else "ok"
    return Check("schema_matches_migrations", status,
                 f"{len(state.applied)} migrations applied and unchanged; {len(wanted)} objects present"
                 + (f", {len(extra)} more not from the migrations" if extra else ""), details)


def supabase_advisor(conn: psycopg.Connection) -> Check:
    findings = advisor.run(conn)
    problems = advisor.problems(findings)
    if problems:
        return Check("supabase_advisor", "fail",
                     f"{len(problems)} finding(s) at ERROR or WARN, or unindexed foreign keys",
                     [f.line() for f in problems])
    return Check("supabase_advisor", "ok", f"no ERROR or WARN among {len(advisor.LINTS)} lints "
                 f"({len(findings)} INFO findings)")


def slowest_statements(conn: psycopg.Connection) -> Check:
    schema = conn.execute("SELECT extnamespace::regnamespace::text FROM pg_extension"
                          " WHERE extname = 'pg_stat_statements'").fetchone()
    if schema is None:
        return Check("slowest_statements", "note",
                     "pg_stat_statements is not installed in this database: CREATE EXTENSION pg_stat_statements "
                     "(Supabase has it; plain PostgreSQL also needs it in shared_preload_libraries)")
    try:
        with conn.transaction():
            rows = conn.execute(sql.SQL(
                "SELECT calls, mean_exec_time, total_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 100)"
                " FROM {}.pg_stat_statements"
                " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " ORDER BY mean_exec_time DESC LIMIT %s").format(sql.Identifier(schema[0])), [SHOWN]).fetchall()
    except psycopg.errors.ObjectNotInPrerequisiteState:
        return Check("slowest_statements", "note",
                     "pg_stat_statements is installed but not loaded: add it to shared_preload_libraries and restart")
    details = [f"{mean:9.1f} ms mean  {calls:>8,} calls  {total / 1000:8.1f} s total  {query}"
               for calls, mean, total, query in rows]
    return Check("slowest_statements", "ok", f"the {len(rows)} slowest statements by mean time", details)


def relation_growth(conn: psycopg.Connection, record: bool = True) -> Check:
    """Sizes now against the last check's; this check's sizes are recorded for the next."""
    now = conn.execute(
        """
        SELECT format('%%I.%%I', n.nspname, c.relname),
               coalesce((SELECT sum(pg_table_size(t.relid)) FROM pg_partition_tree(c.oid) AS t), pg_table_size(c.oid)),
               coalesce((SELECT sum(pg_indexes_size(t.relid)) FROM pg_partition_tree(c.oid) AS t),
                        pg_indexes_size(c.oid))
        FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition AND n.nspname = ANY (%s)
        """, [manifest.SCHEMAS]).fetchall()
    last = conn.execute("SELECT max(checked_at) FROM carnivore_meta.relation_sizes").fetchone()[0]
    before = dict((name, (t, i)) for name, t, i in conn.execute(
        "SELECT relation, table_bytes, index_bytes FROM carnivore_meta.relation_sizes WHERE checked_at = %s",
        [last]).fetchall()) if last else {}
    if record:
        with conn.transaction():
            conn.execute("INSERT INTO carnivore_meta.relation_sizes (checked_at, relation, table_bytes, index_bytes)"
                         " SELECT now(), * FROM unnest(%s::text[], %s::bigint[], %s::bigint[])",
                         [[r[0] for r in now], [r[1] for r in now], [r[2] for r in now]])
    now = [(name, int(t), int(i)) for name, t, i in now]
    total_table, total_index = sum(r[1] for r in now), sum(r[2] for r in now)
    if not before:
        return Check("relation_growth", "note", f"first check: {_mb(total_table)} in tables, {_mb(total_index)} in "
                     "indexes recorded; the next check reports growth since")
    growth = sorted(((t + i - sum(before.get(name, (0, 0))), name, t - before.get(name, (0, 0))[0],
                      i - before.get(name, (0, 0))[1]) for name, t, i in now), reverse=True)
    details = [f"{name}: tables {_signed_mb(dt)}, indexes {_signed_mb(di)}"
               for total, name, dt, di in growth[:SHOWN] if total]
    grown_table = total_table - sum(t for t, _ in before.values())
    grown_index = total_index - sum(i for _, i in before.values())
    return Check("relation_growth", "ok", f"since {last:%Y-%m-%d %H:%M} UTC: tables {_signed_mb(grown_table)} "
                 f"(now {_mb(total_table)}), indexes {_signed_mb(grown_index)} (now {_mb(total_index)})", details)


def unused_indexes(conn: psycopg.Connection) -> Check:
    age_days = conn.execute(
        "SELECT extract(epoch FROM now() - coalesce(stats_reset, pg_postmaster_start_time())) / 86400"
        " FROM pg_stat_database WHERE datname = current_database()").fetchone()[0]
    # A partition's index is counted in its parent's: one line per index the schema declares.
    rows = conn.execute(
        """
        SELECT coalesce(h.inhparent, s.indexrelid)::regclass::text AS index, sum(s.idx_scan),
               sum(pg_relation_size(s.indexrelid))::bigint
        FROM pg_stat_user_indexes AS s
        JOIN pg_index AS i ON i.indexrelid = s.indexrelid
        LEFT JOIN pg_inherits AS h ON h.inhrelid = s.indexrelid
        WHERE NOT i.indisunique AND s.schemaname = ANY (%s)
        GROUP BY 1 HAVING sum(s.idx_scan) = 0 ORDER BY 3 DESC, 1
        """, [manifest.SCHEMAS]).fetchall()
    details = _at_most([f"{name} ({_mb(size)})" for name, _, size in rows])
    if float(age_days) < UNUSED_AFTER_DAYS:
        return Check("unused_indexes", "note", f"{len(rows)} index(es) not used yet, over {float(age_days):.1f} "
                     f"day(s) of statistics; judged after {UNUSED_AFTER_DAYS} days", details)
    return Check("unused_indexes", "warn" if rows else "ok",
                 f"{len(rows)} index(es) not used in {float(age_days):.0f} days of statistics", details)


def engagement_default_partition(conn: psycopg.Connection) -> Check:
    rows = conn.execute("SELECT count(*) FROM content_engagement_default").fetchone()[0]
    if rows:
        return Check("engagement_default_partition", "warn",
                     f"{rows:,} interaction(s) in content_engagement_default: a monthly partition is missing; "
                     "`carnivore maintain` makes it and moves them")
    return Check("engagement_default_partition", "ok", "content_engagement_default is empty")


def dead_tuples(conn: psycopg.Connection) -> Check:
    rows = conn.execute(
        """
        SELECT format('%%I.%%I', schemaname, relname), n_dead_tup, n_live_tup,
               round(n_dead_tup::numeric / greatest(n_dead_tup + n_live_tup, 1), 3),
               greatest(last_autovacuum, last_vacuum)
        FROM pg_stat_user_tables
        WHERE schemaname = ANY (%s) AND n_dead_tup >= %s
          AND n_dead_tup::numeric / greatest(n_dead_tup + n_live_tup, 1) > %s
        ORDER BY 4 DESC
        """, [manifest.SCHEMAS, DEAD_MINIMUM, DEAD_RATIO]).fetchall()
    details = [f"{name}: {dead:,} dead / {live:,} live ({float(ratio):.0%}), last vacuumed "
               f"{vacuumed:%Y-%m-%d %H:%M} UTC" if vacuumed else
               f"{name}: {dead:,} dead / {live:,} live ({float(ratio):.0%}), never vacuumed"
               for name, dead, live, ratio, vacuumed in rows]
    if rows:
        return Check("dead_tuples", "warn", f"{len(rows)} table(s) over {DEAD_RATIO:.0%} dead rows", details)
    return Check("dead_tuples", "ok", f"no table over {DEAD_RATIO:.0%} dead rows")


CHECKS: dict[str, tuple[Callable[[psycopg.Connection], Check], str]] = {
    "schema_matches_migrations": (schema_matches_migrations,
                                  "Every migration applied and unchanged; every expected table, view, function, "
                                  "policy, index and trigger present (sql/schema.manifest)."),
    "supabase_advisor": (supabase_advisor, "Supabase's advisor lints: no ERROR, no WARN, no unindexed foreign key."),
    "slowest_statements": (slowest_statements, "The slowest statements by mean time (pg_stat_statements)."),
    "relation_growth": (relation_growth, "How much each table and its indexes grew since the last check."),
    "unused_indexes": (unused_indexes, "Indexes never scanned over at least a week of statistics."),
    "engagement_default_partition": (engagement_default_partition,
                                     "No interactions waiting in content_engagement's DEFAULT partition."),
    "dead_tuples": (dead_tuples, "No table with more than 20 % dead rows (autovacuum keeping up)."),
}


def run_all(conn: psycopg.Connection) -> list[Check]:
    """Every check; one that cannot run (a table missing on a database not migrated yet)
    fails on its own and the others still run."""
    results = []
    for name, (check, _) in CHECKS.items():
        try:
            results.append(check(conn))
        except psycopg.Error as exc:
            results.append(Check(name, "fail", f"could not run: {exc.diag.message_primary or exc}"))
    return results


def _at_most(lines: list[str]) -> list[str]:
    return lines[:SHOWN] + ([f"... and {len(lines) - SHOWN} more"] if len(lines) > SHOWN else [])


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if abs(size) >= 100_000 else f"{size / 1e3:,.0f} kB"


def _signed_mb(size: int) -> str:
    return ("+" if size >= 0 else "-") + _mb(abs(size))
