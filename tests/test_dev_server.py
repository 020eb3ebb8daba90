"""`carnivore dev`: the Dagster UI and daemon on one command, with Dagster's state in
PostgreSQL, stopped cleanly by Ctrl-C."""

import os
import signal
from pathlib import Path

import psycopg
import pytest
from dev_server import graphql
from psycopg.conninfo import make_conninfo

from carnivore_orchestration.settings import PROJECT_ROOT


@pytest.mark.slow
def test_one_command_serves_the_ui_with_state_in_postgres(dev_server):
    port, process, url, log = dev_server
    data = graphql(port, "{ assetNodes { assetKey { path } } }")
    keys = {"/".join(node["assetKey"]["path"]) for node in data["data"]["assetNodes"]}
    assert {"analyzed_content", "trending_topics", "top_videos", "creators", "bento_grid_items", "homepage_grid",
            "content_engagement_partitions"} <= keys
    # Dagster's runs, event logs and schedules live in their own database on the same server.
    storage = make_conninfo(url, dbname=psycopg.conninfo.conninfo_to_dict(url)["dbname"] + "_dagster")
    with psycopg.connect(storage) as conn:
        tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"runs", "event_logs", "jobs", "job_ticks"} <= tables
    # Ctrl-C stops the UI and the daemon, and the command exits cleanly.
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) == 0, Path(log).read_text()


def test_the_instance_config_queues_runs_and_retries_scheduled_jobs(tmp_path, monkeypatch, empty_db_url):
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    from carnivore_orchestration.db.connection import with_driver
    from carnivore_orchestration.definitions import defs

    monkeypatch.setenv("CARNIVORE_DAGSTER_STORAGE_URL", with_driver(empty_db_url, "psycopg2"))
    monkeypatch.setenv("CARNIVORE_DAGSTER_LOCAL_DIR", str(tmp_path))
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path), config_dir=str(PROJECT_ROOT))) as instance:
        coordinator = instance.run_coordinator
        assert type(coordinator).__name__ == "QueuedRunCoordinator"
        assert {"key": "carnivore/writes", "value": "grid", "limit": 1} in coordinator.get_run_queue_config() \
            .tag_concurrency_limits
        assert instance.run_retries_enabled
    definitions = defs()
    for name in ("weekly_import_job", "hourly_rerank_job"):
        tags = definitions.resolve_job_def(name).tags
        assert tags["carnivore/writes"] == "grid" and tags["dagster/max_retries"] == "2"
    assert definitions.resolve_job_def("maintenance_job").tags["dagster/max_retries"] == "2"
