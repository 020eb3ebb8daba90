"""Fresh, migrated databases for one benchmark each, on the bench's server."""

from __future__ import annotations

import itertools
import os
from contextlib import contextmanager
from functools import cache

import psycopg

from carnivore_orchestration.db.connection import database_url
from carnivore_orchestration.db.scratch import create_database, create_migrated_template, drop_database, with_dbname

_counter = itertools.count()


def admin_url() -> str:
    return with_dbname(database_url(), "postgres")


@cache
def _template(admin: str) -> str:
    """Migrated once per run, copied for each benchmark; see drop_template()."""
    name = f"carnivore_bench_template_{os.getpid()}"
    create_migrated_template(admin, name)
    return name


def drop_template() -> None:
    if _template.cache_info().currsize:
        admin = admin_url()
        drop_database(admin, _template(admin))
        _template.cache_clear()


@contextmanager
def fresh_database(label: str):
    """A new database with every migration applied; dropped afterwards."""
    admin = admin_url()
    name = f"carnivore_bench_{label}_{os.getpid()}_{next(_counter)}"
    url = create_database(admin, name, _template(admin))
    try:
        yield url
    finally:
        drop_database(admin, name)


def checkpoint() -> None:
    """Write out what earlier benchmarks left dirty, so that the checkpoint their writes
    bring on does not land in the next one's timing. A role that may not (neither
    superuser nor pg_checkpoint) measures without it."""
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        try:
            conn.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            pass


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        raise ValueError("no samples to take a percentile of")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]
