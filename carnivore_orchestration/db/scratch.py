"""Throwaway databases on a server: for the tests and the benchmarks.

Migrations run once into a template; each user gets a copy (CREATE DATABASE ...
TEMPLATE, tens of milliseconds) instead of migrating a new database every time.
"""

from __future__ import annotations

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from carnivore_orchestration.db import migrations


def with_dbname(url: str, dbname: str) -> str:
    return make_conninfo(url, dbname=dbname)


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """(Re)create `name`, empty or as a copy of `template`; returns its URL."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(statement)
    return with_dbname(admin_url, name)


def create_migrated_template(admin_url: str, name: str) -> str:
    url = create_database(admin_url, name)
    with psycopg.connect(url, autocommit=True) as conn:
        migrations.migrate(conn)
    return url


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
