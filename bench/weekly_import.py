"""The weekly import of one large week, ours against the blueprint's row-at-a-time script.

Both run in the same process run, each in a fresh child process (so that peak memory
is its own) against its own freshly migrated database on the same server.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import time
from datetime import date
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

WEEK = date(2026, 11, 16)


def ours(url: str, path: str, guarantees: bool = True) -> dict:
    """The project's import: validation, the write, the grid. Without `guarantees` the
    connection runs with session_replication_role = replica, which switches off every
    trigger and foreign-key check: the audit trail, the engagement and timestamp
    triggers, the history's references. Not a way to run, a measure of what they cost."""
    from carnivore_orchestration.content.loading import load_week
    from carnivore_orchestration.content.store import write_week
    from carnivore_orchestration.homepage.grid import rebuild_grid, refresh_homepage

    timings = {}
    started = time.perf_counter()
    content = load_week(Path(path), WEEK)
    timings["validate_s"] = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        if not guarantees:
            conn.execute("SET session_replication_role = replica")
        mark = time.perf_counter()
        write_week(conn, WEEK, content)
        timings["write_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        rebuild_grid(conn)
        refresh_homepage(conn)
        timings["grid_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - started
    timings["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return timings


def floor(url: str, path: str) -> dict:
    """The least any import of this week can do, as a yardstick rather than a design:
    the same validation, then the week's rows, formatted as ours formats them, COPYed
    once into two tables of the history's column types, without keys, indexes,
    references, history, audit trail, alerts or grid. An import that keeps any of those
    takes longer; so the row-at-a-time import's time over this one is the largest
    speed-up any design of the import could show against it."""
    from psycopg import sql

    from carnivore_orchestration.content.loading import load_week
    from carnivore_orchestration.content.store import TOPICS, VIDEOS, topic_rows, video_rows

    def table(entity) -> sql.Identifier:
        return sql.Identifier(f"floor_{entity.table}")

    with psycopg.connect(url, autocommit=True) as conn:
        # Created beforehand: with wal_level = minimal, a COPY into a table created in
        # its own transaction skips the WAL, which no real import could.
        for entity in (TOPICS, VIDEOS):
            conn.execute(sql.SQL("CREATE TABLE {} AS SELECT NULL::text AS natural_key, {} FROM {} WITH NO DATA").format(
                table(entity), sql.SQL(", ").join(map(sql.Identifier, entity.copied)), sql.Identifier(entity.history)))
        started = time.perf_counter()
        content = load_week(Path(path), WEEK)
        with conn.transaction():
            for entity, rows in ((TOPICS, topic_rows(content)), (VIDEOS, video_rows(content, {}))):
                with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(table(entity))) as copy:
                    for row in rows:
                        copy.write_row(row)
    return {"total_s": time.perf_counter() - started,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def ours_corrected(url: str, path: str) -> dict:
    """The week imported, then imported again from a corrected copy (one topic's score
    changed), as when the analysis re-publishes a week: the second import's figures, and
    the audit entries it wrote. Only what differs is written."""
    ours(url, path)
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    topic = document["analysis"]["trending_topics"][0]
    topic["engagement_score"] = (topic["engagement_score"] + 1) % 101
    corrected = Path(path).with_name("corrected.json")
    corrected.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with psycopg.connect(url, autocommit=True) as conn:
        before = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        timings = ours(url, str(corrected))
        timings["audit_rows"] = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] - before
    return timings


# What PostgREST runs for each of supabase-py's upsert calls (POST with Prefer:
# resolution=merge-duplicates, return=representation): a transaction that takes the
# caller's role and claims, the upsert, and the written row sent back as JSON.
_REQUEST = ("SELECT set_config('role', 'service_role', true),"
            " set_config('request.jwt.claims', '{\"role\": \"service_role\"}', true),"
            " set_config('request.method', 'POST', true), set_config('request.path', %s, true)")
_REPRESENTATION = "WITH written AS ({}) SELECT coalesce(json_agg(written), '[]') FROM written"

_TOPIC_UPSERT = (
    "INSERT INTO trending_topics (topic_name, topic_slug, description, engagement_score, mention_count,"
    " creators_array, full_data, is_active) VALUES (%s, %s, %s, %s, %s, %s, %s, true)"
    " ON CONFLICT (topic_slug) DO UPDATE SET topic_name = EXCLUDED.topic_name,"
    " description = EXCLUDED.description, engagement_score = EXCLUDED.engagement_score,"
    " mention_count = EXCLUDED.mention_count, creators_array = EXCLUDED.creators_array,"
    " full_data = EXCLUDED.full_data RETURNING *")
_VIDEO_UPSERT = (
    "INSERT INTO top_videos (video_id, title, creator_name, views, tags, comment_sentiment, full_data,"
    " is_active) VALUES (%s, %s, %s, %s, %s, %s, %s, true)"
    " ON CONFLICT (video_id) DO UPDATE SET title = EXCLUDED.title, creator_name = EXCLUDED.creator_name,"
    " views = EXCLUDED.views, tags = EXCLUDED.tags, comment_sentiment = EXCLUDED.comment_sentiment,"
    " full_data = EXCLUDED.full_data RETURNING *")


def row_at_a_time(url: str, path: str, bare: bool = False) -> dict:
    """The blueprint's import_analyzed_content.py: one upsert per topic and per video,
    each its own request, then the top 7 topics into the grid. It validates nothing and
    keeps no history, so it does less than ours. Each request reaches the database as
    PostgREST sends it (see _REQUEST), as the read benchmarks' requests do; `bare` sends
    the upsert alone instead, as one autocommitted statement (the network hop from the
    script to PostgREST is left out either way)."""
    import json

    from carnivore_orchestration.content.slugs import topic_slug

    def request(conn, path, statement, params):
        if bare:
            conn.execute(statement, params)
            return
        with conn.transaction():
            conn.execute(_REQUEST, [path])
            conn.execute(_REPRESENTATION.format(statement), params).fetchone()

    started = time.perf_counter()
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    with psycopg.connect(url, autocommit=True) as conn:
        for topic in data["analysis"]["trending_topics"]:
            request(conn, "/trending_topics", _TOPIC_UPSERT, [
                topic["topic"], topic_slug(topic["topic"]), topic.get("description"), topic["engagement_score"],
                len(topic["mentioned_by"]), topic["mentioned_by"], Jsonb(topic)])
        for video in data["analysis"]["top_videos"]:
            request(conn, "/top_videos", _VIDEO_UPSERT, [
                video["video_id"], video["title"], video["creator"], video["views"], video["tags"],
                Jsonb(video["comment_sentiment"]), Jsonb(video)])
        topics = conn.execute("SELECT id, topic_name, engagement_score, full_data FROM trending_topics"
                              " ORDER BY engagement_score DESC").fetchall()
        with conn.transaction():
            for index, (topic_id, name, score, full_data) in enumerate(topics[:7]):
                conn.execute(
                    "INSERT INTO bento_grid_items (content_type, content_id, content_title, grid_position,"
                    " engagement_score, data) VALUES ('trending_topic', %s, %s, %s, %s, %s)"
                    " ON CONFLICT (content_type, content_id) DO UPDATE SET grid_position = EXCLUDED.grid_position,"
                    " engagement_score = EXCLUDED.engagement_score",
                    [topic_id, name, index + 1, score, Jsonb(full_data)],
                )
        conn.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY private.homepage_grid")
    total = time.perf_counter() - started
    return {"total_s": total, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def bare_statements(url: str, path: str) -> dict:
    return row_at_a_time(url, path, bare=True)


def without_guarantees(url: str, path: str) -> dict:
    return ours(url, path, guarantees=False)


def median_run(runs: list[dict]) -> dict:
    """The run whose time is the median, with every run's time beside it: one run of a
    variant can be 10 % off the next, and each ratio of the import's rows divides two of
    them."""
    ordered = sorted(runs, key=lambda run: run["total_s"])
    return {**ordered[len(ordered) // 2], "runs_s": [run["total_s"] for run in ordered]}


def in_child(function, *args) -> dict:
    """Run in a fresh process so that peak memory belongs to this variant alone."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(function, args)
