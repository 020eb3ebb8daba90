"""Engagement scoring, bulk loads, the re-rank, the personalized grid and partitions."""

import json
import uuid
from datetime import UTC, date, timedelta

import dagster as dg
import pytest
from click.testing import CliRunner
from psycopg import errors

from carnivore_orchestration.cli import main, runs
from carnivore_orchestration.content.loading import load_week
from carnivore_orchestration.content.store import write_week
from carnivore_orchestration.engagement.loading import EngagementError, load_engagement
from carnivore_orchestration.engagement.maintenance import ensure_partitions, partition_names, prune_buckets
from carnivore_orchestration.homepage.grid import personalized_items, rebuild_grid
from carnivore_orchestration.resources import PostgresResource
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

LATEST = sorted(BUNDLED_CONTENT_DIR.glob("*.json"))[-1]


def _grid_item(db, content_id, position, weekly=50, content_type="trending_topic", tags=()):
    db.execute(
        "INSERT INTO bento_grid_items (content_type, content_id, content_title, grid_position, weekly_score,"
        " engagement_score, rank_score, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [content_type, content_id, f"Item {content_id}", position, weekly, weekly, weekly,
         json.dumps({"tags": list(tags)})],
    )


def _events(db, content_id, interaction, count=1, ago="1 hour", sentiment=None, content_type="trending_topic"):
    db.execute(
        "INSERT INTO content_engagement (content_type, content_id, interaction_type, sentiment, created_at)"
        " SELECT %s, %s, %s, %s, now() - %s::interval FROM generate_series(1, %s)",
        [content_type, content_id, interaction, sentiment, ago, count],
    )


def _item(db, content_id, content_type="trending_topic"):
    return db.execute(
        "SELECT engagement_score::float8, positive_sentiment_percent::float8, view_count, share_count,"
        " bookmark_count, rank_score::float8 FROM bento_grid_items WHERE content_type = %s AND content_id = %s",
        [content_type, content_id],
    ).fetchone()


def test_the_formula_on_a_hand_computed_case(db):
    _grid_item(db, 1, 1, weekly=50)
    # Last 24 hours: 3 views, 2 shares, 1 bookmark, 4 comments of which 3 positive.
    _events(db, 1, "view", 3)
    _events(db, 1, "share", 2)
    _events(db, 1, "bookmark", 1, ago="23 hours")
    _events(db, 1, "comment", 3, sentiment="positive")
    _events(db, 1, "comment", 1, sentiment="negative", ago="2 hours")
    # 30 hours ago (7-day window only): 5 views and a positive reaction. 10 days ago: 7 views.
    _events(db, 1, "view", 5, ago="30 hours")
    _events(db, 1, "reaction", 1, sentiment="positive", ago="30 hours")
    _events(db, 1, "view", 7, ago="10 days")
    score, positive, views, shares, bookmarks, rank = _item(db, 1)
    # 3 + 2*5 + 1*3 + 20 * 3/10 = 22; positive over 7 days: 4 of 16 = 25 %.
    assert score == 22.0
    assert positive == 25.0
    assert (views, shares, bookmarks) == (15, 2, 1)  # all-time
    assert rank == 50.0  # readers below the weekly score do not sink it


def test_scores_clamp_at_100_and_lift_the_rank_halfway(db):
    _grid_item(db, 1, 1, weekly=60)
    _events(db, 1, "view", 150)
    score, _, _, _, _, rank = _item(db, 1)
    assert score == 100.0 and rank == 80.0


def test_content_types_are_counted_apart(db):
    _grid_item(db, 5, 1, content_type="trending_topic")
    _grid_item(db, 5, 2, content_type="top_video")
    _events(db, 5, "share", 4, content_type="top_video")
    assert _item(db, 5, "top_video")[0] == 20.0
    assert _item(db, 5, "trending_topic")[0] == 50.0  # untouched: keeps its weekly score
    assert _item(db, 5, "trending_topic")[3] == 0


def test_the_window_edges_are_exact_and_age_out(db):
    _events(db, 9, "view", 1, ago="23 hours 55 minutes")
    _events(db, 9, "view", 2, ago="24 hours 5 minutes")
    _events(db, 9, "comment", 1, sentiment="positive", ago="6 days 23 hours 50 minutes")
    _events(db, 9, "comment", 1, sentiment="negative", ago="7 days 10 minutes")

    def engagement(later):
        return db.execute(
            "SELECT interactions_24h, engagement_score::float8, positive_sentiment_percent::float8"
            " FROM private.item_engagement(ARRAY['trending_topic'], ARRAY[9::bigint], now() + %s::interval)",
            [later],
        ).fetchone()

    # 24 hours: one view. 7 days: three views and the positive comment; the negative one is out.
    assert engagement("0 minutes") == (1, 1.0, 25.0)
    # Eleven minutes on, the view and the comment have crossed their windows' edges.
    assert engagement("11 minutes") == (0, None, 0.0)
    assert engagement("8 days") == (0, None, 50.0)  # nothing left: the blueprint's 50


def test_a_single_insert_is_scored_at_once(db, act_as):
    _grid_item(db, 3, 1, weekly=10)
    with act_as("anon") as conn:
        conn.execute("INSERT INTO content_engagement (content_type, content_id, interaction_type)"
                     " VALUES ('trending_topic', 3, 'share')")
        conn.execute("RESET ROLE")
        assert _item(conn, 3)[0] == 5.0


def _csv(tmp_path, rows, header="content_type,content_id,interaction_type,sentiment,sentiment_score,created_at"):
    path = tmp_path / "interactions.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_a_bulk_load_is_all_or_nothing_and_names_the_line(db, tmp_path):
    good = "top_video,7,view,,,2026-11-01T10:00:00Z"
    cases = {
        "top_video,7,like,,,": "line 3: interaction_type",
        "top_video,7,comment,positive,1.5,": "line 3: sentiment_score: Input should be less than or equal to 1",
        "top_video,7,view,,,2999-01-01T00:00:00Z": r"line 3: created_at: 2999-01-01T00:00:00\+00:00 is in the future",
        "podcast,7,view,,,": "line 3: content_type",
    }
    for bad, expected in cases.items():
        path = _csv(tmp_path, [good, bad, good])
        with pytest.raises(EngagementError, match=expected):
            load_engagement(db, path)
        assert db.execute("SELECT count(*) FROM content_engagement").fetchone()[0] == 0
    loaded = load_engagement(db, _csv(tmp_path, [good, "top_video,7,comment,positive,0.9,", good]))
    assert loaded.rows == 3
    assert db.execute("SELECT count(*) FROM content_engagement").fetchone()[0] == 3


def test_what_only_the_database_can_check_also_rolls_the_load_back(db, tmp_path):
    path = tmp_path / "users.jsonl"
    path.write_text("\n".join([
        json.dumps({"content_type": "top_video", "content_id": 1, "interaction_type": "view"}),
        json.dumps({"content_type": "top_video", "content_id": 1, "interaction_type": "view",
                    "user_id": str(uuid.uuid4())}),
    ]))
    with pytest.raises(EngagementError, match="foreign key.*nothing was loaded"):
        load_engagement(db, path)
    assert db.execute("SELECT count(*) FROM content_engagement").fetchone()[0] == 0


def test_missing_created_at_means_now_and_replays_shift_to_now(db, tmp_path):
    before = db.execute("SELECT now()").fetchone()[0]
    load_engagement(db, _csv(tmp_path, ["top_video,1,view,,,"]))
    after = db.execute("SELECT now()").fetchone()[0]
    assert before <= db.execute("SELECT created_at FROM content_engagement").fetchone()[0] <= after
    path = _csv(tmp_path, ["top_video,2,view,,,2026-01-01T00:00:00Z", "top_video,2,view,,,2026-01-02T00:00:00Z"])
    load_engagement(db, path, shift_to_now=True)
    newest, spread = db.execute(
        "SELECT max(created_at), max(created_at) - min(created_at) FROM content_engagement WHERE content_id = 2"
    ).fetchone()
    assert after <= newest <= db.execute("SELECT now()").fetchone()[0]
    assert spread == timedelta(days=1)


@pytest.fixture
def imported(db):
    """The latest sample week written and ranked, without Dagster (fast)."""
    week = date.fromisoformat(LATEST.stem)
    write_week(db, week, load_week(LATEST, week))
    rebuild_grid(db)
    return db


def _at(db, position):
    return db.execute("SELECT content_type, content_id, content_title, weekly_score::float8 FROM bento_grid_items"
                      " WHERE grid_position = %s", [position]).fetchone()


def test_rerank_follows_readers_and_is_deterministic(imported):
    db = imported
    first = rebuild_grid(db)
    assert (first.rows_updated, first.items_moved, first.hero_changed) == (0, 0, False)
    hero, sixth = _at(db, 1), _at(db, 6)
    _events(db, sixth[1], "share", 30, content_type=sixth[0])  # readers' score 100
    changes = rebuild_grid(db)
    position = db.execute("SELECT grid_position, rank_score::float8 FROM bento_grid_items"
                          " WHERE content_type = %s AND content_id = %s", sixth[:2]).fetchone()
    assert position[1] == round(sixth[3] + (100 - sixth[3]) / 2, 2)
    assert position[0] < 6 and changes.items_moved >= 2
    assert changes.hero == hero[2] and not changes.hero_changed
    again = rebuild_grid(db)
    assert (again.rows_updated, again.items_moved, again.hero_changed) == (0, 0, False)


def test_rerank_reports_a_new_hero(imported):
    db = imported
    hero, second = _at(db, 1), _at(db, 2)
    table = "top_videos" if hero[0] == "top_video" else "trending_topics"
    db.execute(f"UPDATE {table} SET is_active = false WHERE id = %s", [hero[1]])  # an editor retires it
    changes = rebuild_grid(db)
    assert changes.hero_changed and changes.hero == second[2]
    assert changes.rows_removed == 1


def test_the_hourly_rerank_job_runs_through_dagster(imported, db_url):
    with dg.instance_for_test() as instance:
        changes = runs.rerank(instance, resources={"postgres": PostgresResource(url=db_url)})
    # Read back typed from the materialization's metadata.
    assert changes.items == imported.execute("SELECT count(*) FROM bento_grid_items").fetchone()[0] > 0
    assert changes.grid == []  # the grid itself rides as a Markdown table, not as values
    assert (changes.hero_changed, changes.items_moved, changes.rows_updated) == (False, 0, 0)
    assert changes.hero == _at(imported, 1)[2]


@pytest.mark.parametrize("shared, boost", [(0, 0), (1, 5), (4, 20), (5, 20)])
def test_personalized_boosts(db, shared, boost):
    reader = uuid.uuid4()
    db.execute("INSERT INTO auth.users (id) VALUES (%s)", [reader])
    tags = ["beginners", "fat", "meal-prep", "science", "budget"]
    db.execute("INSERT INTO user_interests (user_id, interests, interest_tags) VALUES (%s, '[\"x\"]', %s)",
               [reader, tags])
    _grid_item(db, 1, 1, weekly=90, tags=["recipes"])
    _grid_item(db, 2, 2, weekly=85, tags=tags[:shared] + ["other"])
    items = {i["content_id"]: i for i in personalized_items(db, reader)}
    assert items[2]["personalization_boost"] == boost
    assert items[2]["personalized_score"] == min(85 + boost, 100)
    assert items[1]["personalization_boost"] == 0
    order = [i["content_id"] for i in personalized_items(db, reader)]
    assert order == ([2, 1] if 85 + boost > 90 else [1, 2])


def test_nobody_reads_another_readers_interests_through_it(db):
    a, b = uuid.uuid4(), uuid.uuid4()
    for user in (a, b):
        db.execute("INSERT INTO auth.users (id) VALUES (%s)", [user])
    db.execute("INSERT INTO user_interests (user_id, interests, interest_tags) VALUES (%s, '[\"x\"]', '{science}')", [b])
    _grid_item(db, 1, 1, weekly=40, tags=["science"])
    with db.transaction(force_rollback=True):
        db.execute("SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
                   [json.dumps({"sub": str(a), "role": "authenticated"})])
        as_a_asking_for_b = db.execute("SELECT personalization_boost FROM get_personalized_grid(%s)", [b]).fetchall()
    assert as_a_asking_for_b == [(0,)]
    assert personalized_items(db, b)[0]["personalization_boost"] == 5
    assert personalized_items(db, uuid.uuid4())[0]["personalization_boost"] == 0  # unknown reader
    db.execute("UPDATE user_interests SET is_active = false WHERE user_id = %s", [b])
    assert personalized_items(db, b)[0]["personalization_boost"] == 0  # inactive interests


def test_partitions_are_made_ahead_idempotently_in_utc(db):
    db.execute("SET TimeZone = 'America/New_York'")
    report = ensure_partitions(db, months_ahead=3, today=date(2031, 12, 31))
    assert report.ensured == ["content_engagement_2031_12", "content_engagement_2032_01", "content_engagement_2032_02",
                              "content_engagement_2032_03"]
    assert report.created == report.ensured
    bounds = dict(report.partitions)
    assert bounds["content_engagement_2032_01"] == (
        "FOR VALUES FROM ('2032-01-01 00:00:00+00') TO ('2032-02-01 00:00:00+00')")
    again = ensure_partitions(db, months_ahead=3, today=date(2031, 12, 31))
    assert again.created == [] and again.ensured == report.ensured
    indexes = db.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'content_engagement_2032_01'").fetchone()[0]
    assert indexes == 5  # the primary key and the four partitioned indexes
    allowed = db.execute("SELECT has_table_privilege('anon', 'content_engagement_2032_01', 'SELECT')").fetchone()[0]
    assert allowed is False


def test_rows_in_the_default_partition_move_into_their_month(db):
    _events(db, 4, "view", 3, ago="500 days")
    month = db.execute("SELECT (now() - interval '500 days') AT TIME ZONE 'UTC'").fetchone()[0].date()
    assert db.execute("SELECT count(*) FROM content_engagement_default").fetchone()[0] == 3
    audit_before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    report = ensure_partitions(db, months_ahead=0, today=month)
    assert report.moved_from_default == 3 and report.default_rows == 0
    name = report.created[0]
    assert db.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM content_engagement").fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audit_before  # moved, not re-inserted


def test_a_partition_with_the_wrong_bounds_is_an_error(db):
    db.execute("CREATE TABLE content_engagement_2033_05 (LIKE content_engagement)")
    with pytest.raises(errors.RaiseException, match="content_engagement_2033_05 exists but is not the partition"):
        db.execute("SELECT private.create_engagement_partition('2033-05-01')")


def test_the_cli_loads_reranks_personalizes_and_partitions(imported, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("CARNIVORE_DATABASE_URL", db_url)
    runner = CliRunner()
    loaded = runner.invoke(main, ["engagement", "load", str(_csv(tmp_path, ["top_video,1,view,,,"]))])
    assert loaded.exit_code == 0 and "Loaded 1 interactions" in loaded.output
    bad = runner.invoke(main, ["engagement", "load", str(_csv(tmp_path, ["top_video,x,view,,,"]))])
    assert bad.exit_code == 1 and "line 2: content_id" in bad.output
    reranked = runner.invoke(main, ["rerank"])
    assert reranked.exit_code == 0 and "hero:" in reranked.output
    user = str(uuid.uuid4())
    personal = json.loads(runner.invoke(main, ["grid", "--json", "--user", user]).output)
    assert len(personal) == 7 and all(item["personalization_boost"] == 0 for item in personal)
    made = runner.invoke(main, ["maintain", "--months-ahead", "1"])
    assert made.exit_code == 0 and "Partitions ensured" in made.output
    assert len(partition_names(imported)) >= 3


def test_rerank_and_bulk_loads_run_side_by_side_without_deadlock(imported, db_url, tmp_path):
    """The grid writers take one advisory lock and lock grid rows in id order, as the
    engagement trigger does; concurrent re-ranks and loads queue instead of deadlocking."""
    import threading

    import psycopg

    items = imported.execute("SELECT content_type, content_id FROM bento_grid_items ORDER BY id DESC").fetchall()
    rows = [f"{t},{i},share,,," for t, i in items] * 3
    path = _csv(tmp_path, rows)
    errors_seen = []

    def work(task):
        try:
            with psycopg.connect(db_url, autocommit=True) as conn:
                for _ in range(3):
                    task(conn)
        except Exception as exc:  # reported by the assertion below
            errors_seen.append(exc)

    threads = [threading.Thread(target=work, args=(rebuild_grid,)) for _ in range(2)]
    # The same file six times: on purpose here (forced), the point is the locking.
    threads += [threading.Thread(target=work, args=(lambda conn: load_engagement(conn, path, force=True),))
                for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors_seen == []
    shares = imported.execute("SELECT sum(share_count) FROM bento_grid_items").fetchone()[0]
    assert shares == 2 * 3 * len(rows)


def test_the_hourly_and_daily_schedules():
    from datetime import datetime

    from carnivore_orchestration.defs.schedules import build_schedules

    schedules = {s.name: s for s in build_schedules(running=True)}
    hourly, daily = schedules["hourly_rerank_schedule"], schedules["daily_maintenance_schedule"]
    at = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    hour = hourly(dg.build_schedule_context(scheduled_execution_time=at))
    day = daily(dg.build_schedule_context(scheduled_execution_time=at))
    assert hour.tags["carnivore/hour"] == "2026-12-01T00:00Z" and day.tags["carnivore/day"] == "2026-12-01"
    assert (hourly.cron_schedule, daily.cron_schedule) == ("0 * * * *", "0 0 * * *")
    assert hourly.execution_timezone == daily.execution_timezone == "UTC"
    assert {s.default_status for s in build_schedules(running=False)} == {dg.DefaultScheduleStatus.STOPPED}


def test_maintenance_drops_only_buckets_no_score_reads(imported):
    db = imported
    item = _at(db, 1)
    db.execute(
        "INSERT INTO private.engagement_buckets (content_type, content_id, bucket_start, views, interactions)"
        " VALUES (%(t)s, %(i)s, date_trunc('hour', now()) - interval '9 days', 5, 5),"
        "        (%(t)s, %(i)s, date_trunc('hour', now()) - interval '7 days', 3, 3)",
        {"t": item[0], "i": item[1]})
    assert prune_buckets(db) == 1
    assert db.execute("SELECT count(*) FROM private.engagement_buckets WHERE bucket_start < now() - interval '8 days'"
                      ).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM private.engagement_buckets").fetchone()[0] == 1
