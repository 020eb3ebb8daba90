"""`carnivore dev`: the Dagster UI and daemon on this project, with Dagster's own state
in PostgreSQL beside the project's database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from carnivore_orchestration.alerts import outbox
from carnivore_orchestration.alerts.settings import DESTINATIONS, AlertSettings
from carnivore_orchestration.db.backup import migrate_with_backup
from carnivore_orchestration.db.connection import connect, database_url
from carnivore_orchestration.db.dagster_storage import dagster_storage_url
from carnivore_orchestration.settings import OWNERS_WARNING, PROJECT_ROOT, carnivore_home


@dataclass(frozen=True)
class DevServer:
    database_url: str
    storage_url: str
    migrations_applied: int
    alerts: str
    command: list[str]
    env: dict[str, str]


def alert_summary(conn) -> str:
    """The outbox as this environment would deliver it, said once at start rather than
    at every sensor tick (each tick's reason is in the UI, on the sensor's page)."""
    settings = AlertSettings.from_environ(os.environ)
    ready = outbox.readiness(conn, settings)
    pending = outbox.pending_count(conn, list(DESTINATIONS))
    held = [destination for destination in pending if destination in ready.waiting]
    # The URLs are not printed: a Slack webhook's URL is its secret.
    configured = ", ".join(ready.ready) or "none"
    if not held:
        return f"{sum(pending.values())} pending; endpoints configured: {configured}"
    return f"{sum(pending.values())} pending; held until {ready.describe_waiting(held)}"


def prepare(host: str, port: int, verbose: bool = False) -> DevServer:
    """Migrate the project's database and find Dagster's storage; nothing starts yet."""
    url = database_url()
    applied = len(migrate_with_backup(url))
    with connect(url, autocommit=True) as conn:
        alerts = alert_summary(conn)
    storage = dagster_storage_url()
    local = carnivore_home() / "dagster"
    local.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(PROJECT_ROOT),  # so that the project's dagster.yaml is the one used
        "CARNIVORE_DAGSTER_STORAGE_URL": storage,
        "CARNIVORE_DAGSTER_LOCAL_DIR": str(local),
        "CARNIVORE_DATABASE_URL": url,  # run workers use the server this command started
        # In every process Dagster starts (see OWNERS_WARNING).
        "PYTHONWARNINGS": ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), f"ignore:{OWNERS_WARNING}"])),
    }
    # `dg dev` (not the superseded `dagster dev`, which warns so at every start), on the
    # workspace file so that it runs in this environment rather than through `uv run`.
    dg = Path(sys.executable).with_name("dg")
    command = [str(dg), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", host, "-p", str(port),
               # Dagster logs every sensor tick and run launch at INFO, twice a minute or
               # more, all of it in the UI already: the console keeps what needs action.
               "--log-level", "info" if verbose else "warning"]
    return DevServer(url, storage, applied, alerts, command, env)


def run(server: DevServer, on_stopping: Callable[[], None] = lambda: None) -> int:
    """Run until Dagster exits or we get Ctrl-C / SIGTERM; returns the exit status."""

    def restore_signals():
        # A process started from a backgrounded shell inherits ignored SIGINT/SIGTERM.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    # Our own dagster executable with our own arguments: nothing untrusted reaches the command.
    process = subprocess.Popen(server.command, env=server.env, cwd=PROJECT_ROOT,  # noqa: S603
                               start_new_session=True, preexec_fn=restore_signals)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        process.wait()
    except KeyboardInterrupt:
        on_stopping()
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return 0 if process.returncode in (0, -signal.SIGINT, 130) else process.returncode
