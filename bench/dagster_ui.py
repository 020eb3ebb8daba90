"""Driving a live `carnivore dev` from outside, as an on-call engineer's browser does:
start it on a free port, wait until the UI answers, launch runs through its GraphQL API
and read back Dagster's own run records. Used by the benchmark (UI-launched runs, the
server's start time) and by the tests of the dev server and the UI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.server import free_port
from carnivore_orchestration.settings import PROJECT_ROOT

FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


@dataclass
class DevUI:
    port: int
    process: subprocess.Popen
    database_url: str
    log: Path
    started_s: float  # from the command's start until /server_info answered
    survivors: list[str] = field(default_factory=list)

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/graphql", data=body,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1 only
            data = json.loads(response.read())
        if data.get("errors"):
            raise RuntimeError(f"GraphQL errors: {data['errors']}")
        return data["data"]

    def repository(self) -> dict:
        nodes = self.graphql("{ repositoriesOrError { ... on RepositoryConnection {"
                             " nodes { name location { name } } } } }")["repositoriesOrError"]["nodes"]
        return nodes[0]

    def launch(self, job: str, tags: dict[str, str] | None = None) -> str:
        """Launch a run as the UI's Launchpad does; returns its id."""
        repository = self.repository()
        launched = self.graphql(
            "mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {"
            " __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }",
            {"params": {"selector": {"repositoryLocationName": repository["location"]["name"],
                                     "repositoryName": repository["name"], "jobName": job},
                        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}}},
        )["launchRun"]
        if launched["__typename"] != "LaunchRunSuccess":
            raise RuntimeError(f"launching {job}: {launched}")
        return launched["run"]["runId"]

    def run(self, run_id: str) -> dict:
        """Dagster's record of a run: status, times (epoch seconds), tags, step times."""
        record = self.graphql(
            "query($id: ID!) { runOrError(runId: $id) { ... on Run { runId rootRunId status creationTime startTime"
            " endTime tags { key value } stepStats { stepKey status startTime endTime } } } }", {"id": run_id},
        )["runOrError"]
        return _with_tags(record)

    def runs(self) -> list[dict]:
        """Every run, newest first: id, root run id, status and tags."""
        results = self.graphql("{ runsOrError { ... on Runs { results { runId rootRunId status"
                               " tags { key value } } } } }")["runsOrError"]["results"]
        return [_with_tags(record) for record in results]

    def wait(self, run_id: str, timeout: float = 180) -> dict:
        """The run's record once it has finished; for a failed run, once Dagster has also
        tagged whether it will retry it (a moment after the failure is recorded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            record = self.run(run_id)
            decided = record["status"] != "FAILURE" or "dagster/will_retry" in record["tags"]
            if record["status"] in FINISHED and decided:
                return record
            time.sleep(0.5)
        raise TimeoutError(f"run {run_id} not finished after {timeout:.0f} s:\n{self.tail()}")

    def start_sensor(self, name: str) -> None:
        repository = self.repository()
        result = self.graphql(
            "mutation($selector: SensorSelector!) { startSensor(sensorSelector: $selector) { __typename } }",
            {"selector": {"repositoryLocationName": repository["location"]["name"],
                          "repositoryName": repository["name"], "sensorName": name}})
        if result["startSensor"]["__typename"] != "Sensor":
            raise RuntimeError(f"starting {name}: {result}")

    def wait_for_first_tick(self, name: str, timeout: float = 120) -> None:
        """Until the sensor has ticked once. A run status sensor's first tick only sets
        its cursor to the newest event, so a run that fails before it is never seen:
        a test launches its failing run after this."""
        repository = self.repository()
        selector = {"repositoryLocationName": repository["location"]["name"],
                    "repositoryName": repository["name"], "sensorName": name}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sensor = self.graphql(
                "query($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) {"
                " ... on Sensor { sensorState { ticks(limit: 1) { status } } } } }", {"selector": selector},
            )["sensorOrError"]
            if sensor["sensorState"]["ticks"]:
                return
            time.sleep(0.5)
        raise TimeoutError(f"{name} did not tick within {timeout:.0f} s:\n{self.tail()}")

    def tail(self, characters: int = 3000) -> str:
        return self.log.read_text()[-characters:]

    def stop(self, timeout: float = 60) -> int:
        """Ctrl-C, as a person stops it; the command's exit status. Every process it had
        started (Dagster's webserver, daemon, code servers, run workers) must be gone
        too: any left after a grace period is killed and listed in `survivors`."""
        import psutil

        tree = psutil.Process(self.process.pid).children(recursive=True)
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
        _, alive = psutil.wait_procs(tree, timeout=15)
        self.survivors = [name for name in map(_kill, alive) if name]
        return status


def _with_tags(record: dict) -> dict:
    """GraphQL's list of {key, value} tags as a dict."""
    return {**record, "tags": {tag["key"]: tag["value"] for tag in record["tags"]}}


def _kill(process) -> str | None:
    """Kill a process that outlived its parent and say which it was; None if it was gone."""
    import psutil

    try:
        name = " ".join(process.cmdline()[:4])
        process.kill()
        return name
    except psutil.NoSuchProcess:
        return None


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


@contextmanager
def serving(home: Path, database_url: str, log: Path, env: dict[str, str] | None = None,
            port: int | None = None, timeout: float = 120) -> Iterator[DevUI]:
    """`carnivore dev` with its own CARNIVORE_HOME, on `database_url`, schedules and
    sensors stopped unless `env` says otherwise; killed on the way out if still running."""
    port = port or free_port()
    environment = {**os.environ, "CARNIVORE_HOME": str(home), "CARNIVORE_DATABASE_URL": database_url,
                   "CARNIVORE_AUTOMATION": "off", **(env or {})}
    environment.pop("DAGSTER_HOME", None)
    started = time.perf_counter()
    with open(log, "a") as output:
        # Our own CLI with our own arguments.
        process = subprocess.Popen([sys.executable, "-m", "carnivore_orchestration.cli", "dev",  # noqa: S603
                                    "--port", str(port)], env=environment, cwd=PROJECT_ROOT, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while not _answers(port):
            if process.poll() is not None:
                raise RuntimeError(f"`carnivore dev` exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the Dagster UI did not answer within {timeout:.0f} s:\n{log.read_text()}")
            time.sleep(0.2)
        yield DevUI(port, process, database_url, log, time.perf_counter() - started)
    finally:
        if process.poll() is None:
            # As a person stops it, so that Dagster's processes (in a session of their
            # own) stop with it; killing the command alone would leave them running.
            DevUI(port, process, database_url, log, 0).stop()
