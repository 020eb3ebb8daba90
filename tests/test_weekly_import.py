"""The weekly import, materialized through Dagster against a real PostgreSQL."""

import json
import shutil
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest
from click.testing import CliRunner

from carnivore_orchestration.cli import main, runs
from carnivore_orchestration.content.weeks import FIRST_WEEK, WeekOutOfRange, current_week
from carnivore_orchestration.definitions import defs
from carnivore_orchestration.resources import ContentSource, PostgresResource
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

SAMPLE_WEEKS = sorted(date.fromisoformat(p.stem) for p in BUNDLED_CONTENT_DIR.glob("*.json"))
SNAPSHOT_TABLES = [
    "analyzed_content_weeks", "trending_topics", "trending_topic_weeks", "top_videos", "top_video_weeks",
    "creators", "creator_weeks", "bento_grid_items", "homepage_grid", "audit_log",
]


@pytest.fixture
def weeks_dir(tmp_path):
    """A private copy of the sample weeks."""
    folder = tmp_path / "weeks"
    shutil.copytree(BUNDLED_CONTENT_DIR, folder)
    return folder


@pytest.fixture
def cli_env(monkeypatch, db_url):
    """The command line reads its database from the environment."""
    monkeypatch.setenv("CARNIVORE_DATABASE_URL", db_url)


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def run_week(instance, weeks_dir, db_url):
    """`weekly_import_job` for one week, on the test's database and weeks, as a schedule runs it."""
    resources = {"postgres": PostgresResource(url=db_url), "content": ContentSource(directory=str(weeks_dir))}

    def run(week, source=None):
        ops = {"weekly_content": {"config": {"source_path": str(source)}}} if source is not None else None
        return runs.run_job("weekly_import_job", week.isoformat(), ops, instance, resources)

    return run


def snapshot(db) -> dict:
    return {
        table: sorted(row[0] for row in db.execute(f"SELECT to_jsonb(t)::text FROM {table} AS t"))
        for table in SNAPSHOT_TABLES
    }


def _checks(result) -> dict[str, bool]:
    return {
        event.event_specific_data.check_name: event.event_specific_data.passed
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    }


def _grid(db):
    return db.execute(
        "SELECT grid_position, content_type, content_title, engagement_score FROM bento_grid_items ORDER BY 1"
    ).fetchall()


def test_one_week_materializes_every_asset_with_metadata(weeks_dir, db, run_week):
    week = SAMPLE_WEEKS[0]
    result = run_week(week)
    assets = runs.materializations(result)
    assert set(assets) == {"analyzed_content", "trending_topics", "top_videos", "creators", "bento_grid_items",
                           "homepage_grid", "weekly_digest"}
    source = json.loads((weeks_dir / f"{week}.json").read_text())
    topics = source["analysis"]["trending_topics"]
    assert assets["analyzed_content"]["status"] == "imported"
    assert assets["analyzed_content"]["sha256"] == db.execute("SELECT sha256 FROM analyzed_content_weeks").fetchone()[0]
    assert assets["trending_topics"]["rows_inserted"] == len(topics)
    assert {"rows_inserted", "rows_updated", "rows_unchanged", "source_file", "sha256"} <= set(assets["top_videos"])
    assert "| 1 | hero |" in assets["bento_grid_items"]["grid"]
    assert all(_checks(result).values()) and len(_checks(result)) == 5

    assert db.execute("SELECT count(*) FROM trending_topics").fetchone()[0] == len(topics)
    raw = db.execute("SELECT v.raw_content FROM analyzed_content_weeks AS w JOIN analyzed_content_versions AS v USING (week, sha256)"
                     " WHERE week = %s", [week]).fetchone()[0]
    assert raw == (weeks_dir / f"{week}.json").read_text()
    grid = _grid(db)
    assert [row[0] for row in grid] == list(range(1, len(grid) + 1))
    homepage = db.execute("SELECT grid_position, content_title FROM homepage_grid ORDER BY 1").fetchall()
    assert homepage == [(row[0], row[2]) for row in grid[:7]]


def test_weeks_in_order_build_history_and_a_current_grid(weeks_dir, db, run_week):
    for week in SAMPLE_WEEKS[:2]:
        run_week(week)
    first, second = (json.loads((weeks_dir / f"{w}.json").read_text())["analysis"] for w in SAMPLE_WEEKS[:2])
    assert db.execute("SELECT count(DISTINCT week) FROM trending_topic_weeks").fetchone()[0] == 2
    vanished = {t["topic"] for t in first["trending_topics"]} - {t["topic"] for t in second["trending_topics"]}
    assert vanished, "the samples have a topic that vanishes in week two"
    in_grid = {row[2] for row in _grid(db)}
    assert not vanished & in_grid
    assert {t["topic"] for t in second["trending_topics"]} <= in_grid
    # A vanished topic stays in the table, not current.
    rows = db.execute("SELECT topic_name, last_seen_week FROM trending_topics WHERE topic_name = ANY(%s)",
                      [list(vanished)]).fetchall()
    assert rows and all(last == SAMPLE_WEEKS[0] for _, last in rows)
    # Week-over-week history is there to compute jumps from.
    history = db.execute(
        "SELECT count(*) FROM trending_topic_weeks a JOIN trending_topic_weeks b USING (topic_id)"
        " WHERE a.week = %s AND b.week = %s", SAMPLE_WEEKS[:2]
    ).fetchone()[0]
    assert history == len({t["topic"] for t in first["trending_topics"]} & {t["topic"] for t in second["trending_topics"]})
    top5 = db.execute("SELECT topic_name FROM calculate_trending_topics()").fetchall()
    assert len(top5) == 5 and top5[0][0] == max(second["trending_topics"], key=lambda t: t["engagement_score"])["topic"]


def test_the_same_week_twice_leaves_the_database_identical(weeks_dir, db, run_week):
    run_week(SAMPLE_WEEKS[0])
    before = snapshot(db)
    again = runs.materializations(run_week(SAMPLE_WEEKS[0]))
    assert snapshot(db) == before
    assert again["analyzed_content"]["status"] == "unchanged"
    assert again["trending_topics"]["rows_inserted"] == again["trending_topics"]["rows_updated"] == 0
    assert again["bento_grid_items"]["rows_updated"] == again["bento_grid_items"]["rows_inserted"] == 0


BAD_FILES = {
    "empty": ("", "the file is empty"),
    "html": ("<html><body>502 Bad Gateway</body></html>", "not valid JSON"),
    "truncated": ('{"analysis": {"trending_topics": [{"topic": "Lion', "not valid JSON"),
    "score": (json.dumps({"analysis": {"trending_topics": [{"topic": "A", "engagement_score": 150}]}}),
              "analysis.trending_topics[0].engagement_score: Input should be less than or equal to 100, got 150"),
    "views": (json.dumps({"top_videos": [{"video_id": "v", "title": "t", "views": -1}]}),
              "top_videos[0].views: Input should be greater than or equal to 0, got -1"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_input_fails_clearly_and_changes_nothing(weeks_dir, db, run_week, kind):
    run_week(SAMPLE_WEEKS[0])
    before = snapshot(db)
    text, expected = BAD_FILES[kind]
    bad = weeks_dir / f"{SAMPLE_WEEKS[1]}.json"
    bad.write_text(text)
    with pytest.raises(runs.RunFailed) as failure:
        run_week(SAMPLE_WEEKS[1])
    assert str(failure.value).startswith(f"{bad}: ")
    assert expected in str(failure.value)
    assert snapshot(db) == before


def test_a_changed_file_replaces_its_week(weeks_dir, db, run_week):
    week = SAMPLE_WEEKS[0]
    run_week(week)
    path = weeks_dir / f"{week}.json"
    document = json.loads(path.read_text())
    dropped = document["analysis"]["trending_topics"].pop()
    document["analysis"]["trending_topics"][0]["engagement_score"] = 13
    path.write_text(json.dumps(document))
    assets = runs.materializations(run_week(week))
    assert assets["analyzed_content"]["status"] == "replaced"
    kept = document["analysis"]["trending_topics"][0]["topic"]
    assert db.execute("SELECT engagement_score FROM trending_topics WHERE topic_name = %s", [kept]).fetchone()[0] == 13
    row = db.execute("SELECT last_seen_week FROM trending_topics WHERE topic_name = %s", [dropped["topic"]]).fetchone()
    assert row == (None,), "the dropped topic stays, but belongs to no week"
    assert dropped["topic"] not in {r[2] for r in _grid(db)}
    assert db.execute("SELECT count(*) FROM trending_topic_weeks WHERE week = %s", [week]).fetchone()[0] == len(
        document["analysis"]["trending_topics"])


def test_backfilling_an_old_week_does_not_change_the_homepage(weeks_dir, db, run_week):
    for week in SAMPLE_WEEKS[-2:]:
        run_week(week)
    homepage = db.execute("SELECT to_jsonb(h)::text FROM homepage_grid h ORDER BY grid_position").fetchall()
    current = ("SELECT id, topic_name, engagement_score, mention_count, creators_array, full_data, last_seen_week"
               " FROM trending_topics ORDER BY id")
    grid, topics = _grid(db), db.execute(current).fetchall()
    run_week(SAMPLE_WEEKS[0])
    assert db.execute("SELECT to_jsonb(h)::text FROM homepage_grid h ORDER BY grid_position").fetchall() == homepage
    assert _grid(db) == grid
    recurring = db.execute(
        "SELECT count(*) FROM trending_topics WHERE first_seen_week = %s AND last_seen_week = %s",
        [SAMPLE_WEEKS[0], SAMPLE_WEEKS[-1]],
    ).fetchone()[0]
    assert recurring > 0, "recurring topics now reach back to the first week, keeping their latest values"
    # Every topic that existed keeps the values of its newest week; the backfill only adds.
    after = {row[0]: row for row in db.execute(current).fetchall()}
    assert [after[row[0]] for row in topics] == topics


def test_both_shapes_import_alike(weeks_dir, db, run_week):
    nested_week = SAMPLE_WEEKS[0]
    path = weeks_dir / f"{nested_week}.json"
    document = json.loads(path.read_text())
    run_week(nested_week)
    nested_rows = db.execute("SELECT topic_slug, engagement_score FROM trending_topics ORDER BY 1").fetchall()
    path.write_text(json.dumps({"analysis_date": document["analysis_date"], **document["analysis"]}))
    assets = runs.materializations(run_week(nested_week))
    assert assets["analyzed_content"]["document_shape"] == "flat"
    assert db.execute("SELECT topic_slug, engagement_score FROM trending_topics ORDER BY 1").fetchall() == nested_rows


def test_the_asset_checks_fail_on_a_corrupted_grid(weeks_dir, db, db_url, run_week, instance):
    run_week(SAMPLE_WEEKS[0])
    db.execute("UPDATE bento_grid_items SET grid_position = 60 WHERE grid_position = 3")
    check_job = dg.define_asset_job("grid_checks", selection=dg.AssetSelection.checks_for_assets("bento_grid_items", "homepage_grid"))
    merged = dg.Definitions.merge(defs(), dg.Definitions(jobs=[check_job]))
    result = merged.resolve_job_def("grid_checks").execute_in_process(
        instance=instance, raise_on_error=False, resources={"postgres": PostgresResource(url=db_url)})
    outcomes = _checks(result)
    assert outcomes["grid_positions_contiguous"] is False
    assert outcomes["homepage_matches_grid"] is False  # the view still shows the old position 3
    assert outcomes["grid_content_unique"] is True and outcomes["grid_scores_in_range"] is True


def test_the_schedule_imports_that_mondays_week():
    from carnivore_orchestration.defs.schedules import build_schedules

    weekly_import_schedule = next(s for s in build_schedules(running=True) if s.name == "weekly_import_schedule")
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 23, 10, tzinfo=UTC))
    request = weekly_import_schedule(context)
    assert request.partition_key == "2026-11-23"
    assert weekly_import_schedule.cron_schedule == "0 10 * * 1"
    assert weekly_import_schedule.execution_timezone == "UTC"


def test_the_cli_imports_a_file_and_prints_the_grid(weeks_dir, cli_env, tmp_path):
    source = tmp_path / "published.json"
    shutil.copy(weeks_dir / f"{SAMPLE_WEEKS[1]}.json", source)
    runner = CliRunner()
    result = runner.invoke(main, ["import", str(source)])
    assert result.exit_code == 0, result.output
    assert f"as the week of {SAMPLE_WEEKS[1]}" in result.output
    grid = json.loads(runner.invoke(main, ["grid", "--json"]).output)
    assert [item["grid_position"] for item in grid] == list(range(1, 8))
    assert {"grid_position", "content_type", "content_id", "content_title", "engagement_score"} <= set(grid[0])


def test_the_cli_refuses_a_week_outside_the_partitions_before_it_changes_anything(monkeypatch, empty_db_url,
                                                                                  tmp_path):
    """A file dated next week, or a --week before the first: one line, and the database
    not even migrated (before this check, Dagster's unknown-partition error came out as
    a traceback once the schema had been migrated)."""
    from carnivore_orchestration.db import migrations
    from carnivore_orchestration.db.connection import connect

    monkeypatch.setenv("CARNIVORE_DATABASE_URL", empty_db_url)
    document = json.loads((BUNDLED_CONTENT_DIR / f"{SAMPLE_WEEKS[-1]}.json").read_text(encoding="utf-8"))
    next_week = current_week() + timedelta(days=7)
    document["analysis_date"] = f"{next_week.isoformat()}T10:00:00Z"
    future = tmp_path / "future.json"
    future.write_text(json.dumps(document), encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(future)])
    assert result.exit_code == 1, result.output
    assert result.output == (f"Error: {future}: the week of {next_week} has not begun: the newest week that can be "
                             f"imported is this one, {current_week()} (UTC) (its analysis_date is "
                             f"{next_week}T10:00:00+00:00)\n")

    document.pop("analysis_date")
    undated = tmp_path / "undated.json"
    undated.write_text(json.dumps(document), encoding="utf-8")
    early = CliRunner().invoke(main, ["import", str(undated), "--week", "2025-12-22"])
    assert early.exit_code == 1, early.output
    assert early.output == (f"Error: {undated}: the week of 2025-12-22 is before the first week the pipeline keeps, "
                            f"{FIRST_WEEK}\n")
    replay = CliRunner().invoke(main, ["replay", next_week.isoformat()])
    assert replay.exit_code == 1 and replay.output.startswith(f"Error: the week of {next_week} has not begun")
    with connect(empty_db_url) as conn:
        assert not migrations.status(conn).applied
    # The same rule where every command runs the job (`carnivore demo` from a folder, say).
    with pytest.raises(WeekOutOfRange, match=f"the week of {next_week} has not begun"):
        runs.weekly_import(next_week, future)


def test_the_cli_refuses_bad_input_with_the_clear_error(cli_env, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"trending_topics": [{"topic": "", "engagement_score": 5}]}')
    result = CliRunner().invoke(main, ["import", str(bad), "--week", str(SAMPLE_WEEKS[0])])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {bad}: trending_topics[0].topic:")
    tuesday = CliRunner().invoke(main, ["import", str(bad), "--week", "2026-11-17"])
    assert tuesday.exit_code != 0 and "is a Tuesday" in tuesday.output
