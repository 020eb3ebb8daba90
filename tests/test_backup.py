"""`carnivore db backup` / `restore`, and the backup taken before migrating a database
that holds data; against a real server, with pg_dump and pg_restore."""

import shutil
from datetime import date

import psycopg
import pytest
from click.testing import CliRunner
from conftest import fingerprint

from carnivore_orchestration.cli import main
from carnivore_orchestration.content.loading import load_week
from carnivore_orchestration.content.store import write_week
from carnivore_orchestration.db import advisor, backup, migrations
from carnivore_orchestration.db.scratch import with_dbname
from carnivore_orchestration.homepage.grid import rebuild_grid, refresh_homepage
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR, sql_dir


@pytest.fixture
def populated(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        for path in sorted(BUNDLED_CONTENT_DIR.glob("*.json"))[:2]:
            with conn.transaction():
                write_week(conn, date.fromisoformat(path.stem), load_week(path))
        with conn.transaction():
            rebuild_grid(conn)
        refresh_homepage(conn)
    return db_url


def test_a_populated_database_round_trips(populated, empty_db_url, tmp_path):
    taken = backup.take(populated, tmp_path)
    assert taken.path.parent == tmp_path and taken.path.suffix == ".dump" and taken.size_bytes > 0
    assert list(tmp_path.iterdir()) == [taken.path]  # no partial file left behind
    backup.restore(taken.path, empty_db_url)

    original = fingerprint(populated)
    assert original["public.trending_topics"][0] > 0 and original["public.audit_log"][0] > 0
    assert fingerprint(empty_db_url) == original
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        assert migrations.status(conn).pending == []
        assert advisor.problems(advisor.run(conn)) == []
        homepage = conn.execute("SELECT count(*) FROM homepage_grid").fetchone()[0]
        with conn.transaction():
            conn.execute("SET LOCAL ROLE anon")
            assert conn.execute("SELECT count(*) FROM homepage_grid").fetchone()[0] == homepage > 0
        # The restored database keeps working: the audit log still refuses edits.
        with pytest.raises(psycopg.Error):
            conn.execute("UPDATE audit_log SET table_name = 'x'")


def test_restore_refuses_a_database_that_holds_anything(populated, db_url, tmp_path):
    taken = backup.take(populated, tmp_path)
    before = fingerprint(db_url)
    with pytest.raises(backup.BackupError, match=r"is not empty \(\d+ tables, .*create one and point"):
        backup.restore(taken.path, db_url)
    assert fingerprint(db_url) == before


def test_a_damaged_backup_restores_nothing(populated, empty_db_url, tmp_path):
    taken = backup.take(populated, tmp_path)
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(taken.path.read_bytes()[: taken.size_bytes // 2])
    with pytest.raises(backup.BackupError, match="pg_restore failed"):
        backup.restore(damaged, empty_db_url)
    with psycopg.connect(empty_db_url) as conn:
        assert backup._our_tables(conn) == []  # one transaction: nothing half restored


def test_migrating_a_database_with_data_backs_it_up_first(populated, tmp_path, monkeypatch):
    monkeypatch.setenv("CARNIVORE_BACKUP_DIR", str(tmp_path / "backups"))
    directory = tmp_path / "sql"
    shutil.copytree(sql_dir(), directory)
    (directory / "0900_nicknames.sql").write_text("ALTER TABLE creators ADD COLUMN nickname text DEFAULT 'x';\n")
    before = fingerprint(populated)
    seen = []
    applied = backup.migrate_with_backup(populated, on_backup=seen.append, directory=directory)
    assert [m.version for m in applied] == [900]
    assert fingerprint(populated) != before  # the migration changed the rows, the backup did not
    assert [b.path.name for b in seen] == [p.name for p in (tmp_path / "backups").iterdir()]
    assert seen[0].path.name.endswith("-before-0900.dump")
    # The backup is the database as it was before the migration.
    admin = with_dbname(populated, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS carnivore_restored WITH (FORCE)")
        conn.execute("CREATE DATABASE carnivore_restored")
    try:
        backup.restore(seen[0].path, with_dbname(populated, "carnivore_restored"))
        restored = fingerprint(with_dbname(populated, "carnivore_restored"))
        assert restored == before
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE carnivore_restored WITH (FORCE)")


def test_an_empty_database_is_migrated_without_a_backup(empty_db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CARNIVORE_BACKUP_DIR", str(tmp_path / "backups"))
    seen = []
    assert backup.migrate_with_backup(empty_db_url, on_backup=seen.append)
    assert seen == [] and not (tmp_path / "backups").exists()


def test_the_commands(populated, empty_db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CARNIVORE_DATABASE_URL", populated)
    taken = CliRunner().invoke(main, ["db", "backup", "--to", str(tmp_path)])
    assert taken.exit_code == 0, taken.output
    dump = next(tmp_path.glob("*.dump"))
    assert f"Backed up to {dump}" in taken.output

    refused = CliRunner().invoke(main, ["db", "restore", str(dump)])
    assert refused.exit_code == 1 and refused.output.startswith("Error: database ") and "Traceback" not in refused.output

    monkeypatch.setenv("CARNIVORE_DATABASE_URL", empty_db_url)
    restored = CliRunner().invoke(main, ["db", "restore", str(dump)])
    assert restored.exit_code == 0, restored.output
    assert fingerprint(empty_db_url) == fingerprint(populated)
