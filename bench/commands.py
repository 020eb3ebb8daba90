"""The figures users feel: whole `carnivore` commands, from process start to exit
(Python, the CLI, Dagster's import and the job included), against a server over TCP
(as Supabase is reached) and against the embedded server's Unix socket. Their baseline
is the import's own work in one process (validation, write, grid), measured by the
weekly import benchmark in the same run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench import synthetic, weekly_import
from bench.databases import fresh_database


def _timed(env: dict, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "carnivore_orchestration.cli", *args], env=env,  # noqa: S603
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"carnivore {' '.join(args)} exited with {done.returncode}: {done.stderr.strip()[-500:]}")
    return elapsed


def _commands(env: dict, sample: str, big: str) -> dict:
    """`db status`, the newest sample week's import, then the big week as the week after."""
    return {"db_status_s": _timed(env, "db", "status"),
            "import_sample_s": _timed(env, "import", sample),
            "import_big_s": _timed(env, "import", big)}


def _medians(runs: list[dict]) -> dict:
    """Each command's median over the runs, with every run beside it."""
    return {**{key: statistics.median(run[key] for run in runs) for key in runs[0]}, "runs": runs}


def whole_commands(topics: int, videos: int, runs: int = 1) -> dict:
    """Each command `runs` times, in rounds (a run over TCP, then one on the socket), each
    round's imports into a database fresh from the migrations, so that neither week is
    found already imported."""
    from carnivore_orchestration.db import embedded
    from carnivore_orchestration.db.scratch import create_database
    from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

    sample = str(BUNDLED_CONTENT_DIR / f"{weekly_import.WEEK.isoformat()}.json")
    timings: dict[str, list[dict]] = {"tcp": [], "socket": []}
    result = {}
    with tempfile.TemporaryDirectory(prefix="carnivore-commands-") as folder:
        document = synthetic.week_document(topics, videos)
        document["analysis_date"] = (weekly_import.WEEK + timedelta(days=7)).isoformat() + "T10:00:00Z"
        big = Path(folder) / "big.json"
        big.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        tcp_env = {**os.environ, "CARNIVORE_HOME": str(Path(folder) / "tcp")}
        # The embedded server of a CARNIVORE_HOME of its own, reached on its socket as a
        # user's command reaches it (no URL given); its first start and the migrations
        # happen before the timed commands, and its migrated database is kept as the
        # template each round's database is copied from (it goes with the server's folder).
        socket_env = {key: value for key, value in os.environ.items() if key != "CARNIVORE_DATABASE_URL"}
        socket_env["CARNIVORE_HOME"] = str(Path(folder) / "socket")
        try:
            result["socket_first_start_and_migrate_s"] = _timed(socket_env, "migrate")
            server = embedded.running_server(Path(socket_env["CARNIVORE_HOME"]) / "pgdata")
            socket_admin = server.url("postgres")
            create_database(socket_admin, "commands_template", embedded.DATABASE_NAME)
            for _ in range(runs):
                with fresh_database("commands_tcp") as url:
                    timings["tcp"].append(_commands({**tcp_env, "CARNIVORE_DATABASE_URL": url}, sample, str(big)))
                create_database(socket_admin, embedded.DATABASE_NAME, "commands_template")
                timings["socket"].append(_commands(socket_env, sample, str(big)))
        finally:
            subprocess.run([sys.executable, "-m", "carnivore_orchestration.cli", "db", "stop"], env=socket_env,  # noqa: S603
                           capture_output=True, check=False)
    return {**result, "tcp": _medians(timings["tcp"]), "socket": _medians(timings["socket"])}
