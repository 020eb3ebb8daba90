"""The `carnivore` command, run as a user would run it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from carnivore_orchestration.cli import main
from carnivore_orchestration.db import migrations
from carnivore_orchestration.db.connection import redact, with_driver


@pytest.fixture
def run(monkeypatch):
    def invoke(*args, url=None):
        if url:
            monkeypatch.setenv("CARNIVORE_DATABASE_URL", url)
        return CliRunner().invoke(main, list(args))

    return invoke


def test_migrate_then_status_shows_every_migration_applied(run, empty_db_url):
    files = [m.filename for m in migrations.discover()]
    result = run("migrate", url=empty_db_url)
    assert result.exit_code == 0, result.output
    assert all(f"applied {name}" in result.output for name in files)

    again = run("migrate", url=empty_db_url)
    assert "0 migration(s) applied" in again.output

    status = run("db", "status", url=empty_db_url)
    assert status.exit_code == 0, status.output
    assert f"{len(files)} applied, 0 pending" in status.output
    assert "PostgreSQL 1" in status.output
    assert status.output.count("[applied]") == len(files)


def test_status_lists_pending_migrations(run, empty_db_url):
    status = run("db", "status", url=empty_db_url)
    assert status.exit_code == 0, status.output
    assert f"0 applied, {len(migrations.discover())} pending" in status.output


def test_errors_are_one_clear_line(run):
    result = run("db", "status", url="postgresql://nobody@127.0.0.1:1/nothing")
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output


def test_db_stop_refuses_an_external_server(run, empty_db_url):
    result = run("db", "stop", url=empty_db_url)
    assert result.exit_code == 1
    assert "not ours to stop" in result.output


def test_urls_are_printed_without_passwords(run):
    secret = "s3cr3t-pa55"
    result = run("db", "url", url=f"postgresql://carnivore:{secret}@db.example.test:6543/postgres")
    assert result.exit_code == 0
    assert secret not in result.output
    assert "carnivore:***@db.example.test:6543/postgres" in result.output
    psycopg2 = run("db", "url", "--driver", "psycopg2")
    assert psycopg2.output.startswith("postgresql+psycopg2://carnivore:***@")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:hunter2@h/db",
        "postgresql://u@h/db?password=hunter2&sslmode=require",
        "host=h user=u password=hunter2",
    ],
)
def test_redact_hides_every_form_of_password(url):
    assert "hunter2" not in redact(url)


@pytest.mark.parametrize(
    "conninfo",
    [
        "postgresql://postgres@/carnivore?host=/tmp/sock&port=5432",
        "user=postgres dbname=carnivore host=/tmp/sock port=5432",
        "postgresql://u:p%40ss@db.example.test:6543/carnivore?sslmode=require",
        "user=u password=p@ss host=db.example.test port=6543 dbname=carnivore sslmode=require",
    ],
)
def test_with_driver_names_the_driver_and_keeps_the_connection(conninfo):
    from psycopg.conninfo import conninfo_to_dict
    from sqlalchemy.engine import make_url

    url = with_driver(conninfo, "psycopg2")
    assert url.startswith("postgresql+psycopg2://")
    # psycopg2 through SQLAlchemy must reach the same server, database and user.
    args = make_url(url).translate_connect_args(username="user", database="dbname")
    args.update(make_url(url).query)
    expected = conninfo_to_dict(conninfo)
    assert {k: str(v) for k, v in args.items()} == expected


CONSOLE_SCRIPT = Path(sys.executable).with_name("carnivore")


def test_the_console_script_is_installed():
    result = subprocess.run([str(CONSOLE_SCRIPT), "--help"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "migrate" in result.stdout and "db" in result.stdout


def _imported(args, env=None) -> set[str]:
    """Every module the console script imported to answer `args` (Python's own -X importtime)."""
    result = subprocess.run([str(CONSOLE_SCRIPT), *args], capture_output=True, text=True,
                            env={**os.environ, **(env or {}), "PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    return {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("args", [["--help"], ["db", "status"], ["db", "url"], ["alerts", "list"], ["grid"], ["schema"]])
def test_commands_that_run_no_job_do_not_import_dagster(args, db_url):
    """Importing Dagster costs seconds; only the commands that run a job pay for it."""
    modules = _imported(args, {"CARNIVORE_DATABASE_URL": db_url})
    assert "click" in modules  # the measurement itself works
    assert not {m for m in modules if m.split(".")[0] in {"dagster", "sqlalchemy", "pandas"}}


def test_a_command_that_runs_a_job_does_import_it(db_url):
    assert "dagster" in _imported(["rerank"], {"CARNIVORE_DATABASE_URL": db_url})


def test_reading_the_grid_before_migrating_says_what_to_do(run, empty_db_url):
    result = run("grid", url=empty_db_url)
    assert result.exit_code == 1
    assert "run `carnivore migrate` first" in result.output


def test_an_empty_grid_says_why_and_what_to_run(run, db_url):
    result = run("grid", url=db_url)
    assert result.exit_code == 0
    assert "no week has been imported" in result.output and "carnivore demo" in result.output
    assert "│" not in result.output  # no empty table drawn
