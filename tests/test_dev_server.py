"""`carnivore dev`: the Dagster UI and daemon on one command, with Dagster's state in
PostgreSQL; runs launched from it take seconds; a stop in the middle of a run loses
nothing and the run is completed once it is back; its log stays quiet."""

import re
import time
from collections import Counter

import psycopg
import pytest
import yaml
from psycopg.conninfo import make_conninfo
from standardwebhooks.webhooks import Webhook
from webhook_receiver import SECRET, Receiver

from bench.dagster_ui import serving
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR, PROJECT_ROOT

LATEST = sorted(BUNDLED_CONTENT_DIR.glob("*.json"))[-1].stem


@pytest.mark.e2e
def test_one_command_serves_the_ui_with_state_in_postgres(dev_server):
    data = dev_server.graphql("{ assetNodes { assetKey { path } } }")
    keys = {"/".join(node["assetKey"]["path"]) for node in data["assetNodes"]}
    assert {"analyzed_content", "trending_topics", "top_videos", "creators", "bento_grid_items", "homepage_grid",
            "content_engagement_partitions"} <= keys
    # The outbox is described once, at start.
    assert "Alerts: 0 pending" in dev_server.log.read_text()
    # The location's name is the project's, whatever the checkout's folder is called.
    assert dev_server.repository()["location"]["name"] == "carnivore-orchestration"
    # Dagster's runs, event logs and schedules live in their own database on the same server.
    url = dev_server.database_url
    storage = make_conninfo(url, dbname=psycopg.conninfo.conninfo_to_dict(url)["dbname"] + "_dagster")
    with psycopg.connect(storage) as conn:
        tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"runs", "event_logs", "jobs", "job_ticks"} <= tables
    # A launched run executes its steps in one process: its own record says so.
    record = dev_server.wait(dev_server.launch("hourly_rerank_job"))
    assert record["status"] == "SUCCESS", dev_server.tail()
    events = dev_server.graphql(
        "query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {"
        " ... on MessageEvent { message } } } } }", {"id": record["runId"]})["logsForRun"]["events"]
    assert any(e.get("message", "").startswith("Executing steps in process") for e in events)
    # Those events are in the UI; the console is not flooded with them (dagster.yaml's python_logs).
    assert "STEP_START" not in dev_server.log.read_text()
    # Ctrl-C stops the UI and the daemon, and the command exits cleanly, leaving no
    # process of Dagster's behind.
    assert dev_server.stop() == 0, dev_server.tail()
    assert dev_server.survivors == []


def _quiet(log: str) -> list[str]:
    """Warnings and errors in a dev server's log, by message (time stamps dropped)."""
    lines = [re.sub(r"^\S*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\S*\s*", "", line) for line in log.splitlines()]
    return [line for line in lines if re.search(r"WARNING|ERROR|Warning:|Traceback", line)]


@pytest.mark.e2e
def test_a_stop_during_a_run_loses_nothing_and_the_run_is_completed_when_it_is_back(tmp_path, empty_db_url):
    home, log = tmp_path / "home", tmp_path / "dev.log"
    receiver = Receiver().start()
    env = {"CARNIVORE_ONCALL_WEBHOOK_URL": receiver.url, "CARNIVORE_WEBHOOK_SECRET": SECRET}
    with serving(home, empty_db_url, log, env=env) as ui, psycopg.connect(empty_db_url) as blocker:
        for sensor in ("run_failure_alert_sensor", "alert_outbox_sensor"):
            ui.start_sensor(sensor)
        ui.wait_for_first_tick("run_failure_alert_sensor")
        # The import's transaction gets as far as top_videos and waits there: it has
        # written the archive, the creators and the topics when the server is stopped.
        blocker.execute("LOCK TABLE top_videos IN ACCESS EXCLUSIVE MODE")
        run_id = ui.launch("weekly_import_job", {"dagster/partition": LATEST})
        with psycopg.connect(empty_db_url, autocommit=True) as watch:
            deadline = time.monotonic() + 120
            while not watch.execute(
                    "SELECT count(*) FROM pg_locks AS held JOIN pg_stat_activity AS a USING (pid)"
                    " WHERE a.wait_event_type = 'Lock' AND held.granted AND held.mode = 'RowExclusiveLock'"
                    "   AND held.relation = 'trending_topics'::regclass").fetchone()[0]:
                assert time.monotonic() < deadline, ui.tail()
                time.sleep(0.2)
        assert ui.stop() == 0, ui.tail()
        assert ui.survivors == []
        blocker.rollback()
    with psycopg.connect(empty_db_url) as conn:
        written = conn.execute("SELECT (SELECT count(*) FROM analyzed_content_weeks),"
                               " (SELECT count(*) FROM trending_topics), (SELECT count(*) FROM creators)").fetchone()
    assert written == (0, 0, 0)  # the week is absent, not half there

    with serving(home, empty_db_url, log, env=env) as ui:
        stopped = ui.run(run_id)
        assert stopped["status"] == "FAILURE" and stopped["tags"]["dagster/will_retry"] == "true"
        deadline = time.monotonic() + 120
        while not (retries := [r for r in ui.runs() if r["rootRunId"] == run_id]):
            assert time.monotonic() < deadline, ui.tail()
            time.sleep(1)
        assert ui.wait(retries[0]["runId"])["status"] == "SUCCESS", ui.tail()
        assert retries[0]["tags"]["dagster/retry_number"] == "1"
        # On-call hears of it once, told that Dagster is retrying it.
        deadline = time.monotonic() + 180
        while not receiver.requests:
            assert time.monotonic() < deadline, ui.tail()
            time.sleep(1)
        page = Webhook(SECRET).verify(receiver.requests[0]["body"], receiver.requests[0]["headers"])
        assert page["run_id"] == run_id and page["retry"] == {"coming": True, "number": 0, "max_retries": 2}
        assert "retry 1 of 2" in page["text"]
        assert ui.stop() == 0
    receiver.stop()
    assert len(receiver.requests) == 1
    with psycopg.connect(empty_db_url) as conn:
        weeks = conn.execute("SELECT week::text FROM analyzed_content_weeks").fetchall()
        grid = conn.execute("SELECT count(*) FROM bento_grid_items").fetchone()[0]
    assert weeks == [(LATEST,)] and grid > 0
    # Nothing in the log that needs no action: no repeated warning, no traceback.
    repeated = {line: n for line, n in Counter(_quiet(log.read_text())).items() if n > 2}
    assert repeated == {}, repeated


def test_the_quiet_log_check_can_fail():
    noisy = "\n".join(["2026-11-23 18:16:31 +0000 - dagster - WARNING - The code location name 'x' does not match"] * 3)
    assert Counter(_quiet(noisy)).most_common(1)[0][1] == 3


def test_runs_retry_only_when_their_process_died_and_the_location_name_is_fixed(tmp_path, monkeypatch, empty_db_url):
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    from carnivore_orchestration.db.connection import with_driver

    monkeypatch.setenv("CARNIVORE_DAGSTER_STORAGE_URL", with_driver(empty_db_url, "psycopg2"))
    monkeypatch.setenv("CARNIVORE_DAGSTER_LOCAL_DIR", str(tmp_path))
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path), config_dir=str(PROJECT_ROOT))) as instance:
        coordinator = instance.run_coordinator
        assert type(coordinator).__name__ == "QueuedRunCoordinator"
        assert {"key": "carnivore/writes", "value": "grid", "limit": 1} in coordinator.get_run_queue_config() \
            .tag_concurrency_limits
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
        assert instance.run_retries_retry_on_asset_or_op_failure is False
    # The three places that name the code location agree.
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text()
    configured = re.search(r'^code_location_name = "(.+)"$', pyproject, re.MULTILINE).group(1)
    workspace = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text())
    helm = yaml.safe_load((PROJECT_ROOT / "deploy" / "helm-values.yaml").read_text())
    assert workspace["load_from"][0]["python_module"]["location_name"] == configured
    assert helm["dagster-user-deployments"]["deployments"][0]["name"] == configured
