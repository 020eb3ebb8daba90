"""Housekeeping of engagement data: content_engagement's monthly partitions made ahead
of the calendar, and scoring buckets that have aged out of every window dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg

from carnivore_orchestration.summaries import MetadataSummary, detail


@dataclass(frozen=True)
class PartitionReport(MetadataSummary):
    ensured: list[str]          # the partitions for this month and the months ahead
    created: list[str]          # those that did not exist before
    moved_from_default: int     # rows moved out of the DEFAULT partition
    default_rows: int           # rows still in the DEFAULT partition
    partitions: list[tuple[str, str]] = detail()  # every partition and its bounds


def months_from(today: date, count: int) -> list[date]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def ensure_partitions(conn: psycopg.Connection, months_ahead: int = 3, today: date | None = None) -> PartitionReport:
    """The partitions for the current month (UTC) and the next `months_ahead`, in one
    transaction. `conn` must be in autocommit mode."""
    with conn.transaction():
        conn.execute("SET LOCAL TimeZone = 'UTC'")  # for the bounds shown in the report only
        today = today or conn.execute("SELECT (now() AT TIME ZONE 'UTC')::date").fetchone()[0]
        before = set(partition_names(conn))
        in_default = _default_rows(conn)
        ensured = [
            conn.execute("SELECT private.create_engagement_partition(%s)", [month]).fetchone()[0]
            for month in months_from(today, months_ahead + 1)
        ]
        remaining = _default_rows(conn)
        partitions = conn.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits AS i"
            " JOIN pg_class AS c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'content_engagement'::regclass ORDER BY c.relname"
        ).fetchall()
    return PartitionReport(ensured, [n for n in ensured if n not in before], in_default - remaining, remaining,
                           partitions)


def partition_names(conn: psycopg.Connection) -> list[str]:
    return [row[0] for row in conn.execute(
        "SELECT c.relname FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'content_engagement'::regclass ORDER BY 1"
    )]


def _default_rows(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM content_engagement_default").fetchone()[0]


# Scoring reads the last 7 days of hourly buckets and the edge hour before them.
BUCKET_RETENTION = "8 days"


def prune_buckets(conn: psycopg.Connection) -> int:
    """Drop the hourly buckets no score reads any more; returns how many."""
    return conn.execute("DELETE FROM private.engagement_buckets WHERE bucket_start < now() - %s::interval",
                        [BUCKET_RETENTION]).rowcount
