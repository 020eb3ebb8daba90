"""Runs as an on-call engineer launches them: from a live `carnivore dev`, through its
GraphQL API (what the UI's Launch button calls), timed by Dagster's own run record.

Ours runs each job's steps in the run's process (defs/execution.py). The baseline is the
same job on a second server with CARNIVORE_EXECUTOR=multiprocess, Dagster's default of
one process per step; the quick run leaves it out (it takes minutes) and compares with
the time the steps themselves took instead, which is what Dagster adds on top.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.dagster_ui import serving
from bench.databases import admin_url, fresh_database
from carnivore_orchestration.db.dagster_storage import storage_database_name
from carnivore_orchestration.db.scratch import drop_database

JOBS = ("weekly_import_job", "hourly_rerank_job", "maintenance_job")


def _timings(record: dict) -> dict:
    if record["status"] != "SUCCESS":
        raise RuntimeError(f"{record['runId']} ended {record['status']}")
    steps = [s for s in record["stepStats"] if s["startTime"] and s["endTime"]]
    return {
        "launch_to_end_s": record["endTime"] - record["creationTime"],  # queued, process start, steps
        "run_s": record["endTime"] - record["startTime"],                # Dagster's run duration
        "steps_s": sum(s["endTime"] - s["startTime"] for s in steps),   # the work itself
    }


def _one_server(week: str, executor: str) -> dict:
    with tempfile.TemporaryDirectory() as folder, fresh_database(f"ui_{executor}") as url:
        try:
            with serving(Path(folder), url, Path(folder) / "dev.log", env={"CARNIVORE_EXECUTOR": executor}) as ui:
                result = {"server_start_s": ui.started_s}
                for job in JOBS:
                    tags = {"dagster/partition": week} if job == "weekly_import_job" else {}
                    result[job] = _timings(ui.wait(ui.launch(job, tags), timeout=600))
                ui.stop()
        finally:
            drop_database(admin_url(), storage_database_name(url))
    return result


def definitions_load_s() -> float:
    """A fresh Python importing Dagster and loading the project's definitions: the
    least that each of `carnivore dev`'s processes (webserver, daemon, code server) pays."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from carnivore_orchestration.definitions import defs; defs()"],  # noqa: S603
                   check=True)
    return time.perf_counter() - started


def launched_from_the_ui(week: str, with_baseline: bool) -> dict:
    result = {"definitions_load_s": definitions_load_s(), "in_process": _one_server(week, "in_process")}
    if with_baseline:
        result["multiprocess"] = _one_server(week, "multiprocess")
    return result
