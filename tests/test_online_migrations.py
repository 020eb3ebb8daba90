"""Migrations a live database needs: run outside a transaction, one statement at a
time, resumable, with short lock waits retried; proven under concurrent inserts."""

import shutil
import threading
import time

import psycopg
import pytest
from click.testing import CliRunner

from bench import online_index
from carnivore_orchestration.cli import main
from carnivore_orchestration.db import limits as limits_module
from carnivore_orchestration.db import migrations
from carnivore_orchestration.db.limits import MigrationLimits
from carnivore_orchestration.settings import sql_dir

FAST = MigrationLimits(lock_timeout="300ms", lock_retries=0, statement_timeout="1min", retry_wait_seconds=0.1)


@pytest.fixture
def sql_copy(tmp_path):
    target = tmp_path / "sql"
    shutil.copytree(sql_dir(), target)
    return target


def _connect(url):
    return psycopg.connect(url, autocommit=True)


def _index(conn, name):
    """(valid, schema) of the index, or None."""
    return conn.execute(
        "SELECT x.indisvalid, i.relnamespace::regnamespace::text FROM pg_class i"
        " JOIN pg_index x ON x.indexrelid = i.oid WHERE i.relname = %s", [name]).fetchone()


def test_the_marker_is_read_from_the_leading_comments_only(tmp_path):
    marked = tmp_path / "0900_marked.sql"
    marked.write_text("-- why this runs outside a transaction\n--\n-- carnivore: no-transaction\n\nSELECT 1;\n")
    quoted = tmp_path / "0901_quoted.sql"
    quoted.write_text("-- an ordinary migration\nSELECT 1;\n-- carnivore: no-transaction\n")
    found = {m.name: m.transactional for m in migrations.discover(tmp_path)}
    assert found == {"marked": False, "quoted": True}


def test_the_shipped_no_transaction_migration_built_its_indexes_valid(db):
    for name in ("idx_trending_created_by", "idx_bento_created_by", "idx_video_weeks_creator", "idx_alert_events_topic"):
        assert _index(db, name) == (True, "public")
    assert db.execute("SELECT count(*) FROM carnivore_meta.migration_steps").fetchone()[0] == 0


def test_a_stop_half_way_resumes_where_it_stopped(db_url, sql_copy, monkeypatch):
    """Statement 2 fails; statement 1 stays applied and is not run again; once the cause
    is gone the run resumes at statement 2 and records the migration."""
    (sql_copy / "0900_online.sql").write_text(
        "-- carnivore: no-transaction\n"
        "CREATE TABLE online_marker (n int);\n"  # run twice, it would fail
        "ALTER TABLE creators ADD CONSTRAINT creators_name_short CHECK (length(creator_name) < 40) NOT VALID;\n"
        "ALTER TABLE creators VALIDATE CONSTRAINT creators_name_short;\n"
    )
    with _connect(db_url) as conn:
        conn.execute("ALTER TABLE creators DISABLE TRIGGER USER")
        conn.execute("INSERT INTO creators (creator_name, handle) VALUES (repeat('x', 50), 'too-long')")
        with pytest.raises(migrations.MigrationError, match=r"0900_online.sql stopped at statement 3 .*VALIDATE"
                           r".*statements before it stay applied"):
            migrations.migrate(conn, sql_copy, limits=FAST)
        assert migrations.status(conn, sql_copy).steps_done == {900: 2}
        assert [m.version for m in migrations.status(conn, sql_copy).pending] == [900]
        monkeypatch.setattr("carnivore_orchestration.db.migrations.sql_dir", lambda: sql_copy)
        monkeypatch.setenv("CARNIVORE_DATABASE_URL", db_url)
        shown = CliRunner().invoke(main, ["db", "status"])
        assert "[pending]  0900_online.sql  (stopped after statement 2; `carnivore migrate` resumes it)" in shown.output
        conn.execute("DELETE FROM creators WHERE handle = 'too-long'")
        conn.execute("ALTER TABLE creators ENABLE TRIGGER USER")
        assert [m.version for m in migrations.migrate(conn, sql_copy, limits=FAST)] == [900]
        assert conn.execute("SELECT to_regclass('online_marker') IS NOT NULL").fetchone() == (True,)
        assert conn.execute("SELECT convalidated FROM pg_constraint WHERE conname = 'creators_name_short'").fetchone() \
            == (True,)
        assert migrations.status(conn, sql_copy).steps_done == {}


def test_an_edit_between_a_stop_and_the_resume_is_refused(db_url, sql_copy):
    path = sql_copy / "0900_online.sql"
    path.write_text("-- carnivore: no-transaction\nCREATE TABLE t1 (a int);\nSELECT 1/0;\n")
    with _connect(db_url) as conn:
        with pytest.raises(migrations.MigrationError, match="division by zero"):
            migrations.migrate(conn, sql_copy, limits=FAST)
        path.write_text("-- carnivore: no-transaction\nCREATE TABLE t1 (a int);\nSELECT 1;\n")
        with pytest.raises(migrations.MigrationError, match="0900_online.sql was edited after 1 of its statements"):
            migrations.migrate(conn, sql_copy, limits=FAST)


def test_an_invalid_index_left_by_a_failed_build_is_dropped_and_rebuilt(db_url, sql_copy):
    """A unique index built concurrently over duplicates fails and leaves an INVALID
    index behind (PostgreSQL keeps it, and keeps updating it on every write)."""
    (sql_copy / "0900_online.sql").write_text(
        "-- carnivore: no-transaction\n"
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_creator_name_unique ON creators (creator_name);\n"
    )
    with _connect(db_url) as conn:
        conn.execute("ALTER TABLE creators DROP CONSTRAINT IF EXISTS creators_creator_name_key")
        conn.execute("INSERT INTO creators (creator_name, handle) VALUES ('twin', 'twin-1'), ('twin', 'twin-2')")
        with pytest.raises(migrations.MigrationError, match="could not create unique index"):
            migrations.migrate(conn, sql_copy, limits=FAST)
        assert _index(conn, "idx_creator_name_unique") == (False, "public")  # IF NOT EXISTS alone would keep it
        conn.execute("ALTER TABLE creators DISABLE TRIGGER USER")
        conn.execute("DELETE FROM creators WHERE handle = 'twin-2'")
        migrations.migrate(conn, sql_copy, limits=FAST)
        assert _index(conn, "idx_creator_name_unique") == (True, "public")


def test_a_partitioned_table_gets_its_index_partition_by_partition(db_url, sql_copy):
    online_index.migration_file(sql_copy)
    online_index.load(db_url, 3000)
    with _connect(db_url) as conn:
        migrations.migrate(conn, sql_copy, limits=FAST)
        assert _index(conn, online_index.INDEX) == (True, "public")
        partitions = conn.execute(
            "SELECT t.relid::regclass::text, x.indexrelid::regclass::text, x.indisvalid"
            " FROM pg_partition_tree('content_engagement') t"
            " JOIN pg_index x ON x.indrelid = t.relid"
            " JOIN pg_inherits i ON i.inhrelid = x.indexrelid AND i.inhparent = %s::regclass"
            " WHERE t.isleaf", [online_index.INDEX]).fetchall()
        leaves = conn.execute("SELECT count(*) FROM pg_partition_tree('content_engagement') WHERE isleaf").fetchone()[0]
        assert len(partitions) == leaves >= 5  # 3 months back, this month, months ahead, DEFAULT
        assert all(valid for _, _, valid in partitions)
        conn.execute("SET enable_seqscan = off")
        plan = conn.execute(
            "EXPLAIN SELECT * FROM content_engagement WHERE content_type = 'trending_topic' AND content_id = 7"
            " AND sentiment = 'negative'").fetchall()
        assert f"_{online_index.INDEX} on content_engagement_" in " ".join(r[0] for r in plan)


def _hold(url, statement, seconds, ready):
    with _connect(url) as conn, conn.transaction():
        conn.execute(statement)
        ready.set()
        time.sleep(seconds)


def test_a_lock_not_granted_in_time_is_retried_then_applied(db_url, sql_copy, monkeypatch):
    (sql_copy / "0900_lock.sql").write_text("ALTER TABLE creators ADD COLUMN nickname text;\n")
    ready = threading.Event()
    holder = threading.Thread(target=_hold, args=(db_url, "LOCK TABLE creators IN ACCESS SHARE MODE", 1.0, ready))
    holder.start()
    ready.wait()
    sleeps = []
    limits = MigrationLimits(lock_timeout="200ms", lock_retries=5, statement_timeout="1min", retry_wait_seconds=0.3)
    monkeypatch.setattr(limits_module, "_sleep", lambda s: (sleeps.append(s), time.sleep(s)))
    with _connect(db_url) as conn:
        migrations.migrate(conn, sql_copy, limits=limits)
        holder.join()
        assert sleeps[:2] == [0.3, 0.6]  # it gave up waiting at least twice, backing off
        assert conn.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'creators'"
                            " AND column_name = 'nickname'").fetchone() == (1,)


def test_a_lock_that_lasts_fails_the_file_cleanly(db_url, sql_copy):
    (sql_copy / "0900_lock.sql").write_text("ALTER TABLE creators ADD COLUMN nickname text;\n")
    ready = threading.Event()
    holder = threading.Thread(target=_hold, args=(db_url, "LOCK TABLE creators IN ACCESS SHARE MODE", 1.5, ready))
    holder.start()
    ready.wait()
    with _connect(db_url) as conn:
        with pytest.raises(migrations.MigrationError, match="0900_lock.sql failed and was rolled back: canceling"
                           " statement due to lock timeout"):
            migrations.migrate(conn, sql_copy, limits=FAST)
        holder.join()
        assert [m.version for m in migrations.status(conn, sql_copy).pending] == [900]


def test_limits_come_from_the_environment():
    limits = MigrationLimits.from_environ({"CARNIVORE_MIGRATION_LOCK_TIMEOUT": "500ms",
                                          "CARNIVORE_MIGRATION_LOCK_RETRIES": "9"})
    assert (limits.lock_timeout, limits.lock_retries, limits.statement_timeout) == ("500ms", 9, "30min")
    with pytest.raises(ValueError, match="CARNIVORE_MIGRATION_LOCK_RETRIES='many'"):
        MigrationLimits.from_environ({"CARNIVORE_MIGRATION_LOCK_RETRIES": "many"})


@pytest.mark.slow
def test_an_index_on_a_million_partitioned_rows_blocks_no_insert_beyond_the_lock_timeout(db_url, sql_copy):
    """Writers insert throughout, each willing to wait for a lock no longer than the
    runner's lock timeout: under the online migration none of them fails. The same
    writers against the old way (a plain CREATE INDEX in a transaction, its lock held a
    moment longer than that) do fail, so the check can fail."""
    online_index.migration_file(sql_copy)
    online_index.load(db_url, 1_000_000)
    limits = MigrationLimits(lock_timeout="1s", lock_retries=5, statement_timeout="10min")
    with online_index.Inserts(db_url, lock_timeout=limits.lock_timeout) as inserts, _connect(db_url) as conn:
        started = time.perf_counter()
        migrations.migrate(conn, sql_copy, limits=limits)
        ended = time.perf_counter()
    assert inserts.errors == []
    assert len(inserts.during(started, ended)) > 50  # inserts kept landing while the index was built
    with _connect(db_url) as conn:
        assert _index(conn, online_index.INDEX) == (True, "public")
        count = conn.execute("SELECT count(*) FROM content_engagement WHERE content_id = 7").fetchone()[0]
    assert count >= len(inserts.latencies)

    with online_index.Inserts(db_url, lock_timeout=limits.lock_timeout) as inserts, _connect(db_url) as conn:
        conn.execute(f"DROP INDEX {online_index.INDEX}")
        with conn.transaction():
            conn.execute(online_index.PLAIN_INDEX)
            time.sleep(1.5)
    assert any(isinstance(e, psycopg.errors.LockNotAvailable) for e in inserts.errors)


def test_audit_entries_written_before_0036_keep_their_copies(empty_db_url, sql_copy):
    """Applied to a database that already has a trail: the old entries stay as written,
    the relaxed check ends up validated, and from then on an insert's entry names its
    row without copying it (audit_trail shows both kinds alike)."""
    later = sql_copy / "0036_audit_inserts_by_reference.sql"
    held = later.read_text()
    later.unlink()
    with _connect(empty_db_url) as conn:
        migrations.migrate(conn, sql_copy)
        conn.execute("INSERT INTO bento_grid_items (content_type, content_id, content_title, grid_position)"
                     " VALUES ('top_video', 1, 'Before', 1)")
        later.write_text(held)
        migrations.migrate(conn, sql_copy, limits=FAST)
        conn.execute("INSERT INTO bento_grid_items (content_type, content_id, content_title, grid_position)"
                     " VALUES ('top_video', 2, 'After', 2)")
        stored = conn.execute("SELECT new_values ->> 'content_title' FROM audit_log ORDER BY id").fetchall()
        shown = conn.execute("SELECT new_values ->> 'content_title' FROM audit_trail ORDER BY id").fetchall()
        validated = conn.execute("SELECT convalidated FROM pg_constraint"
                                 " WHERE conname = 'audit_log_values_match_operation'").fetchone()[0]
    assert stored == [("Before",), (None,)]
    assert shown == [("Before",), ("After",)]
    assert validated is True
