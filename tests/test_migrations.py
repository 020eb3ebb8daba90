import shutil
import threading

import psycopg
import pytest

from carnivore_orchestration.db import migrations
from carnivore_orchestration.settings import sql_dir


def _connect(url):
    return psycopg.connect(url, autocommit=True)


def _applied_versions(conn):
    return [r[0] for r in conn.execute("SELECT version FROM carnivore_meta.schema_migrations ORDER BY version")]


def test_all_migrations_apply_to_an_empty_database(empty_db_url):
    files = migrations.discover()
    with _connect(empty_db_url) as conn:
        applied = migrations.migrate(conn)
        assert [m.filename for m in applied] == [m.filename for m in files]
        assert _applied_versions(conn) == [m.version for m in files]
        status = migrations.status(conn)
    assert status.pending == []
    assert [a.checksum for a in status.applied] == [m.checksum for m in files]


def test_reapplying_is_a_no_op(db_url):
    with _connect(db_url) as conn:
        before = conn.execute("SELECT version, applied_at FROM carnivore_meta.schema_migrations ORDER BY 1").fetchall()
        assert migrations.migrate(conn) == []
        after = conn.execute("SELECT version, applied_at FROM carnivore_meta.schema_migrations ORDER BY 1").fetchall()
    assert after == before


@pytest.fixture
def sql_copy(tmp_path):
    """A private copy of sql/ that a test may edit."""
    target = tmp_path / "sql"
    shutil.copytree(sql_dir(), target)
    return target


def test_an_edited_applied_migration_is_refused_by_name(db_url, sql_copy):
    edited = sorted(sql_copy.glob("*.sql"))[4]
    edited.write_text(edited.read_text() + "\n-- a harmless-looking edit\n")
    with _connect(db_url) as conn:
        with pytest.raises(migrations.MigrationError, match=f"{edited.name} was edited after it was applied"):
            migrations.migrate(conn, sql_copy)
        with pytest.raises(migrations.MigrationError, match=edited.name):
            migrations.status(conn, sql_copy)


def test_line_endings_alone_are_not_an_edit(db_url, sql_copy):
    path = sorted(sql_copy.glob("*.sql"))[0]
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    with _connect(db_url) as conn:
        assert migrations.status(conn, sql_copy).pending == []


def test_an_applied_migration_missing_from_disk_is_refused(db_url, sql_copy):
    removed = sorted(sql_copy.glob("*.sql"))[-1]
    removed.unlink()
    with _connect(db_url) as conn, pytest.raises(migrations.MigrationError, match=f"{removed.name} is applied"):
        migrations.status(conn, sql_copy)


def test_a_failing_migration_leaves_the_database_as_it_was(empty_db_url, tmp_path):
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE kept (id int);\n")
    (tmp_path / "0002_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\nINSERT INTO kept VALUES (1);\nSELECT no_such_column FROM kept;\n"
    )
    (tmp_path / "0003_never.sql").write_text("CREATE TABLE never (id int);\n")
    with _connect(empty_db_url) as conn:
        with pytest.raises(migrations.MigrationError) as failure:
            migrations.migrate(conn, tmp_path)
        message = str(failure.value)
        assert "0002_broken.sql failed and was rolled back" in message
        assert "no_such_column" in message and "(line 3)" in message
        assert _applied_versions(conn) == [1]
        assert conn.execute("SELECT to_regclass('half_done'), to_regclass('never')").fetchone() == (None, None)
        assert conn.execute("SELECT count(*) FROM kept").fetchone()[0] == 0


def test_migration_files_must_be_numbered_and_unique(tmp_path):
    (tmp_path / "create_things.sql").write_text("SELECT 1;")
    with pytest.raises(migrations.MigrationError, match="NNNN_lower_snake_name.sql"):
        migrations.discover(tmp_path)
    (tmp_path / "create_things.sql").unlink()
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 2;")
    with pytest.raises(migrations.MigrationError, match="share version 1"):
        migrations.discover(tmp_path)


def test_concurrent_runs_apply_each_migration_once(empty_db_url):
    results, errors = [], []

    def run():
        try:
            with _connect(empty_db_url) as conn:
                results.append(len(migrations.migrate(conn)))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [0, 0, len(migrations.discover())]


def test_migrate_refuses_a_connection_inside_a_transaction(db_url):
    with psycopg.connect(db_url) as conn, pytest.raises(ValueError, match="autocommit"):
        migrations.migrate(conn)
