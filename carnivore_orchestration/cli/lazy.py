"""The database helpers the commands use, imported when first called: psycopg costs a
third of a second to import, which `carnivore --help` should not pay."""

from __future__ import annotations


def connect(*args, **kwargs):
    from carnivore_orchestration.db.connection import connect as _connect

    return _connect(*args, **kwargs)


def database_url() -> str:
    from carnivore_orchestration.db.connection import database_url as _database_url

    return _database_url()


def redact(conninfo: str) -> str:
    from carnivore_orchestration.db.connection import redact as _redact

    return _redact(conninfo)
