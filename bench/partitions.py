"""The monthly partition job when it matters most: the month has begun without its
partition (the job was paused, or failed), so the month's interactions so far sit in
the DEFAULT partition and must be moved as the partition is made.

Ours is the Dagster job run end to end (in process, as `carnivore partitions` runs it);
its baseline is the same SQL called directly, so the difference is what Dagster adds.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from datetime import datetime, timezone

import psycopg
from psycopg import sql

from bench.databases import fresh_database
from bench.engagement import copy_rows, events


def _month_in_default(conn: psycopg.Connection, rows: int) -> None:
    """Drop this month's (empty) partition and write `rows` interactions of this month,
    which land in DEFAULT."""
    now = datetime.now(timezone.utc)
    conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(f"content_engagement_{now:%Y_%m}")))
    # events() dates rows up to `days` + 1 minute back: keep them all inside this month.
    elapsed = (now - now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)).total_seconds()
    copy_rows(conn, events(rows, items=100, now=now, days=max(elapsed - 120, 1) / 86400))


@contextmanager
def database_for_jobs(url: str):
    """Point the project's jobs (which read CARNIVORE_DATABASE_URL) at `url` meanwhile."""
    before = os.environ.get("CARNIVORE_DATABASE_URL")
    os.environ["CARNIVORE_DATABASE_URL"] = url
    try:
        yield
    finally:
        if before is None:
            del os.environ["CARNIVORE_DATABASE_URL"]
        else:
            os.environ["CARNIVORE_DATABASE_URL"] = before


def monthly_job(rows: int) -> dict:
    from carnivore_orchestration.engagement.partitions import ensure_partitions
    from carnivore_orchestration.runs import materializations, partitions

    result = {}
    with fresh_database("partitions_job") as url, psycopg.connect(url, autocommit=True) as conn:
        _month_in_default(conn, rows)
        started = time.perf_counter()
        with database_for_jobs(url):
            run = partitions(months_ahead=3)
        seconds = time.perf_counter() - started
        metadata = materializations(run)["content_engagement_partitions"]
        result["dagster_job"] = {"seconds": seconds, "moved": metadata["rows_moved_from_default"]}
    with fresh_database("partitions_sql") as url, psycopg.connect(url, autocommit=True) as conn:
        _month_in_default(conn, rows)
        started = time.perf_counter()
        report = ensure_partitions(conn, months_ahead=3)
        result["sql_alone"] = {"seconds": time.perf_counter() - started, "moved": report.moved_from_default}
    return result
