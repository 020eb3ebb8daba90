"""A small, strict runner for the numbered plain-SQL files in `sql/`.

Why not a library: yoyo-migrations records a hash of each migration's *name*, not its
content, so an edited file goes unnoticed; alembic wants Python revision files; pyway
commits the script and its bookkeeping row in separate transactions and formats values
into SQL. What we need fits in this module: each file and its record in one
transaction, a content checksum, and a lock so that two processes never migrate at once.

A file whose leading comments say `-- carnivore: no-transaction` is applied one
statement at a time instead (`db/online.py`), for what a live database needs and a
transaction forbids: `CREATE INDEX CONCURRENTLY`, `VALIDATE CONSTRAINT` apart from the
`ADD CONSTRAINT ... NOT VALID` that preceded it. Every lock wait is bounded by a short
`lock_timeout` and retried a few times, so that writers queued behind a migration wait
seconds at most, never the length of someone else's long transaction.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

from carnivore_orchestration.db.limits import MigrationLimits, with_lock_retries
from carnivore_orchestration.settings import sql_dir

FILENAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
# Any constant will do, as long as nothing else takes the same advisory lock.
LOCK_KEY = 0x6361_726E_6976  # "carniv"
MINIMUM_SERVER_VERSION = 150000
BOOKKEEPING = """
CREATE SCHEMA IF NOT EXISTS carnivore_meta;
REVOKE ALL ON SCHEMA carnivore_meta FROM PUBLIC;
CREATE TABLE IF NOT EXISTS carnivore_meta.schema_migrations (
    version     integer PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    applied_by  text        NOT NULL DEFAULT current_user,
    duration_ms integer     NOT NULL
);
-- The statements of a no-transaction migration that are done, so that a run stopped
-- half way resumes where it stopped.
CREATE TABLE IF NOT EXISTS carnivore_meta.migration_steps (
    version  integer     NOT NULL,
    checksum text        NOT NULL,
    step     integer     NOT NULL,
    done_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (version, step)
);
"""
# Only the file's leading comments count, so that a comment quoting the marker further
# down changes nothing.
NO_TRANSACTION = re.compile(r"\A(?:[ \t]*(?:--[^\n]*)?\n)*?[ \t]*--[ \t]*carnivore:[ \t]*no-transaction[ \t]*$", re.M)


class MigrationError(RuntimeError):
    """A migration could not be applied, or the applied history disagrees with the files."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    sql: str
    checksum: str

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def transactional(self) -> bool:
        return NO_TRANSACTION.search(self.sql) is None


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str
    applied_at: datetime
    duration_ms: int


@dataclass(frozen=True)
class MigrationStatus:
    applied: list[AppliedMigration]
    pending: list[Migration]
    # version -> statements already done, for a no-transaction migration stopped half way
    steps_done: dict[int, int]


def checksum(text: str) -> str:
    # Line endings are normalised so that a Windows checkout does not look like an edit.
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def discover(directory: Path | None = None) -> list[Migration]:
    directory = directory or sql_dir()
    migrations: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = FILENAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files must be named NNNN_lower_snake_name.sql")
        text = path.read_text(encoding="utf-8")
        migration = Migration(int(match["version"]), match["name"], path, text, checksum(text))
        if migration.version in migrations:
            raise MigrationError(
                f"{path.name} and {migrations[migration.version].filename} share version {migration.version}"
            )
        migrations[migration.version] = migration
    return [migrations[v] for v in sorted(migrations)]


def status(conn: psycopg.Connection, directory: Path | None = None) -> MigrationStatus:
    """What is applied and what is pending; raises MigrationError if history and files disagree."""
    migrations = discover(directory)
    applied = _applied(conn)
    _verify_history(applied, migrations, directory or sql_dir())
    done = {a.version for a in applied}
    return MigrationStatus(applied=applied, pending=[m for m in migrations if m.version not in done],
                           steps_done=_steps_done(conn))


def migrate(
    conn: psycopg.Connection,
    directory: Path | None = None,
    on_applied=None,
    limits: MigrationLimits | None = None,
    before_applying=None,
) -> list[Migration]:
    """Apply every pending migration in order: each in its own transaction, or statement
    by statement when the file is marked no-transaction.

    `conn` must be in autocommit mode: the runner manages its own transactions.
    `before_applying(pending)` is called once, under the lock, when there is something
    to apply (the CLI takes a backup there). Returns the migrations applied by this call.
    """
    if not conn.autocommit:
        raise ValueError("migrate() needs an autocommit connection; it manages its own transactions")
    limits = limits or MigrationLimits()
    _check_server_version(conn)
    _wait_for_lock(conn)
    try:
        conn.execute(BOOKKEEPING)
        current = status(conn, directory)
        if current.pending and before_applying is not None:
            before_applying(current.pending)
        for migration in current.pending:
            if migration.transactional:
                duration_ms = _apply(conn, migration, limits)
            else:
                from carnivore_orchestration.db.online import apply_statements  # it imports this module

                duration_ms = apply_statements(conn, migration, limits)
            if on_applied is not None:
                on_applied(migration, duration_ms)
        return current.pending
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def _wait_for_lock(conn: psycopg.Connection) -> None:
    """Polls instead of blocking in pg_advisory_lock: a session blocked in a statement
    keeps a transaction open, and `CREATE INDEX CONCURRENTLY` in the session holding the
    lock waits for every open transaction to end: the two would deadlock."""
    while not conn.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]:
        time.sleep(0.2)


def _apply(conn: psycopg.Connection, migration: Migration, limits: MigrationLimits) -> int:
    started = time.perf_counter()

    def attempt() -> None:
        with conn.transaction():
            conn.execute("SET LOCAL search_path = public")
            limits.set_local(conn)
            conn.execute(migration.sql)
            record(conn, migration, round((time.perf_counter() - started) * 1000))

    try:
        with_lock_retries(attempt, limits)
    except psycopg.Error as exc:
        raise MigrationError(f"{migration.filename} failed and was rolled back: {describe(exc, migration)}") from exc
    return round((time.perf_counter() - started) * 1000)


def record(conn: psycopg.Connection, migration: Migration, duration_ms: int) -> None:
    conn.execute(
        "INSERT INTO carnivore_meta.schema_migrations (version, name, checksum, duration_ms) VALUES (%s, %s, %s, %s)",
        [migration.version, migration.name, migration.checksum, duration_ms],
    )


def _steps_done(conn: psycopg.Connection) -> dict[int, int]:
    if conn.execute("SELECT to_regclass('carnivore_meta.migration_steps') IS NULL").fetchone()[0]:
        return {}
    return dict(conn.execute("SELECT version, count(*) FROM carnivore_meta.migration_steps GROUP BY 1").fetchall())


def describe(exc: psycopg.Error, migration: Migration, offset: int = 0) -> str:
    """The server's message, with the file's line when the server gave a position
    (`offset`: where in the file the statement that failed begins)."""
    diag = exc.diag
    message = diag.message_primary or str(exc).strip()
    where = ""
    if diag.statement_position:
        line = migration.sql.count("\n", 0, offset + int(diag.statement_position) - 1) + 1
        where = f" (line {line})"
    detail = f" {diag.message_detail}" if diag.message_detail else ""
    return f"{message}{where}{detail}"


def _applied(conn: psycopg.Connection) -> list[AppliedMigration]:
    exists = conn.execute("SELECT to_regclass('carnivore_meta.schema_migrations') IS NOT NULL").fetchone()[0]
    if not exists:
        return []
    rows = conn.execute(
        "SELECT version, name, checksum, applied_at, duration_ms"
        " FROM carnivore_meta.schema_migrations ORDER BY version"
    ).fetchall()
    return [AppliedMigration(*row) for row in rows]


def _verify_history(applied: list[AppliedMigration], migrations: list[Migration], directory: Path) -> None:
    by_version = {m.version: m for m in migrations}
    for record in applied:
        migration = by_version.get(record.version)
        if migration is None:
            raise MigrationError(
                f"migration {record.version:04d}_{record.name}.sql is applied to the database but missing from "
                f"{directory}; restore the file (applied migrations are never removed)"
            )
        if migration.checksum != record.checksum:
            raise MigrationError(
                f"{migration.filename} was edited after it was applied (checksum {record.checksum[:12]} in the "
                f"database, {migration.checksum[:12]} on disk); restore it and put the change in a new migration"
            )


def _check_server_version(conn: psycopg.Connection) -> None:
    version = conn.info.server_version
    if version < MINIMUM_SERVER_VERSION:
        raise MigrationError(
            f"PostgreSQL {version // 10000} is too old: carnivore-orchestration needs PostgreSQL 15 or newer"
        )
