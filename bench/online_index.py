"""An index added to `content_engagement` while readers' interactions keep arriving.

Ours: a no-transaction migration (`CREATE INDEX CONCURRENTLY` on the partitioned table,
which the runner carries out partition by partition). Baseline: the same index as the
old runner applied every file, a plain `CREATE INDEX` in a transaction, which holds a
SHARE lock on every partition while it reads them all. Writers insert one interaction
at a time throughout; what is measured is how long each insert took, above all the
longest, and how long the index took to build. Used by the bench (a million rows) and
by tests/test_online_migrations.py.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

INDEX = "idx_engagement_item_sentiment"
COLUMNS = "(content_type, content_id, sentiment, created_at)"
# Spread over the current month and the three before it, so that the index is built on
# four monthly partitions plus the DEFAULT one and the rows of months ahead.
MONTHS_BACK = 3


def migration_file(directory: Path, version: int = 900) -> Path:
    """A no-transaction migration adding the index, in a copy of sql/."""
    path = directory / f"{version:04d}_engagement_item_sentiment_index.sql"
    path.write_text(
        "-- carnivore: no-transaction\n"
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON content_engagement {COLUMNS};\n"
    )
    return path


PLAIN_INDEX = f"CREATE INDEX {INDEX} ON content_engagement {COLUMNS}"
INSERT = ("INSERT INTO content_engagement (content_id, content_type, interaction_type, sentiment)"
          " VALUES (7, 'trending_topic', 'view', 'positive')")


def load(url: str, rows: int) -> None:
    """`rows` interactions over the last months, written without the scoring trigger
    (what is measured here is the index build, not scoring)."""
    now = datetime.now(UTC)
    step_seconds = MONTHS_BACK * 31 * 86400 / rows
    with psycopg.connect(url, autocommit=True) as conn:
        for back in range(1, MONTHS_BACK + 1):
            month = (now.year * 12 + now.month - 1 - back)
            conn.execute("SELECT private.create_engagement_partition(make_date(%s, %s, 1))",
                         [month // 12, month % 12 + 1])
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute(
                """
                INSERT INTO content_engagement (content_id, content_type, interaction_type, sentiment, created_at)
                SELECT g %% 500 + 1, 'trending_topic', (ARRAY['view', 'click', 'share', 'bookmark'])[1 + g %% 4],
                       (ARRAY['positive', 'neutral', 'negative'])[1 + g %% 3],
                       now() - g * make_interval(secs => %s)
                FROM generate_series(1, %s) AS g
                """,
                [step_seconds, rows],
            )
        conn.execute("ANALYZE content_engagement")


@dataclass
class Inserts:
    """Inserts of one interaction each, from `writers` sessions, until stopped. A writer
    waits for a lock at most `lock_timeout`; an insert that waited longer fails and is
    kept in `errors`."""

    url: str
    writers: int = 4
    lock_timeout: str = "0"
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (started, seconds)
    errors: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write, daemon=True) for _ in range(self.writers)]
        self._lock = threading.Lock()

    def __enter__(self) -> Inserts:
        for thread in self._threads:
            thread.start()
        time.sleep(0.5)  # the writers are inserting before anything else starts
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _write(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("SELECT set_config('lock_timeout', %s, false)", [self.lock_timeout])
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    conn.execute(INSERT)
                except psycopg.Error as exc:
                    with self._lock:
                        self.errors.append(exc)
                    continue
                with self._lock:
                    self.latencies.append((started, time.perf_counter() - started))

    def during(self, start: float, end: float) -> list[float]:
        """Seconds each insert took, of those that began inside [start, end]."""
        with self._lock:
            return [seconds for began, seconds in self.latencies if start <= began <= end]


def summary(build_seconds: float, latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {
        "build_s": build_seconds,
        "inserts": len(ordered),
        "insert_max_ms": 1000 * ordered[-1] if ordered else 0.0,
        "insert_p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))] if ordered else 0.0,
        "insert_median_ms": 1000 * statistics.median(ordered) if ordered else 0.0,
    }


def measure(rows: int) -> dict:
    """Both ways on the same `rows`, each on a fresh copy of the migrated database."""
    import shutil
    import tempfile

    from bench.databases import fresh_database
    from carnivore_orchestration.db import migrations
    from carnivore_orchestration.settings import sql_dir

    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "sql"
        shutil.copytree(sql_dir(), directory)
        migration_file(directory)
        for label in ("online_migration", "plain_create_index"):
            with fresh_database(f"online_{label}") as url:
                load(url, rows)
                with Inserts(url) as inserts, psycopg.connect(url, autocommit=True) as conn:
                    started = time.perf_counter()
                    if label == "online_migration":
                        migrations.migrate(conn, directory)
                    else:
                        with conn.transaction():
                            conn.execute(PLAIN_INDEX)
                    ended = time.perf_counter()
                    time.sleep(0.2)
                result[label] = summary(ended - started, inserts.during(started, ended))
    return result
