"""Starting `carnivore dev` for a test: a free port, a fresh CARNIVORE_HOME, the test's
database, and a wait for the UI to answer."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from carnivore_orchestration.settings import PROJECT_ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 2.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def start_dev_server(tmp_path, empty_db_url):
    port = _free_port()
    env = {**os.environ, "CARNIVORE_HOME": str(tmp_path / "home"), "CARNIVORE_DATABASE_URL": empty_db_url,
           "CARNIVORE_AUTOMATION": "off"}
    env.pop("DAGSTER_HOME", None)
    log = open(tmp_path / "dev.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "carnivore_orchestration.cli", "dev", "--port", str(port)],
                               env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if _get(f"http://127.0.0.1:{port}/server_info")[0] == 200:
                break
        except OSError:
            time.sleep(0.5)
        assert process.poll() is None, (tmp_path / "dev.log").read_text()
    else:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("the Dagster UI did not answer within 120 s:\n" + (tmp_path / "dev.log").read_text())
    yield port, process, empty_db_url, tmp_path / "dev.log"
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


