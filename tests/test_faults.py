"""Faults, proven against a real server: a bulk load of interactions killed part way,
then retried; input too large or too deep for memory; imports at the same time and in
any order."""

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter
from datetime import date

import psycopg
import pytest
from click.testing import CliRunner
from conftest import _database, fingerprint
from webhook_receiver import SECRET, Receiver

from bench import synthetic
from bench.server import LoopbackServer
from carnivore_orchestration.alerts.delivery import send_due
from carnivore_orchestration.alerts.settings import AlertSettings
from carnivore_orchestration.cli import main
from carnivore_orchestration.content.loading import ContentError, Limits, load_week
from carnivore_orchestration.content.store import write_week
from carnivore_orchestration.content.weeks import monday_of
from carnivore_orchestration.db import migrations
from carnivore_orchestration.db.scratch import with_dbname
from carnivore_orchestration.engagement.loading import EngagementError, load_engagement
from carnivore_orchestration.homepage.grid import rebuild_grid
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR


def _csv(path, rows: int):
    lines = ["content_type,content_id,interaction_type,sentiment,sentiment_score,user_id"]
    lines += [f"trending_topic,{i % 300 + 1},view,positive,," for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _counts(db) -> tuple[int, int]:
    return db.execute("SELECT (SELECT count(*) FROM content_engagement),"
                      " (SELECT count(*) FROM carnivore_meta.engagement_loads)").fetchone()


def test_a_file_loaded_once_is_refused_again_unless_forced(db, tmp_path):
    path = _csv(tmp_path / "week.csv", 50)
    first = load_engagement(db, path)
    assert _counts(db) == (50, 1)
    with pytest.raises(EngagementError, match=rf"week.csv: this file \(sha256 {first.sha256[:12]}\) was already loaded"
                                              r" on .* as week.csv \(50 interactions\); nothing was loaded.*--force"):
        load_engagement(db, path)
    copy = tmp_path / "renamed.csv"  # the same bytes under another name are the same file
    copy.write_bytes(path.read_bytes())
    with pytest.raises(EngagementError, match="was already loaded"):
        load_engagement(db, copy)
    assert _counts(db) == (50, 1)
    load_engagement(db, copy, force=True)
    assert _counts(db) == (100, 2)
    assert db.execute("SELECT file_name, forced FROM carnivore_meta.engagement_loads ORDER BY id").fetchall() == [
        ("week.csv", False), ("renamed.csv", True)]
    with pytest.raises(EngagementError, match=r"\(50 interactions\), and 1 time\(s\) since"):
        load_engagement(db, path)


def _on(db_url) -> dict:
    return {**os.environ, "CARNIVORE_DATABASE_URL": db_url}


def _load(db_url, path, *extra):
    return _command(_on(db_url), "engagement", "load", str(path), *extra)


def _copy_backend(db) -> int | None:
    row = db.execute("SELECT pid FROM pg_stat_activity WHERE query LIKE 'COPY content_engagement%%'"
                     " AND pid <> pg_backend_pid()").fetchone()
    return row[0] if row else None


@pytest.mark.slow
def test_a_load_killed_during_its_copy_commits_nothing_and_its_retry_counts_once(db, db_url, tmp_path):
    path = _csv(tmp_path / "big.csv", 200_000)
    load = _load(db_url, path)
    deadline = time.monotonic() + 120
    while _copy_backend(db) is None:
        assert load.poll() is None, load.communicate()
        assert time.monotonic() < deadline, "the load never reached its COPY"
        time.sleep(0.01)
    load.send_signal(signal.SIGKILL)
    load.wait()
    while _copy_backend(db) is not None:  # the server notices the client is gone and rolls back
        time.sleep(0.05)
    assert _counts(db) == (0, 0)

    retry = _load(db_url, path)
    out, err = retry.communicate(timeout=300)
    assert retry.returncode == 0, err
    assert "Loaded 200,000 interactions" in out
    assert _counts(db) == (200_000, 1)

    again = _load(db_url, path)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 1
    assert "was already loaded" in err and "Traceback" not in err
    assert _counts(db) == (200_000, 1)


def _padded_week(path, megabytes: float):
    """A valid week whose one topic carries `megabytes` of description."""
    document = {"analysis_date": "2026-11-16T10:00:00Z",
                "trending_topics": [{"topic": "Butter", "engagement_score": 50, "description": "x" * int(megabytes * 1e6)}]}
    path.write_text(json.dumps(document))
    return path


def test_a_50_mb_file_is_refused_before_it_is_read(tmp_path):
    path = _padded_week(tmp_path / "2026-11-16.json", 50)
    tracemalloc.start()
    try:
        with pytest.raises(ContentError, match=r"2026-11-16.json: the file is 50.0 MB, more than the 16 MB a week's"
                                               r" file may be \(CARNIVORE_CONTENT_MAX_MB\); nothing was read"):
            load_week(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # not one of its 50 MB was loaded
    assert load_week(path, limits=Limits(max_megabytes=60)).topics[0].name == "Butter"  # the limit is the limit


@pytest.mark.parametrize("levels", [40, 100_000])
def test_a_deeply_nested_file_is_refused_with_where(tmp_path, levels):
    """40 levels: past the limit (32); 100,000: past what the JSON parser can recurse."""
    path = tmp_path / "2026-11-16.json"
    nested = "[" * levels + "]" * levels
    path.write_text('{"trending_topics": [{"topic": "Butter", "engagement_score": 50, "extra": ' + nested + "}]}")
    expected = (r"trending_topics\[0\]\.extra(\[0\])+: nested more than 32 levels deep" if levels == 40
                else r"nested deeper than the JSON parser goes \(the limit is 32 levels\)")
    with pytest.raises(ContentError, match=expected):
        load_week(path)


def test_the_import_command_refuses_a_file_over_the_limit_and_writes_nothing(db, db_url, tmp_path, monkeypatch):
    path = _padded_week(tmp_path / "2026-11-16.json", 2)
    monkeypatch.setenv("CARNIVORE_DATABASE_URL", db_url)
    monkeypatch.setenv("CARNIVORE_CONTENT_MAX_MB", "1")
    result = CliRunner().invoke(main, ["import", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}: the file is 2.0 MB, more than the 1 MB")
    assert db.execute("SELECT count(*) FROM analyzed_content_weeks").fetchone() == (0,)


WEEKS = sorted(BUNDLED_CONTENT_DIR.glob("*.json"))


def _write(url, path):
    """A week's import as the job runs it: the week, then the grid rebuilt."""
    with psycopg.connect(url, autocommit=True) as conn:
        write_week(conn, date.fromisoformat(path.stem), load_week(path))
        with conn.transaction():
            rebuild_grid(conn)


def _state(url) -> dict:
    """What an import leaves: topics with their scores, the grid, and the editors' events."""
    with psycopg.connect(url) as conn:
        return {
            "topics": conn.execute("SELECT topic_name, engagement_score, last_seen_week FROM trending_topics"
                                   " ORDER BY 1").fetchall(),
            "grid": conn.execute("SELECT content_type, content_title, grid_position FROM bento_grid_items"
                                 " ORDER BY grid_position").fetchall(),
            "events": sorted(conn.execute("SELECT dedupe_key FROM alert_events WHERE destination = 'editors'")
                             .fetchall()),
        }


def _newest_events(state, week) -> set[str]:
    return {key for (key,) in state["events"] if f":{week}:" in key}


def _pair_with_a_jump(admin_url, template_db) -> tuple:
    """Two consecutive sample weeks where the later one jumps over the earlier one."""
    for older, newer in zip(WEEKS, WEEKS[1:], strict=False):
        with _database(admin_url, template_db) as url:
            _write(url, older)
            _write(url, newer)
            if any(key.endswith(":score_jump") for key in _newest_events(_state(url), newer.stem)):
                return older, newer
    raise AssertionError("no two consecutive sample weeks with a score jump")


def test_the_newest_weeks_alerts_do_not_depend_on_the_order_files_arrive(admin_url, template_db):
    older, newer = _pair_with_a_jump(admin_url, template_db)
    with _database(admin_url, template_db) as in_order, _database(admin_url, template_db) as reversed_order:
        _write(in_order, older)
        _write(in_order, newer)
        _write(reversed_order, newer)
        _write(reversed_order, older)  # late: re-evaluates the newest week
        expected, found = _state(in_order), _state(reversed_order)
    assert found["topics"] == expected["topics"] and found["grid"] == expected["grid"] != []
    wanted = _newest_events(expected, newer.stem)
    got = _newest_events(found, newer.stem)
    assert {k for k in wanted if k.endswith("score_jump")} == {k for k in got if k.endswith("score_jump")} != set()
    assert wanted <= got  # every alert an in-order import raises; nothing about the older week itself
    assert _newest_events(found, older.stem) == set()


def _together(*tasks) -> list[BaseException]:
    """Run the tasks at the same moment, each on a thread; the errors they raised."""
    errors, start = [], threading.Barrier(len(tasks))

    def run(task):
        try:
            start.wait()
            task()
        except BaseException as exc:  # reported by the caller's assertion
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a task never finished (deadlock?)"
    return errors


@pytest.mark.parametrize("order", ["two weeks", "the same week twice"])
def test_imports_at_the_same_time_end_as_in_order(admin_url, template_db, order):
    older, newer = _pair_with_a_jump(admin_url, template_db)
    paths = [older, newer] if order == "two weeks" else [newer, newer]
    with _database(admin_url, template_db) as sequential, _database(admin_url, template_db) as concurrent:
        for path in dict.fromkeys(paths):
            _write(sequential, path)
        for _ in range(5):  # either may commit first; try it a few times
            assert _together(*[functools.partial(_write, concurrent, path) for path in paths]) == []
        expected, found = _state(sequential), _state(concurrent)
    assert found["topics"] == expected["topics"] and found["grid"] == expected["grid"] != []
    newest = _newest_events(expected, newer.stem)
    assert newest <= _newest_events(found, newer.stem)
    assert len(found["events"]) == len(set(found["events"]))


@pytest.fixture
def own_server(tmp_path):
    """A PostgreSQL of this test's own on 127.0.0.1, which the test may crash."""
    server = LoopbackServer()
    server.start()
    url = with_dbname(server.url, "carnivore")
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE carnivore")
    with psycopg.connect(url, autocommit=True) as conn:
        migrations.migrate(conn)
    env = {**os.environ, "CARNIVORE_DATABASE_URL": url, "CARNIVORE_HOME": str(tmp_path / "home"),
           "CARNIVORE_DB_RETRIES": "1", "CARNIVORE_DB_RETRY_SECONDS": "1"}
    try:
        yield server, url, env
    finally:
        server.remove()


def _command(env, *args):
    """`carnivore ARGS` in a process of its own."""
    return subprocess.Popen([sys.executable, "-m", "carnivore_orchestration.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _crash_while_waiting_on(server, url, table, command):
    """Hold `table`, let `command` reach it and wait, then stop the server at once."""
    holder = psycopg.connect(url)
    holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    with psycopg.connect(url, autocommit=True) as monitor:
        deadline = time.monotonic() + 120
        while not monitor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0]:
            assert command.poll() is None, command.communicate()
            assert time.monotonic() < deadline, f"the command never reached {table}"
            time.sleep(0.05)
    server.stop("immediate")
    holder.close()
    out, err = command.communicate(timeout=120)
    server.start()
    return command.returncode, out, err


def _clear_failure(returncode, err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert returncode == 1
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert "Traceback" not in err
    assert "still failing after 1 retries" in lines[0]  # the step retried once before giving up
    return lines[0]


@pytest.mark.slow
def test_the_server_crashing_during_an_import_leaves_no_half_week(own_server):
    server, url, env = own_server
    week = WEEKS[-1]
    returncode, _, err = _crash_while_waiting_on(server, url, "top_videos", _command(env, "import", str(week)))
    _clear_failure(returncode, err)
    with psycopg.connect(url) as conn:  # the archive, creators and topics were written before top_videos: none stayed
        assert conn.execute("SELECT (SELECT count(*) FROM analyzed_content_weeks), (SELECT count(*) FROM creators),"
                            " (SELECT count(*) FROM trending_topics)").fetchone() == (0, 0, 0)
    again = _command(env, "import", str(week))
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM analyzed_content_weeks").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM bento_grid_items").fetchone()[0] > 0


@pytest.mark.slow
def test_the_server_crashing_during_a_rerank_leaves_the_grid_as_it_was(own_server):
    server, url, env = own_server
    _write(url, WEEKS[-1])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO content_engagement (content_type, content_id, interaction_type)"
                     " SELECT content_type, content_id, 'share' FROM bento_grid_items ORDER BY grid_position DESC"
                     " LIMIT 1")
    grid = _state(url)["grid"]
    returncode, _, err = _crash_while_waiting_on(server, url, "bento_grid_items", _command(env, "rerank"))
    _clear_failure(returncode, err)
    assert _state(url)["grid"] == grid
    again = _command(env, "rerank")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err


@pytest.mark.slow
def test_rerank_and_import_together_for_50_rounds(db_url):
    """Each round an import (of the weeks in turn), a re-rank and a reader's share run at
    once. No deadlock, the grid's checks pass after every round, and no share is lost
    from the scoring totals."""
    from carnivore_orchestration.homepage import checks
    from carnivore_orchestration.homepage.grid import refresh_homepage

    def rerank(url):
        with psycopg.connect(url, autocommit=True) as conn:
            with conn.transaction():
                rebuild_grid(conn)
            refresh_homepage(conn)

    def share(url):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO content_engagement (content_type, content_id, interaction_type)"
                         " VALUES ('trending_topic', 1, 'share')")

    _write(db_url, WEEKS[0])
    rerank(db_url)
    with psycopg.connect(db_url, autocommit=True) as db:
        for round_number in range(50):
            week = WEEKS[round_number % len(WEEKS)]
            errors = _together(functools.partial(_write, db_url, week), functools.partial(rerank, db_url),
                               functools.partial(share, db_url))
            assert errors == [], f"round {round_number}: {errors}"
            rerank(db_url)  # the hourly re-rank after the round
            for check in (checks.grid_positions_contiguous, checks.grid_content_unique, checks.grid_scores_in_range,
                          checks.homepage_matches_grid):
                outcome = check(db)
                assert outcome.passed, f"round {round_number}: {outcome.description}"
        totals = db.execute("SELECT shares FROM private.engagement_totals"
                            " WHERE content_type = 'trending_topic' AND content_id = 1").fetchone()
        assert totals == (50,)


def test_the_receiver_down_for_30_minutes_then_back_gets_every_event_once_in_order(db):
    """Simulated time: every 30 s (the outbox sensor's interval) one round of sends, and
    the clock moves on by shifting every event's next attempt 30 s earlier. The default
    retry schedule is used. Both weeks' events, editors' and on-call's, queue up."""
    with psycopg.connect(db.info.dsn, autocommit=True) as conn:
        for path in WEEKS[:2]:
            write_week(conn, date.fromisoformat(path.stem), load_week(path))
        conn.execute("INSERT INTO alert_events (destination, kind, dedupe_key, payload)"
                     " VALUES ('oncall', 'run_failure', 'run:r1', '{\"text\": \"r1 failed\"}')")
    queues = {destination: [event_id for (event_id,) in db.execute(
        "SELECT id FROM alert_events WHERE destination = %s ORDER BY seq", [destination])]
        for destination in ("editors", "oncall")}
    receiver = Receiver()  # nothing listens on its port yet
    settings = AlertSettings(editors_url=receiver.url, oncall_url=receiver.url, secret=SECRET)

    def tick():
        send_due(db, settings, ["editors", "oncall"])
        db.execute("UPDATE alert_events SET next_attempt_at = next_attempt_at - interval '30 seconds'")

    for _ in range(60):  # 30 minutes down
        tick()
    attempts = dict(db.execute("SELECT id, attempts FROM alert_events").fetchall())
    assert len(queues["editors"]) > 5 and db.execute(
        "SELECT count(*) FROM alert_events WHERE status = 'failed'").fetchone() == (0,)
    for head, *behind in queues.values():
        assert 8 <= attempts[head] < settings.max_attempts  # tried all along, not given up
        assert {attempts[event_id] for event_id in behind} <= {0}  # waiting behind it, not hammering
    receiver.start()
    try:
        for _ in range(60):  # at most 30 more minutes
            tick()
            if not db.execute("SELECT count(*) FROM alert_events WHERE status <> 'delivered'").fetchone()[0]:
                break
        assert receiver.delivered_ids == Counter({event_id: 1 for event_id in attempts})
        sent = [request["headers"]["webhook-id"] for request in receiver.requests]
        for queue in queues.values():
            assert [event_id for event_id in sent if event_id in queue] == queue  # in order of creation
    finally:
        receiver.stop()


@pytest.mark.slow
def test_an_import_killed_part_way_through_the_big_week_leaves_it_absent(db_url, tmp_path):
    _write(db_url, WEEKS[-1])
    before = fingerprint(db_url)
    big = synthetic.write_week(tmp_path / "big.json", 3_000, 20_000)
    week = monday_of(load_week(big).analysis_date).isoformat()
    load = _command(_on(db_url), "import", str(big), "--week", week)
    with psycopg.connect(db_url, autocommit=True) as monitor:
        deadline = time.monotonic() + 120
        while not monitor.execute(  # the import's transaction holds a write lock on a table it fills
                "SELECT count(*) FROM pg_locks WHERE relation = 'top_videos'::regclass AND mode = 'RowExclusiveLock'"
                " AND pid <> pg_backend_pid()").fetchone()[0]:
            assert load.poll() is None, load.communicate()
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.01)
        load.send_signal(signal.SIGKILL)
        load.wait()
        while monitor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                              " AND pid <> pg_backend_pid() AND state <> 'idle'").fetchone()[0]:
            time.sleep(0.05)
    assert fingerprint(db_url) == before  # not a row of the big week, nothing else changed
    again = _command(_on(db_url), "import", str(big), "--week", week)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM trending_topic_weeks WHERE week = %s", [week]).fetchone() == (3_000,)
