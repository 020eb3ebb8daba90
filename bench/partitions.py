"""The monthly partition job when it matters most: the month has begun without its
partition (the job was paused, or failed), so the month's interactions so far sit in
the DEFAULT partition and must be moved as the partition is made.

Ours is the Dagster job run end to end (in process, as `carnivore maintain` runs it);
its baseline is the same SQL called directly, so the difference is what Dagster adds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from bench.databases import fresh_database
from bench.engagement import copy_rows, events


def _month_in_default(conn: psycopg.Connection, rows: int) -> None:
    """Drop this month's (empty) partition and write `rows` interactions of this month,
    which land in DEFAULT."""
    now = datetime.now(UTC)
    conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(f"content_engagement_{now:%Y_%m}")))
    # events() dates rows up to `days` + 1 minute back: keep them all inside this month.
    elapsed = (now - now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)).total_seconds()
    copy_rows(conn, events(rows, items=100, now=now, days=max(elapsed - 120, 1) / 86400))


def monthly_job(rows: int) -> dict:
    from carnivore_orchestration.cli.runs import maintain
    from carnivore_orchestration.engagement.maintenance import ensure_partitions
    from carnivore_orchestration.resources import PostgresResource

    result = {}
    with fresh_database("partitions_job") as url, psycopg.connect(url, autocommit=True) as conn:
        _month_in_default(conn, rows)
        started = time.perf_counter()
        report = maintain(months_ahead=3, resources={"postgres": PostgresResource(url=url)})
        result["dagster_job"] = {"seconds": time.perf_counter() - started, "moved": report.moved_from_default}
    with fresh_database("partitions_sql") as url, psycopg.connect(url, autocommit=True) as conn:
        _month_in_default(conn, rows)
        started = time.perf_counter()
        report = ensure_partitions(conn, months_ahead=3)
        result["sql_alone"] = {"seconds": time.perf_counter() - started, "moved": report.moved_from_default}
    return result
