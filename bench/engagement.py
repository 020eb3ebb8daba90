"""Engagement benchmarks: ingest, single inserts, the re-rank, the personalized grid.

Each figure is measured against its baseline in the same run, on the same rows, in
freshly migrated databases on the same server.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from bench.databases import fresh_database, percentile


def blueprint_scoring() -> str:
    """The blueprint's per-row scoring trigger, replacing ours (see the file)."""
    return (Path(__file__).parent / "blueprint_scoring.sql").read_text()


KINDS = ["view"] * 6 + ["click", "share", "bookmark", "comment"]


def events(count: int, items: int, seed: int = 3, now: datetime | None = None, days: float = 7) -> list[tuple]:
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    rows = []
    for _ in range(count):
        kind = rng.choice(KINDS)
        sentiment = rng.choice(["positive", "neutral", "negative"]) if kind == "comment" else None
        rows.append(("top_video", rng.randrange(1, items + 1), kind, sentiment,
                     now - timedelta(seconds=rng.random() * days * 86400 + 60)))
    return rows


def copy_rows(conn: psycopg.Connection, rows: list[tuple], table: str = "content_engagement") -> float:
    statement = sql.SQL("COPY {} (content_type, content_id, interaction_type, sentiment, created_at) FROM STDIN")
    started = time.perf_counter()
    with conn.transaction(), conn.cursor().copy(statement.format(sql.Identifier(table))) as copy:
        for row in rows:
            copy.write_row(row)
    return time.perf_counter() - started


def seed_grid(conn: psycopg.Connection, items: int) -> None:
    """`items` grid rows (positions 1..items, at most 100) for the scored videos."""
    conn.execute(
        "INSERT INTO bento_grid_items (content_type, content_id, content_title, grid_position, weekly_score,"
        " engagement_score, rank_score)"
        " SELECT 'top_video', g, 'Video ' || g, g, 50, 50, 50 FROM generate_series(1, %s) AS g", [min(items, 100)]
    )


def bulk_ingest(rows_count: int) -> dict:
    rows = events(rows_count, items=1_000)
    result = {}
    # Plain: the same table without the scoring trigger (the audit trigger stays, as it
    # does for every writer); bare: no triggers at all; unindexed: a plain table of the
    # same columns with no index, constraint or partition, the physical limit of COPY.
    disabled = {"with_scoring": [], "plain_copy": ["engagement_tracking"],
                "bare_copy": ["engagement_tracking", "audit_insert"]}
    for label, triggers in disabled.items():
        with fresh_database(f"ingest_{label}") as url, psycopg.connect(url, autocommit=True) as conn:
            seed_grid(conn, 100)
            for trigger in triggers:
                disable = sql.SQL("ALTER TABLE content_engagement DISABLE TRIGGER {}")
                conn.execute(disable.format(sql.Identifier(trigger)))
            seconds = copy_rows(conn, rows)
            result[label] = {"seconds": seconds, "rows_per_s": rows_count / seconds}
    with fresh_database("ingest_unindexed") as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE unindexed_engagement (LIKE content_engagement INCLUDING DEFAULTS)")
        seconds = copy_rows(conn, rows, table="unindexed_engagement")
        result["unindexed_copy"] = {"seconds": seconds, "rows_per_s": rows_count / seconds}
    return result


def blueprint_trigger(rows_count: int) -> dict:
    """The same events into our design and into the blueprint's per-row trigger."""
    rows = events(rows_count, items=20, days=1)
    result = {}
    for label in ("ours", "blueprint_per_row_trigger"):
        with fresh_database(f"trigger_{label}") as url, psycopg.connect(url, autocommit=True) as conn:
            seed_grid(conn, 20)
            if label != "ours":
                conn.execute(blueprint_scoring())
            seconds = copy_rows(conn, rows)
            result[label] = {"seconds": seconds, "rows_per_s": rows_count / seconds}
    return result


def single_inserts(history: int, samples: int) -> dict:
    """Latency of one INSERT (its own transaction) for an item that already has
    `history` interactions in the last 7 days, with and without scoring."""
    result = {}
    for label, scoring in (("with_scoring", True), ("plain_insert", False)):
        with fresh_database(f"single_{label}") as url, psycopg.connect(url, autocommit=True) as conn:
            seed_grid(conn, 1)
            copy_rows(conn, events(history, items=1))
            if not scoring:
                conn.execute("ALTER TABLE content_engagement DISABLE TRIGGER engagement_tracking")
            conn.execute("ANALYZE content_engagement")
            latencies = []
            for _ in range(samples):
                started = time.perf_counter()
                conn.execute("INSERT INTO content_engagement (content_type, content_id, interaction_type)"
                             " VALUES ('top_video', 1, 'view')")
                latencies.append((time.perf_counter() - started) * 1000)
            result[label] = {"p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99)}
    return result


def _current_videos(conn: psycopg.Connection, candidates: int) -> None:
    week = "2026-11-16"
    conn.execute("INSERT INTO analyzed_content_versions (week, sha256, source_file, raw_content, document_shape)"
                 " VALUES (%s, repeat('0', 64), 'bench', '{}', 'nested')", [week])
    conn.execute("INSERT INTO analyzed_content_weeks (week, source_file, sha256, document_shape, topic_count,"
                 " video_count) VALUES (%s, 'bench', repeat('0', 64), 'nested', 0, %s)", [week, candidates])
    conn.execute("INSERT INTO top_videos (video_id, title, views, score, full_data, first_seen_week,"
                 " last_seen_week) SELECT 'v' || g, 'Video ' || g, g, (g %% 100), '{}', %s, %s"
                 " FROM generate_series(1, %s) AS g", [week, week, candidates])


def rerank(candidates: int) -> dict:
    """The hourly job over `candidates` current videos with a week of engagement: ours
    (scores from the buckets, one set-based write) against the same job done the
    blueprint's way: each item recounted from its history with the blueprint's queries
    and updated, then one UPDATE per position, as its edge function does, with every
    item in the grid (its table has no position limit)."""
    from carnivore_orchestration.homepage.grid import rebuild_grid, refresh_homepage

    history = events(candidates * 5, items=candidates)
    news = events(candidates, items=candidates, seed=9, days=0.5)
    result = {}
    with fresh_database("rerank_ours") as url, psycopg.connect(url, autocommit=True) as conn:
        _current_videos(conn, candidates)
        copy_rows(conn, history)
        rebuild_grid(conn)
        refresh_homepage(conn)
        copy_rows(conn, news)
        started = time.perf_counter()
        changes = rebuild_grid(conn)
        refresh_homepage(conn)
        result["ours"] = {"seconds": time.perf_counter() - started, "moved": changes.items_moved}

    with fresh_database("rerank_blueprint") as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute(blueprint_scoring())
        conn.execute("ALTER TABLE bento_grid_items DROP CONSTRAINT bento_grid_position_range")
        conn.execute("ALTER TABLE content_engagement DISABLE TRIGGER engagement_recalculate_score")
        _current_videos(conn, candidates)
        conn.execute("INSERT INTO bento_grid_items (content_type, content_id, content_title, grid_position)"
                     " SELECT 'top_video', id, title, id FROM top_videos")
        copy_rows(conn, history + news)
        started = time.perf_counter()
        for (content_id,) in conn.execute("SELECT content_id FROM bento_grid_items").fetchall():
            score = conn.execute(
                "SELECT least(greatest(count(*) FILTER (WHERE interaction_type = 'view')"
                " + 5 * count(*) FILTER (WHERE interaction_type = 'share')"
                " + 3 * count(*) FILTER (WHERE interaction_type = 'bookmark')"
                " + coalesce(20.0 * count(*) FILTER (WHERE sentiment = 'positive') / nullif(count(*), 0), 0), 0), 100)"
                " FROM content_engagement WHERE content_id = %s AND content_type = 'top_video'"
                " AND created_at >= now() - interval '24 hours'", [content_id]).fetchone()[0]
            positive = conn.execute(
                "SELECT coalesce(round(100.0 * count(*) FILTER (WHERE sentiment = 'positive') / nullif(count(*), 0),"
                " 2), 50) FROM content_engagement WHERE content_id = %s AND created_at >= now() - interval '7 days'",
                [content_id]).fetchone()[0]
            conn.execute(
                "UPDATE bento_grid_items SET engagement_score = %s, positive_sentiment_percent = %s,"
                " view_count = (SELECT count(*) FROM content_engagement WHERE content_id = %s"
                "               AND interaction_type = 'view')"
                " WHERE content_type = 'top_video' AND content_id = %s", [score, positive, content_id, content_id])
        items = conn.execute("SELECT id FROM bento_grid_items ORDER BY engagement_score DESC").fetchall()
        for position, (item_id,) in enumerate(items, start=1):
            conn.execute("UPDATE bento_grid_items SET grid_position = %s WHERE id = %s", [position, item_id])
        conn.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY private.homepage_grid")
        result["blueprint_style"] = {"seconds": time.perf_counter() - started, "items": len(items)}
    return result


def personalized(samples: int) -> dict:
    """get_personalized_grid() for a reader with interests against a plain read of
    homepage_grid, both as the API roles would run them."""
    import uuid

    result = {}
    with fresh_database("personal") as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO bento_grid_items (content_type, content_id, content_title, grid_position, weekly_score,"
            " engagement_score, rank_score, data) SELECT 'top_video', g, 'Video ' || g, g, 100 - g / 2.0,"
            " 100 - g / 2.0, 100 - g / 2.0,"
            " jsonb_build_object('tags', jsonb_build_array('t' || (g % 7), 't' || (g % 5)))"
            " FROM generate_series(1, 100) AS g"
        )
        conn.execute("REFRESH MATERIALIZED VIEW private.homepage_grid")
        reader = uuid.uuid4()
        conn.execute("INSERT INTO auth.users (id) VALUES (%s)", [reader])
        conn.execute("INSERT INTO user_interests (user_id, interests, interest_tags) VALUES (%s, '[\"x\"]', %s)",
                     [reader, ["t1", "t3", "t4"]])
        claims = f'{{"sub": "{reader}", "role": "authenticated"}}'
        queries = {
            "personalized": ("SELECT * FROM get_personalized_grid(%s, 7)", [reader]),
            "homepage_grid": ("SELECT * FROM homepage_grid ORDER BY grid_position", []),
        }
        for label, (query, params) in queries.items():
            latencies = []
            for _ in range(samples):
                started = time.perf_counter()
                with conn.transaction():
                    conn.execute("SELECT set_config('role', 'authenticated', true),"
                                 " set_config('request.jwt.claims', %s, true)", [claims])
                    conn.execute(query, params).fetchall()
                latencies.append((time.perf_counter() - started) * 1000)
            result[label] = {"p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99)}
    return result


def freshness(history: int, samples: int) -> dict:
    """How long after an interaction is written its item's new counts and score can be
    read, from another connection (as the website would read them): ours against the
    blueprint's per-row trigger, on an item with `history` interactions this week."""
    result = {}
    for label in ("ours", "blueprint_per_row_trigger"):
        with fresh_database(f"fresh_{label}") as url, psycopg.connect(url, autocommit=True) as writer, \
                psycopg.connect(url, autocommit=True) as reader:
            seed_grid(writer, 1)
            if label != "ours":
                writer.execute(blueprint_scoring())
                # Loading the history through its per-row trigger would take minutes
                # (each row recounts the ones before it); the item's row is stale until
                # the first measured insert, which recounts everything anyway.
                writer.execute("ALTER TABLE content_engagement DISABLE TRIGGER engagement_recalculate_score")
            copy_rows(writer, events(history, items=1))
            writer.execute("ALTER TABLE content_engagement ENABLE TRIGGER USER")  # no-op for ours
            writer.execute("ANALYZE content_engagement")
            read = "SELECT view_count FROM bento_grid_items WHERE content_type = 'top_video' AND content_id = 1"
            latencies = []
            for _ in range(samples):
                before = reader.execute(read).fetchone()[0]
                started = time.perf_counter()
                writer.execute("INSERT INTO content_engagement (content_type, content_id, interaction_type)"
                               " VALUES ('top_video', 1, 'view')")
                while reader.execute(read).fetchone()[0] == before:
                    pass  # not visible yet: read again
                latencies.append((time.perf_counter() - started) * 1000)
            result[label] = {"p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99)}
    return result
