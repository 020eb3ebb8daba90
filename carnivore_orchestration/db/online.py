"""Applying a no-transaction migration: one statement at a time, resumable.

Each statement that can run in a transaction runs in one together with the row that
records it as done, so a stop between statements never leaves a statement applied but
unrecorded. The statements that cannot (`CREATE INDEX CONCURRENTLY` and the other
`CONCURRENTLY` forms, `VACUUM`) are recorded after they finish; if the process stops in
between, or the build fails part way, what they leave behind is found on the next run:

- an index built but not recorded is valid, and counts as done;
- a concurrent build that stopped part way leaves an INVALID index, which PostgreSQL
  keeps updating on every write but never reads; it is dropped (concurrently) and built
  again.

PostgreSQL cannot build an index concurrently on a partitioned table. Such a statement
is carried out the way PostgreSQL's documentation describes: the index is created on
the parent alone (`ON ONLY`, no rows read, so it holds its lock for an instant), each
partition's index is built concurrently, and each is attached; the parent's index
becomes valid with the last one. Partitions made later inherit it.

Lock waits of statements that block writers are bounded by `MigrationLimits` and
retried. A concurrent build never blocks readers or writers (it takes SHARE UPDATE
EXCLUSIVE), so its waits for older transactions are bounded by the statement timeout
only: a long report running elsewhere makes it wait, not fail.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass

import psycopg
import sqlparse
from psycopg import sql

from carnivore_orchestration.db.limits import MigrationLimits, with_lock_retries
from carnivore_orchestration.db.migrations import Migration, MigrationError, describe, record

OUTSIDE_TRANSACTION = re.compile(r"\bCONCURRENTLY\b|^VACUUM\b", re.I)
CONCURRENT_INDEX = re.compile(
    r"^CREATE\s+(?P<unique>UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(?P<name>[a-z_][a-z0-9_$]*)\s+ON\s+(?P<table>[a-z_][a-z0-9_$.]*)\s+(?P<rest>.+?);?\s*$",
    re.I | re.S,
)
MAX_IDENTIFIER = 63


@dataclass(frozen=True)
class Statement:
    step: int
    text: str  # comments stripped
    offset: int  # where it starts in the file, for error lines


def statements(migration: Migration) -> list[Statement]:
    found, position = [], 0
    for raw in sqlparse.split(migration.sql):
        offset = migration.sql.find(raw, position)
        position = offset + len(raw)
        text = sqlparse.format(raw, strip_comments=True).strip()
        if text and text != ";":
            found.append(Statement(len(found) + 1, text, offset))
    return found


def apply_statements(conn: psycopg.Connection, migration: Migration, limits: MigrationLimits) -> int:
    started = time.perf_counter()
    done = _done_steps(conn, migration)
    conn.execute("SET search_path = public")
    try:
        for statement in statements(migration):
            if statement.step in done:
                continue
            try:
                _apply_one(conn, migration, statement, limits)
            except psycopg.Error as exc:
                raise MigrationError(
                    f"{migration.filename} stopped at statement {statement.step} ({_first_line(statement)}): "
                    f"{describe(exc, migration, statement.offset)}; statements before it stay applied, "
                    "and the next run resumes there"
                ) from exc
        duration_ms = round((time.perf_counter() - started) * 1000)
        with conn.transaction():
            record(conn, migration, duration_ms)
            conn.execute("DELETE FROM carnivore_meta.migration_steps WHERE version = %s", [migration.version])
        return duration_ms
    finally:
        if not conn.closed and not conn.broken:
            conn.execute("RESET search_path")


def _apply_one(conn: psycopg.Connection, migration: Migration, statement: Statement, limits: MigrationLimits) -> None:
    if not OUTSIDE_TRANSACTION.search(statement.text):
        def in_transaction() -> None:
            with conn.transaction():
                limits.set_local(conn)
                conn.execute(statement.text)
                _mark_done(conn, migration, statement)

        with_lock_retries(in_transaction, limits)
        return
    index = CONCURRENT_INDEX.match(statement.text)
    limits.set_concurrent(conn)
    try:
        if index and _relkind(conn, index["table"]) == "p":
            _build_partitioned(conn, index, limits)
        elif index:
            _build_concurrently(conn, index["name"], index["table"], statement.text)
        else:
            conn.execute(statement.text)
    finally:
        MigrationLimits.reset_session(conn)
    _mark_done(conn, migration, statement)


def _build_concurrently(conn: psycopg.Connection, name: str, table: str, statement: str) -> None:
    """Build, unless a valid index of that name is already there; an invalid one left
    by a stopped build is dropped first."""
    state = _index_state(conn, name, table)
    if state == "valid":
        return
    if state == "invalid":
        conn.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(_qualified(conn, name, table)))
    conn.execute(statement)


def _build_partitioned(conn: psycopg.Connection, index: re.Match, limits: MigrationLimits) -> None:
    unique = "UNIQUE " if index["unique"] else ""
    name, table, rest = index["name"], index["table"], index["rest"].rstrip().rstrip(";")
    parent = f"CREATE {unique}INDEX IF NOT EXISTS {name} ON ONLY {table} {rest}"

    def create_parent() -> None:
        with conn.transaction():
            limits.set_local(conn)
            conn.execute(parent)

    with_lock_retries(create_parent, limits)
    parent_index = _qualified(conn, name, table)
    for partition, attached in _partitions(conn, table, name):
        if attached:
            continue
        child = _child_name(name, partition)
        _build_concurrently(conn, child, partition, f"CREATE {unique}INDEX CONCURRENTLY {child} ON {partition} {rest}")

        def attach(child=child, partition=partition) -> None:
            with conn.transaction():
                limits.set_local(conn)
                conn.execute(sql.SQL("ALTER INDEX {} ATTACH PARTITION {}").format(
                    parent_index, _qualified(conn, child, partition)))

        with_lock_retries(attach, limits)
    if _index_state(conn, name, table) != "valid":
        raise MigrationError(f"index {name} on {table} is still invalid after every partition's index was attached")


def _partitions(conn: psycopg.Connection, table: str, index_name: str) -> list[tuple[str, bool]]:
    """Each partition of `table`, and whether it already has an index attached to the
    parent's index `index_name`."""
    rows = conn.execute(
        """
        SELECT t.relid::regclass::text, t.isleaf,
               EXISTS (SELECT 1 FROM pg_inherits AS i JOIN pg_index AS x ON x.indexrelid = i.inhrelid
                       WHERE x.indrelid = t.relid
                         AND i.inhparent = (SELECT c.oid FROM pg_class AS c
                                            WHERE c.relname = %s AND c.relnamespace = p.relnamespace))
        FROM pg_partition_tree(%s::regclass) AS t
        JOIN pg_class AS p ON p.oid = %s::regclass
        WHERE t.level = 1
        ORDER BY 1
        """,
        [index_name, table, table],
    ).fetchall()
    nested = [partition for partition, leaf, _ in rows if not leaf]
    if nested:
        raise MigrationError(f"{table}: sub-partitioned partitions ({', '.join(nested)}) are not supported")
    return [(partition, attached) for partition, _, attached in rows]


def _child_name(index: str, partition: str) -> str:
    """`<partition>_<index>`, shortened with a hash when PostgreSQL would truncate it."""
    name = f"{partition.split('.')[-1]}_{index}"
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:MAX_IDENTIFIER - 9]}_{digest}"


def _index_state(conn: psycopg.Connection, name: str, table: str) -> str | None:
    row = conn.execute(
        """
        SELECT x.indisvalid AND x.indisready
        FROM pg_class AS i JOIN pg_index AS x ON x.indexrelid = i.oid
        WHERE i.relname = %s AND i.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = %s::regclass)
        """,
        [name, table],
    ).fetchone()
    if row is None:
        return None
    return "valid" if row[0] else "invalid"


def _qualified(conn: psycopg.Connection, name: str, table: str) -> sql.Composed:
    schema = conn.execute("SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = %s::regclass",
                          [table]).fetchone()[0]
    return sql.Identifier(schema, name)


def _relkind(conn: psycopg.Connection, table: str) -> str:
    row = conn.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table]).fetchone()
    if row is None:
        raise MigrationError(f"table {table} does not exist")
    return row[0]


def _done_steps(conn: psycopg.Connection, migration: Migration) -> set[int]:
    rows = conn.execute("SELECT step, checksum FROM carnivore_meta.migration_steps WHERE version = %s",
                        [migration.version]).fetchall()
    if any(checksum != migration.checksum for _, checksum in rows):
        raise MigrationError(
            f"{migration.filename} was edited after {len(rows)} of its statements were applied; restore it, "
            "let it finish, and put the change in a new migration"
        )
    return {step for step, _ in rows}


def _mark_done(conn: psycopg.Connection, migration: Migration, statement: Statement) -> None:
    conn.execute("INSERT INTO carnivore_meta.migration_steps (version, checksum, step) VALUES (%s, %s, %s)",
                 [migration.version, migration.checksum, statement.step])


def _first_line(statement: Statement) -> str:
    line = statement.text.splitlines()[0]
    return line if len(line) <= 80 else line[:77] + "..."
