"""Retries only where they can help, and one page per failure.

A step retries its own transient database errors (a lock it cannot get, a lost
connection) and nothing else; a failed step does not make Dagster retry the run (only a
run whose process died is retried: tests/test_dev_server.py stops one); and every run
that fails, retried or not, pages on-call once for its root run, saying whether a
retry is coming."""

import threading
import time
from datetime import date

import dagster as dg
import psycopg
import pytest
import yaml
from psycopg.conninfo import make_conninfo
from webhook_receiver import SECRET

from carnivore_orchestration.alerts.oncall import Retry
from carnivore_orchestration.cli import runs
from carnivore_orchestration.db.faults import is_transient, retry_wait
from carnivore_orchestration.defs.sensors import build_sensors
from carnivore_orchestration.resources import AlertsResource, ContentSource, PostgresResource
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR, PROJECT_ROOT

WEEK = sorted(BUNDLED_CONTENT_DIR.glob("*.json"))[-1].stem
FAILURE_SENSOR = {s.name: s for s in build_sensors(running=True)}["run_failure_alert_sensor"]


def test_transient_errors_are_told_from_permanent_ones():
    assert is_transient(psycopg.OperationalError("server closed the connection unexpectedly"))
    assert is_transient(psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"))
    assert is_transient(psycopg.errors.DeadlockDetected("deadlock detected"))
    assert is_transient(psycopg.errors.AdminShutdown("terminating connection due to administrator command"))
    try:  # re-raised by another layer: judged by its cause
        try:
            raise psycopg.OperationalError("connection refused")
        except psycopg.OperationalError as exc:
            raise RuntimeError("the step failed") from exc
    except RuntimeError as wrapped:
        assert is_transient(wrapped)
    assert not is_transient(psycopg.errors.UniqueViolation("duplicate key"))
    assert not is_transient(psycopg.errors.UndefinedTable("relation does not exist"))
    assert not is_transient(ValueError("a bug"))
    assert [retry_wait(n, 2.0) for n in range(4)] == [2.0, 4.0, 8.0, 16.0]


@pytest.fixture
def instance(tmp_path):
    """An instance with the project's run_retries (dagster.yaml), so that Dagster
    decides on each failed run whether it will retry it, as in `carnivore dev`."""
    retries = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())["run_retries"]
    with dg.instance_for_test(temp_dir=str(tmp_path), overrides={"run_retries": retries}) as instance:
        yield instance


def _resources(url: str, content_dir=BUNDLED_CONTENT_DIR, retries: int = 2) -> dict:
    return {"postgres": PostgresResource(url=url, transient_retries=retries, retry_delay=0.2),
            "content": ContentSource(directory=str(content_dir)),
            "alerts": AlertsResource(oncall_url="http://127.0.0.1:9/hooks", secret=SECRET)}


def _events(instance, run_id: str, event_type: dg.DagsterEventType) -> list:
    return [e for e in instance.all_logs(run_id) if e.dagster_event and e.dagster_event.event_type == event_type]


def _page(instance, run, resources) -> None:
    """One tick of run_failure_alert_sensor for this failed run."""
    failure = _events(instance, run.run_id, dg.DagsterEventType.RUN_FAILURE)[0].dagster_event
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor", dagster_instance=instance, dagster_run=run,
        dagster_event=failure, resources=resources).for_run_failure()
    FAILURE_SENSOR(context)


def _pages(db) -> list[dict]:
    return [row[0] for row in db.execute("SELECT payload FROM alert_events WHERE kind = 'run_failure' ORDER BY seq")]


def test_a_missing_file_fails_once_is_not_retried_and_pages_once_saying_so(db, db_url, instance, tmp_path):
    resources = _resources(db_url, content_dir=tmp_path)  # no file for the week here
    with pytest.raises(runs.RunFailed, match="no such file"):
        runs.weekly_import(date.fromisoformat(WEEK), instance=instance, resources=resources)
    run = instance.get_runs(limit=1)[0]
    assert _events(instance, run.run_id, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    assert instance.get_run_by_id(run.run_id).tags["dagster/will_retry"] == "false"
    for _ in range(2):  # the sensor seeing it twice still pages once
        _page(instance, run, resources)
    pages = _pages(db)
    assert len(pages) == 1
    assert pages[0]["retry"] == {"coming": False, "number": 0, "max_retries": 2}
    assert "It is not retried" in pages[0]["text"] and pages[0]["root_run_id"] == run.run_id


class LockHolder:
    """Holds bento_grid_items so the re-rank cannot write it; with `until_first_retry`,
    lets go once the step has given up once (its waiting statement is gone)."""

    def __init__(self, url: str, until_first_retry: bool):
        self.url, self.until_first_retry = url, until_first_retry
        self.locked = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)
        self.stop = threading.Event()

    def _hold(self):
        with psycopg.connect(self.url) as conn, psycopg.connect(self.url, autocommit=True) as watch:
            conn.execute("LOCK TABLE bento_grid_items IN ACCESS EXCLUSIVE MODE")
            self.locked.set()
            seen_waiting = False
            while not self.stop.is_set():
                waiting = watch.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                        " AND datname = current_database()").fetchone()[0]
                seen_waiting = seen_waiting or waiting > 0
                if self.until_first_retry and seen_waiting and not waiting:
                    break
                time.sleep(0.02)
            conn.rollback()

    def __enter__(self):
        self.thread.start()
        self.locked.wait(10)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)


def _short_lock_timeout(url: str) -> str:
    return make_conninfo(url, options="-c lock_timeout=300")


def test_a_transient_error_is_retried_by_the_step_and_the_run_succeeds_without_a_page(db, db_url, instance):
    runs.weekly_import(date.fromisoformat(WEEK), instance=instance, resources=_resources(db_url))
    with LockHolder(db_url, until_first_retry=True):
        changes = runs.rerank(instance=instance, resources=_resources(_short_lock_timeout(db_url)))
    run = instance.get_runs(limit=1)[0]
    retried = _events(instance, run.run_id, dg.DagsterEventType.STEP_UP_FOR_RETRY)
    assert [e.step_key for e in retried] == ["bento_grid_items"]
    assert "lock timeout" in str(retried[0].dagster_event.event_specific_data.error.cause.message)
    assert changes.items > 0 and _pages(db) == []


def _rerank_job():
    from carnivore_orchestration.definitions import defs

    return defs().resolve_job_def("hourly_rerank_job")


def test_a_transient_error_that_lasts_pages_once_for_the_run_and_its_re_execution(db, db_url, instance, monkeypatch):
    runs.weekly_import(date.fromisoformat(WEEK), instance=instance, resources=_resources(db_url))
    # The definitions as `carnivore dev` loads them, from the environment.
    monkeypatch.setenv("CARNIVORE_DATABASE_URL", _short_lock_timeout(db_url))
    monkeypatch.setenv("CARNIVORE_DB_RETRIES", "2")
    monkeypatch.setenv("CARNIVORE_DB_RETRY_SECONDS", "0.1")
    monkeypatch.setenv("CARNIVORE_ONCALL_WEBHOOK_URL", "http://127.0.0.1:9/hooks")
    resources = _resources(db_url)
    job = dg.reconstructable(_rerank_job)
    with LockHolder(db_url, until_first_retry=False):
        with dg.execute_job(job, instance=instance) as first:
            assert not first.success
        root = instance.get_run_by_id(first.run_id)
        assert len(_events(instance, root.run_id, dg.DagsterEventType.STEP_UP_FOR_RETRY)) == 2
        assert root.tags["dagster/will_retry"] == "false"  # a failed step: the run is not retried
        _page(instance, root, resources)
        # On-call re-executes it from the UI and it fails again: still one page, the
        # root run's, with the newest failure in it since it had not gone out yet.
        options = dg.ReexecutionOptions.from_failure(root.run_id, instance)
        with dg.execute_job(job, instance=instance, reexecution_options=options) as second:
            assert not second.success
        again = instance.get_run_by_id(second.run_id)
        assert again.root_run_id == root.run_id
        _page(instance, again, resources)
    pages = _pages(db)
    assert len(pages) == 1
    assert (pages[0]["root_run_id"], pages[0]["run_id"]) == (root.run_id, again.run_id)
    assert pages[0]["error"].endswith("canceling statement due to lock timeout (still failing after 2 retries)")


def test_a_retry_coming_is_said_in_the_page():
    coming = Retry(coming=True, number=0, max_retries=2).sentence()
    assert "retry 1 of 2" in coming and "only page" in coming
    assert "no retry is coming" in Retry(coming=False, number=2, max_retries=2).sentence()
