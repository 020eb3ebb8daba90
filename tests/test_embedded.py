"""The embedded server: started on demand, reused, and keeping its data across restarts."""

import psycopg
import pytest

from carnivore_orchestration.db import embedded


@pytest.fixture
def own_home(tmp_path, monkeypatch):
    """A CARNIVORE_HOME of the test's own, so stopping it disturbs no other test."""
    monkeypatch.setenv("CARNIVORE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CARNIVORE_DATABASE_URL", raising=False)
    yield tmp_path / "home"
    embedded.stop()


def test_started_on_demand_reused_and_persistent(own_home):
    assert embedded.running_server() is None
    assert embedded.stop() is False

    first = embedded.ensure_running()
    assert first.pgdata == (own_home / "pgdata").resolve()
    assert embedded.ensure_running().pid == first.pid  # reused, not restarted
    with psycopg.connect(first.url()) as conn:
        conn.execute("CREATE TABLE survives (note text)")
        conn.execute("INSERT INTO survives VALUES ('still here')")

    assert embedded.stop() is True
    assert embedded.running_server() is None

    second = embedded.ensure_running()
    assert second.pid != first.pid
    with psycopg.connect(second.url()) as conn:
        assert conn.execute("SELECT note FROM survives").fetchone()[0] == "still here"
        # Nothing listens on the network: the URL is a Unix socket and carries no password.
        assert conn.execute("SHOW listen_addresses").fetchone()[0] == ""
        # Started with what it is given beyond initdb's defaults, and so after a restart too.
        for name, value in embedded.SERVER_SETTINGS.items():
            assert conn.execute("SELECT current_setting(%s)", [name]).fetchone()[0] == value
    assert "@/" in second.url() and ":" not in second.url().split("@")[0].removeprefix("postgresql://")
