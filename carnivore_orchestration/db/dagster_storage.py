"""Where Dagster keeps its own state: a database of its own on the project's server."""

from __future__ import annotations

import os

import psycopg
from psycopg import errors, sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from carnivore_orchestration.db.connection import database_url, with_driver

STORAGE_URL_ENV = "CARNIVORE_DAGSTER_DATABASE_URL"


def dagster_storage_url() -> str:
    """A psycopg2 URL for Dagster's storage: CARNIVORE_DAGSTER_DATABASE_URL if set, or
    the project's server with a `<database>_dagster` database, created on first use."""
    configured = os.environ.get(STORAGE_URL_ENV, "").strip()
    url = configured or _sibling_database(database_url())
    return with_driver(url, "psycopg2")


def storage_database_name(url: str) -> str:
    """The database beside `url`'s that holds Dagster's state when no URL is configured."""
    return f"{conninfo_to_dict(url).get('dbname') or 'postgres'}_dagster"


def _sibling_database(url: str) -> str:
    name = storage_database_name(url)
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except errors.DuplicateDatabase:
                pass
    if "://" in url:
        from sqlalchemy.engine import make_url

        return make_url(url).set(database=name).render_as_string(hide_password=False)
    return make_conninfo(url, dbname=name)

