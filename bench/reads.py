"""Homepage reads under load, with pgbench over 127.0.0.1: direct at 1/16/64 clients,
1,000 clients through pgbouncer, and readers while homepage_grid is being refreshed.

Every read is made as the website's API makes it (a transaction as `anon` with its
claims set), against a database holding the newest bundled sample week, imported and
ranked by the project's own code.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict

from bench import pgbench, weekly_import
from bench.databases import fresh_database, percentile
from bench.server import pgbouncer

OURS = "SELECT * FROM homepage_grid ORDER BY grid_position"
# The blueprint's homepage query on the base table (its section 9, "optimized query"),
# over the seven positions our view holds.
BLUEPRINT = "SELECT * FROM bento_grid_items WHERE grid_position <= 7 ORDER BY engagement_score DESC"


def script(query: str) -> str:
    return pgbench.ANON_READ.format(query=query)


@contextmanager
def homepage_database(label: str):
    """A database holding the newest bundled sample week, imported and ranked by the
    project's own code (the import benchmark's `ours`)."""
    from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

    with fresh_database(label) as url:
        weekly_import.ours(url, str(BUNDLED_CONTENT_DIR / f"{weekly_import.WEEK.isoformat()}.json"))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        yield url


def concurrency(levels: list[int], seconds: float) -> dict:
    """Ours (homepage_grid) and the blueprint's base-table query at each client count."""
    result = {}
    with homepage_database("reads") as url:
        for label, query in (("homepage_grid", OURS), ("blueprint_base_table", BLUEPRINT)):
            result[label] = {str(clients): pgbench.run(url, script(query), clients, seconds).summary()
                             for clients in levels}
    return result


def pooled(clients: int, pool_size: int, seconds: float, rate: float, flat_out: bool = True) -> dict:
    """`clients` connections reading homepage_grid through pgbouncer (transaction mode,
    `pool_size` server connections) against the same clients connected directly: at
    `rate` reads/s in all (visitors arriving), and, if `flat_out`, as fast as they can."""
    result = {"pool_size": pool_size}
    with homepage_database("pool") as url:
        server = conninfo_to_dict(url)
        port = int(server.get("port") or 5432)
        with pgbouncer(server["host"], port, server["dbname"], pool_size, clients + 100) as pool_url:
            for label, target in (("pgbouncer", pool_url), ("direct", url)):
                result[label] = pgbench.run(target, script(OURS), clients, seconds, rate=rate).summary()
                if flat_out:
                    result[f"{label}_flat_out"] = pgbench.run(target, script(OURS), clients, seconds).summary()
    return result


class Refresher(threading.Thread):
    """Refreshes homepage_grid over and over (a pause between refreshes) and records
    each refresh's window in µs since the epoch."""

    def __init__(self, url: str, statement: str, pause: float):
        super().__init__(daemon=True)
        self.url, self.statement, self.pause = url, statement, pause
        self.windows: list[tuple[int, int]] = []
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                while not self.stopping.wait(self.pause):
                    started = time.time_ns() // 1000
                    conn.execute(self.statement)
                    self.windows.append((started, time.time_ns() // 1000))
        except BaseException as error:  # reported by the caller, which owns the result
            self.error = error


def during_refresh(clients: int, seconds: float, pause: float = 0.05) -> dict:
    """Readers' latency while homepage_grid is refreshed every `pause` seconds:
    CONCURRENTLY (ours) against a plain REFRESH, which is all the blueprint's view can
    do (it has no unique index, so its own REFRESH ... CONCURRENTLY fails), and against
    the same readers with no refresh at all."""
    result = {}
    with homepage_database("refresh") as url:
        result["no_refresh"] = pgbench.run(url, script(OURS), clients, seconds).summary()
        for label, statement in (("concurrently", "REFRESH MATERIALIZED VIEW CONCURRENTLY private.homepage_grid"),
                                 ("plain", "REFRESH MATERIALIZED VIEW private.homepage_grid")):
            refresher = Refresher(url, statement, pause)
            refresher.start()
            try:
                run = pgbench.run(url, script(OURS), clients, seconds)
            finally:
                refresher.stopping.set()
                refresher.join()
            if refresher.error is not None:
                raise refresher.error
            overlapping = run.latencies_ms(during=refresher.windows)
            refreshes = [(stop - start) / 1000 for start, stop in refresher.windows]
            result[label] = {**run.summary(), "refreshes": len(refreshes),
                             "refresh_p50_ms": percentile(refreshes, 0.5),
                             "refresh_p99_ms": percentile(refreshes, 0.99),
                             "reads_during_refresh": len(overlapping),
                             "during_p50_ms": percentile(overlapping, 0.5),
                             "during_p99_ms": percentile(overlapping, 0.99)}
    return result
