"""`carnivore db check` and the daily database checks in Dagster, against a real server."""

import shutil

import dagster as dg
import psycopg
import pytest
from click.testing import CliRunner

from carnivore_orchestration.cli import main, runs
from carnivore_orchestration.db import health, manifest
from carnivore_orchestration.defs.sensors import build_sensors
from carnivore_orchestration.resources import AlertsResource, PostgresResource
from carnivore_orchestration.settings import sql_dir

FAILURE_SENSOR = {s.name: s for s in build_sensors(running=True)}["run_failure_alert_sensor"]


def _by_name(checks):
    return {c.name: c for c in checks}


def test_the_manifest_is_what_the_migrations_create(db):
    assert manifest.snapshot(db) == manifest.expected(), (
        "sql/schema.manifest is out of date: uv run python -m carnivore_orchestration.db.manifest")


def test_a_freshly_migrated_database_passes(db):
    checks = _by_name(health.run_all(db))
    assert list(checks) == list(health.CHECKS)
    assert not [c for c in checks.values() if c.status in ("fail", "warn")]
    assert checks["schema_matches_migrations"].status == "ok"
    assert f"{len(manifest.expected())} objects present" in checks["schema_matches_migrations"].summary


def test_drift_is_named(db):
    db.execute("DROP POLICY trending_topics_public_read ON trending_topics")
    db.execute("DROP INDEX idx_trending_created_by")
    db.execute("CREATE TABLE notes_by_hand (id int PRIMARY KEY)")
    check = health.schema_matches_migrations(db)
    assert check.status == "fail"
    assert "missing: index idx_trending_created_by on public.trending_topics" in check.details
    assert "missing: policy trending_topics_public_read on public.trending_topics" in check.details
    assert "not from the migrations: table public.notes_by_hand" in check.details
    advisor = health.supabase_advisor(db)  # the index was a foreign key's
    assert advisor.status == "fail" and any("trending_topics" in line for line in advisor.details)


def test_an_extra_object_alone_warns(db):
    db.execute("CREATE TABLE notes_by_hand (id int PRIMARY KEY)")
    assert health.schema_matches_migrations(db).status == "warn"


def test_an_edited_or_pending_migration_fails(db, tmp_path, monkeypatch):
    copy = tmp_path / "sql"
    shutil.copytree(sql_dir(), copy)
    (copy / "0900_later.sql").write_text("SELECT 1;\n")
    monkeypatch.setattr("carnivore_orchestration.db.migrations.sql_dir", lambda: copy)
    monkeypatch.setattr("carnivore_orchestration.db.manifest.sql_dir", lambda: copy)
    check = health.schema_matches_migrations(db)
    assert check.status == "fail" and "1 migration(s) pending (0900_later.sql)" in check.summary
    edited = sorted(copy.glob("00*.sql"))[3]
    edited.write_text(edited.read_text() + "-- edited\n")
    check = health.schema_matches_migrations(db)
    assert check.status == "fail" and f"{edited.name} was edited after it was applied" in check.summary


def test_a_database_not_migrated_is_reported_not_raised(empty_db_url):
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        checks = _by_name(health.run_all(conn))
    assert checks["schema_matches_migrations"].status == "fail"
    assert f"{len(list(sql_dir().glob('*.sql')))} migration(s) pending" in checks["schema_matches_migrations"].summary
    assert checks["engagement_default_partition"].summary.startswith("could not run: relation")


def test_rows_in_the_default_partition_warn(db):
    db.execute("INSERT INTO content_engagement (content_id, content_type, interaction_type, created_at)"
               " VALUES (1, 'trending_topic', 'view', now() - interval '3 years')")
    check = health.engagement_default_partition(db)
    assert check.status == "warn" and check.summary.startswith("1 interaction(s) in content_engagement_default")


def test_dead_rows_beyond_autovacuum_warn(db):
    db.execute("CREATE TABLE churn (id int PRIMARY KEY) WITH (autovacuum_enabled = false)")
    db.execute("INSERT INTO churn SELECT generate_series(1, 5000)")
    db.execute("DELETE FROM churn WHERE id <= 3000")
    db.execute("SELECT pg_stat_force_next_flush()")
    db.execute("SELECT 1")  # the flush happens at the end of the next transaction
    check = health.dead_tuples(db)
    assert check.status == "warn"
    assert any(line.startswith("public.churn: 3,000 dead / 2,000 live (60%), never vacuumed") for line in check.details)


def test_growth_is_measured_from_the_last_check(db):
    first = health.relation_growth(db)
    assert first.status == "note" and first.summary.startswith("first check")
    db.execute("ALTER TABLE creators DISABLE TRIGGER USER")
    db.execute("INSERT INTO creators (creator_name) SELECT 'creator ' || g FROM generate_series(1, 20000) AS g")
    second = health.relation_growth(db)
    assert second.status == "ok" and second.summary.startswith("since ")
    assert second.details[0].startswith("public.creators: tables +") and "MB" in second.details[0]
    assert db.execute("SELECT count(DISTINCT checked_at) FROM carnivore_meta.relation_sizes").fetchone() == (2,)


def test_slowest_statements_or_a_clear_note(db):
    missing = health.slowest_statements(db)
    assert missing.status == "note" and "CREATE EXTENSION pg_stat_statements" in missing.summary
    db.execute("CREATE EXTENSION pg_stat_statements")
    loaded = "pg_stat_statements" in db.execute("SHOW shared_preload_libraries").fetchone()[0]
    db.execute("SELECT count(*) FROM trending_topics, generate_series(1, 1000)")
    check = health.slowest_statements(db)
    if loaded:  # the embedded server preloads it when it starts it; CI's PostgreSQL 15 too
        assert check.status == "ok" and len(check.details) == health.SHOWN
        assert all(" ms mean " in line and " calls " in line for line in check.details)
    else:
        assert check.status == "note" and "shared_preload_libraries" in check.summary


def test_unused_indexes_are_judged_after_a_week_of_statistics(db, monkeypatch):
    early = health.unused_indexes(db)
    assert early.status == "note" and "judged after 7 days" in early.summary
    monkeypatch.setattr(health, "UNUSED_AFTER_DAYS", 0)
    judged = health.unused_indexes(db)
    assert judged.status == "warn" and any(line.startswith("idx_") for line in judged.details)
    assert not any("_pkey" in line for line in judged.details)  # unique indexes are never "unused"


def test_the_command(db_url, monkeypatch):
    monkeypatch.setenv("CARNIVORE_DATABASE_URL", db_url)
    ok = CliRunner().invoke(main, ["db", "check"])
    assert ok.exit_code == 0, ok.output
    assert "ok    schema_matches_migrations: " in ok.output and "ok    supabase_advisor: " in ok.output
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("DROP INDEX idx_alert_events_topic")
    failed = CliRunner().invoke(main, ["db", "check"])
    assert failed.exit_code == 1
    assert "FAIL  schema_matches_migrations" in failed.output and "FAIL  supabase_advisor" in failed.output
    assert failed.output.rstrip().endswith("2 check(s) failed: schema_matches_migrations, supabase_advisor")


def _check_results(result) -> dict[str, tuple[bool, str]]:
    evaluations = [e.event_specific_data for e in result.all_events
                   if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    return {e.check_name: (e.passed, e.severity.value) for e in evaluations}


def test_the_daily_job_records_every_check(db_url):
    with dg.instance_for_test() as instance:
        result = runs.run_job("database_checks_job", instance=instance,
                              resources={"postgres": PostgresResource(url=db_url)})
    checks = _check_results(result)
    assert set(checks) == set(health.CHECKS)
    assert all(passed for passed, _ in checks.values())


def test_a_failed_check_fails_the_run_and_pages_on_call_once(db, db_url):
    db.execute("DROP POLICY creators_public_read ON creators")
    resources = {"postgres": PostgresResource(url=db_url),
                 "alerts": AlertsResource(oncall_url="http://127.0.0.1:9/hooks", secret="whsec_" + "A" * 32)}
    with dg.instance_for_test() as instance:
        with pytest.raises(runs.RunFailed, match="schema_matches_migrations: .*1 object\\(s\\) missing"):
            runs.run_job("database_checks_job", instance=instance, resources=resources)
        run = instance.get_runs(limit=1)[0]
        records = instance.get_records_for_run(run.run_id).records
        evaluations = {r.event_log_entry.dagster_event.event_specific_data.check_name:
                       r.event_log_entry.dagster_event.event_specific_data.passed
                       for r in records if r.event_log_entry.dagster_event
                       and r.event_log_entry.dagster_event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION}
        assert evaluations["schema_matches_migrations"] is False  # recorded before the run failed
        assert set(evaluations) == set(health.CHECKS)
        failure = next(e for e in instance.all_logs(run.run_id) if e.dagster_event
                       and e.dagster_event.event_type == dg.DagsterEventType.RUN_FAILURE).dagster_event
        for _ in range(2):
            context = dg.build_run_status_sensor_context(
                sensor_name="run_failure_alert_sensor", dagster_instance=instance, dagster_run=run,
                dagster_event=failure, resources=resources).for_run_failure()
            FAILURE_SENSOR(context)
    pages = [row[0] for row in db.execute("SELECT payload FROM alert_events WHERE kind = 'run_failure'")]
    assert len(pages) == 1
    assert pages[0]["job"] == "database_checks_job"
    assert "1 object(s) missing (missing: policy creators_public_read on public.creators)" in pages[0]["error"]
    assert pages[0]["retry"]["coming"] is False
