"""Test databases on a real PostgreSQL server.

The server is CARNIVORE_DATABASE_URL's (the user needs CREATEDB) or the embedded one.
The migrations run once per session into a template database; each test that wants a
clean database gets a copy of it (CREATE DATABASE ... TEMPLATE, ~40 ms), so the suite
does not slow down as migrations or tests are added.
"""

from __future__ import annotations

import itertools
import json
import os
from contextlib import contextmanager

import psycopg
import pytest

from carnivore_orchestration.db.connection import database_url
from carnivore_orchestration.db.scratch import create_database, create_migrated_template, drop_database, with_dbname

_counter = itertools.count()


@pytest.fixture(scope="session")
def server_url() -> str:
    """A URL on the test server; its database is only used to reach the server."""
    return database_url()


@pytest.fixture(scope="session")
def admin_url(server_url: str) -> str:
    """The server's maintenance database, from which test databases are created."""
    return with_dbname(server_url, "postgres")


@pytest.fixture(scope="session")
def template_db(admin_url: str) -> str:
    name = f"carnivore_test_template_{os.getpid()}"
    create_migrated_template(admin_url, name)
    yield name
    drop_database(admin_url, name)


@contextmanager
def _database(admin_url: str, template: str | None):
    name = f"carnivore_test_{os.getpid()}_{next(_counter)}"
    url = create_database(admin_url, name, template)
    try:
        yield url
    finally:
        drop_database(admin_url, name)


@pytest.fixture
def empty_db_url(admin_url: str):
    """A new, empty database: for tests of the migrations themselves."""
    with _database(admin_url, None) as url:
        yield url


@pytest.fixture
def db_url(admin_url: str, template_db: str):
    """A new database with every migration applied."""
    with _database(admin_url, template_db) as url:
        yield url


@pytest.fixture
def db(db_url: str):
    """A connection, as the migrating (owner) role, to a freshly migrated database."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def shared_db(admin_url: str, template_db: str):
    """One migrated database for a whole module of tests that only read the catalog."""
    with _database(admin_url, template_db) as url, psycopg.connect(url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def act_as(db):
    """Run statements as an API role with JWT claims, the way PostgREST does: per
    transaction, `role` and `request.jwt.claims` set with set_config(..., true)."""

    @contextmanager
    def acting(role: str, claims: dict | None = None):
        claims = dict(claims or {})
        claims.setdefault("role", role)
        with db.transaction(force_rollback=True):
            db.execute("SELECT set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                       [role, json.dumps(claims)])
            yield db

    return acting


@pytest.fixture
def dev_server(tmp_path, empty_db_url):
    """`carnivore dev` on a free port with a fresh CARNIVORE_HOME and an empty database
    (it migrates it), schedules and sensors stopped."""
    from bench.dagster_ui import serving

    with serving(tmp_path / "home", empty_db_url, tmp_path / "dev.log") as ui:
        yield ui


def fingerprint(url: str) -> dict:
    """Every table of the project's (partitions in their parent): its row count and a
    digest of its rows in a fixed order. Two databases, or one before and after, hold
    the same data exactly when their fingerprints are equal."""
    from psycopg import sql

    from carnivore_orchestration.db.backup import _our_tables

    with psycopg.connect(url) as conn:
        return {f"{schema}.{name}": conn.execute(
            sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} AS t")
            .format(sql.Identifier(schema, name))).fetchone() for schema, name in _our_tables(conn, quoted=False)}
