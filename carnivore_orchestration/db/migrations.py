"""A small, strict runner for the numbered plain-SQL files in `sql/`.

Why not a library: yoyo-migrations records a hash of each migration's *name*, not its
content, so an edited file goes unnoticed; alembic wants Python revision files; pyway
commits the script and its bookkeeping row in separate transactions and formats values
into SQL. What we need fits in this module: each file and its record in one
transaction, a content checksum, and a lock so that two processes never migrate at once.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

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
"""


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
    _verify_history(applied, migrations)
    done = {a.version for a in applied}
    return MigrationStatus(applied=applied, pending=[m for m in migrations if m.version not in done])


def migrate(
    conn: psycopg.Connection,
    directory: Path | None = None,
    on_applied=None,
) -> list[Migration]:
    """Apply every pending migration in order, each in its own transaction.

    `conn` must be in autocommit mode: the runner opens one transaction per file.
    Returns the migrations applied by this call.
    """
    if not conn.autocommit:
        raise ValueError("migrate() needs an autocommit connection; it manages its own transactions")
    _check_server_version(conn)
    conn.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
    try:
        conn.execute(BOOKKEEPING)
        current = status(conn, directory)
        for migration in current.pending:
            duration_ms = _apply(conn, migration)
            if on_applied is not None:
                on_applied(migration, duration_ms)
        return current.pending
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def _apply(conn: psycopg.Connection, migration: Migration) -> int:
    started = time.perf_counter()
    try:
        with conn.transaction():
            # Pin the search path and bound lock waits so that a migration against a busy
            # production database fails fast instead of queueing behind long transactions.
            conn.execute("SET LOCAL search_path = public")
            conn.execute("SET LOCAL lock_timeout = '30s'")
            conn.execute(migration.sql)
            duration_ms = round((time.perf_counter() - started) * 1000)
            conn.execute(
                "INSERT INTO carnivore_meta.schema_migrations (version, name, checksum, duration_ms)"
                " VALUES (%s, %s, %s, %s)",
                [migration.version, migration.name, migration.checksum, duration_ms],
            )
    except psycopg.Error as exc:
        raise MigrationError(f"{migration.filename} failed and was rolled back: {_describe(exc, migration)}") from exc
    return duration_ms


def _describe(exc: psycopg.Error, migration: Migration) -> str:
    diag = exc.diag
    message = diag.message_primary or str(exc).strip()
    where = ""
    if diag.statement_position:
        line = migration.sql.count("\n", 0, int(diag.statement_position) - 1) + 1
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


def _verify_history(applied: list[AppliedMigration], migrations: list[Migration]) -> None:
    by_version = {m.version: m for m in migrations}
    for record in applied:
        migration = by_version.get(record.version)
        if migration is None:
            raise MigrationError(
                f"migration {record.version:04d}_{record.name}.sql is applied to the database but missing from "
                f"{sql_dir()}; restore the file (applied migrations are never removed)"
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
