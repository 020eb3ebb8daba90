"""Writing one validated week: archive, creators, topics, videos and their history, in
one transaction, with set-based statements (COPY into staging tables, then one
INSERT/UPDATE/DELETE per table), never a query per row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from carnivore_orchestration.content.loading import WeekContent
from carnivore_orchestration.db.copy_values import jsonb, text_array
from carnivore_orchestration.summaries import MetadataSummary

# Serialises the writers of the weekly tables and the grid, so that concurrent backfill
# runs queue instead of deadlocking on each other's rows.
WRITE_LOCK = 0x6361_726E_6977


@dataclass(frozen=True)
class TableChanges(MetadataSummary):
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int


@dataclass(frozen=True)
class WeekWrite:
    week: date
    status: str  # "imported", "replaced" or "unchanged"
    alerts: int  # trend-spike events this write added to the outbox
    topics: TableChanges
    videos: TableChanges
    creators: TableChanges


@dataclass(frozen=True)
class ImportedWeek(MetadataSummary):
    """What the import of one file did, as the analyzed_content asset reports it."""

    week: str
    source_file: str
    sha256: str
    status: str
    document_shape: str
    topics: int
    videos: int
    creators: int
    alerts_queued: int


@dataclass(frozen=True)
class _Entity:
    """A main table whose current values are those of the latest week in its history."""

    table: str
    history: str
    natural_key: str
    history_fk: str
    copied: tuple[str, ...]  # columns kept per week and copied to the main row


TOPICS = _Entity(
    "trending_topics", "trending_topic_weeks", "topic_slug", "topic_id",
    ("topic_name", "description", "engagement_score", "mention_count", "creators_array", "full_data"),
)
VIDEOS = _Entity(
    "top_videos", "top_video_weeks", "video_id", "video_pk",
    ("title", "creator_name", "creator_id", "views", "tags", "comment_sentiment", "score", "full_data"),
)


def write_week(conn: psycopg.Connection, week: date, content: WeekContent,
               alert_destinations: Sequence[str] = ("editors",)) -> WeekWrite:
    """Replace `week`'s data with `content`, or change nothing if the file is the one
    already imported. `conn` must not be inside a transaction; this opens its own."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
        previous = conn.execute("SELECT sha256 FROM analyzed_content_weeks WHERE week = %s", [week]).fetchone()
        if previous and previous[0] == content.sha256:
            return WeekWrite(
                week,
                "unchanged",
                0,
                TableChanges(0, 0, len(content.topics)),
                TableChanges(0, 0, len(content.videos)),
                TableChanges(0, 0, len(content.creators)),
            )
        _archive(conn, week, content)
        creator_ids, creators = _write_creators(conn, week, content)
        topics = _write_entity(conn, week, TOPICS, topic_rows(content))
        videos = _write_entity(conn, week, VIDEOS, video_rows(content, creator_ids))
        # In the same transaction: no event without its data, no data without its event.
        # Spikes are judged for the newest week against the week before it, whichever
        # file arrived last: an older week landing after a newer one (a backfill, or two
        # imports at once committing out of order) re-evaluates the newest week and
        # queues what it now shows (a jump over the week that just arrived), each event
        # once by its key. The older week itself pages nobody.
        # One event per queue: each of the editors' endpoints (AlertSettings.destinations_for).
        alerts = conn.execute("SELECT private.record_trend_spikes(max(week), %s) FROM public.analyzed_content_weeks",
                              [list(alert_destinations)]).fetchone()[0]
        return WeekWrite(week, "replaced" if previous else "imported", alerts, topics, videos, creators)


def topic_rows(content: WeekContent) -> list[tuple]:
    """The week's topics as COPY rows: the natural key, then TOPICS.copied."""
    return [(t.slug, t.name, t.description, t.engagement_score, len(t.creators), text_array(t.creators),
             jsonb(t.full_data)) for t in content.topics]


def video_rows(content: WeekContent, creator_ids: dict[str, int]) -> list[tuple]:
    """The week's videos as COPY rows: the natural key, then VIDEOS.copied."""
    return [(v.video_id, v.title, v.creator, creator_ids.get(v.creator), v.views, text_array(v.tags),
             jsonb(v.comment_sentiment), v.score, jsonb(v.full_data)) for v in content.videos]


def _archive(conn: psycopg.Connection, week: date, content: WeekContent) -> None:
    """The file among the week's versions (kept for good, byte for byte), then the week
    pointing at it as its current version, with what was read from it."""
    conn.execute(
        "INSERT INTO analyzed_content_versions (week, sha256, source_file, raw_content, document_shape)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (week, sha256) DO NOTHING",
        [week, content.sha256, str(content.source), content.raw, content.shape],
    )
    conn.execute(
        "INSERT INTO analyzed_content_weeks (week, source_file, sha256, document_shape, analysis_date,"
        " community_sentiment, topic_count, video_count)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (week) DO UPDATE SET source_file = EXCLUDED.source_file, sha256 = EXCLUDED.sha256,"
        " document_shape = EXCLUDED.document_shape,"
        " analysis_date = EXCLUDED.analysis_date, community_sentiment = EXCLUDED.community_sentiment,"
        " topic_count = EXCLUDED.topic_count, video_count = EXCLUDED.video_count, imported_at = now()",
        [week, str(content.source), content.sha256, content.shape, content.analysis_date,
         Jsonb(content.community_sentiment) if content.community_sentiment is not None else None,
         len(content.topics), len(content.videos)],
    )


def _write_creators(conn: psycopg.Connection, week: date, content: WeekContent) -> tuple[dict[str, int], TableChanges]:
    names = content.creators
    inserted = {
        row[0]
        for row in conn.execute(
            "INSERT INTO creators (creator_name, first_seen_week, last_seen_week)"
            " SELECT name, %(week)s, %(week)s FROM unnest(%(names)s::text[]) AS name"
            " ON CONFLICT (creator_name) DO NOTHING RETURNING id",
            {"week": week, "names": names},
        )
    }
    ids = dict(
        conn.execute("SELECT creator_name, id FROM creators WHERE creator_name = ANY(%s)", [names]).fetchall()
    )
    mentions = Counter(name for topic in content.topics for name in topic.creators)
    videos = Counter(video.creator for video in content.videos if video.creator)
    old = [row[0] for row in conn.execute("DELETE FROM creator_weeks WHERE week = %s RETURNING creator_id", [week])]
    conn.execute(
        "INSERT INTO creator_weeks (week, creator_id, topic_mentions, video_count)"
        " SELECT %s, * FROM unnest(%s::bigint[], %s::int[], %s::int[])",
        [week, [ids[n] for n in names], [mentions[n] for n in names], [videos[n] for n in names]],
    )
    updated = {
        row[0]
        for row in conn.execute(
            "UPDATE creators AS c SET first_seen_week = s.first_week, last_seen_week = s.last_week"
            " FROM (SELECT t.id, min(w.week) AS first_week, max(w.week) AS last_week"
            "       FROM unnest(%s::bigint[]) AS t(id) LEFT JOIN creator_weeks AS w ON w.creator_id = t.id"
            "       GROUP BY t.id) AS s"
            " WHERE c.id = s.id AND (c.first_seen_week, c.last_seen_week) IS DISTINCT FROM (s.first_week, s.last_week)"
            " RETURNING c.id",
            [list(set(old) | set(ids.values()))],
        )
    } & (set(ids.values()) - inserted)  # count only this week's creators
    return ids, TableChanges(len(inserted), len(updated), len(names) - len(inserted) - len(updated))


def _write_entity(conn: psycopg.Connection, week: date, entity: _Entity, rows: list[tuple]) -> TableChanges:
    """Make `entity`'s history for `week` exactly `rows`, writing only what differs, and
    bring the main rows it touched up to date. A week imported again with a few edits
    writes those few rows (and their audit entries), not the week."""
    table, history = sql.Identifier(entity.table), sql.Identifier(entity.history)
    key, fk = sql.Identifier(entity.natural_key), sql.Identifier(entity.history_fk)
    copied = sql.SQL(", ").join(map(sql.Identifier, entity.copied))
    staged = sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in entity.copied)
    kept = sql.SQL(", ").join(sql.SQL("h.{}").format(sql.Identifier(c)) for c in entity.copied)
    names = {"table": table, "history": history, "key": key, "fk": fk, "copied": copied, "staged": staged,
             "kept": kept}

    # A staging table with the history's column types, and the main row's id once known;
    # it disappears at commit.
    conn.execute(sql.SQL(
        "CREATE TEMP TABLE stage ON COMMIT DROP AS"
        " SELECT NULL::text AS natural_key, NULL::bigint AS id, {copied} FROM {history} WITH NO DATA"
    ).format(**names))
    with conn.cursor().copy(sql.SQL("COPY stage (natural_key, {copied}) FROM STDIN").format(**names)) as copy:
        for row in rows:
            copy.write_row(row)

    # New content first. The anti-join finds it; ON CONFLICT stays for an admin who adds
    # the same key through the API meanwhile (the write lock only orders our writers).
    inserted = {r[0] for r in conn.execute(sql.SQL(
        "INSERT INTO {table} ({key}, {copied}, first_seen_week, last_seen_week)"
        " SELECT s.natural_key, {staged}, %(week)s, %(week)s FROM stage AS s"
        " WHERE NOT EXISTS (SELECT FROM {table} AS t WHERE t.{key} = s.natural_key)"
        " ON CONFLICT ({key}) DO NOTHING RETURNING id"
    ).format(**names), {"week": week})}
    conn.execute(sql.SQL("UPDATE stage AS s SET id = t.id FROM {table} AS t WHERE t.{key} = s.natural_key"
                         ).format(**names))

    # The week's history becomes the file's: rows for content no longer in it go, rows
    # whose values changed are updated, new ones inserted; equal rows are not touched.
    removed = [r[0] for r in conn.execute(sql.SQL(
        "DELETE FROM {history} AS h WHERE h.week = %s AND NOT EXISTS (SELECT FROM stage AS s WHERE s.id = h.{fk})"
        " RETURNING h.{fk}"
    ).format(**names), [week])]
    changed = [r[0] for r in conn.execute(sql.SQL(
        "UPDATE {history} AS h SET ({copied}) = ROW({staged}) FROM stage AS s"
        " WHERE h.week = %s AND h.{fk} = s.id AND ({kept}) IS DISTINCT FROM ({staged})"
        " RETURNING h.{fk}"
    ).format(**names), [week])]
    added = [r[0] for r in conn.execute(sql.SQL(
        "INSERT INTO {history} (week, {fk}, {copied})"
        " SELECT %(week)s, s.id, {staged} FROM stage AS s"
        " WHERE NOT EXISTS (SELECT FROM {history} AS h WHERE h.week = %(week)s AND h.{fk} = s.id)"
        " RETURNING {fk}"
    ).format(**names), {"week": week})]
    conn.execute("DROP TABLE stage")

    # A main row just created has this week as its only history, and already its values.
    touched = (set(removed) | set(changed) | set(added)) - inserted
    updated = _update_from_history(conn, entity, names, touched) & (set(changed) | set(added))
    return TableChanges(len(inserted), len(updated), len(rows) - len(inserted) - len(updated))


def _update_from_history(conn: psycopg.Connection, entity: _Entity, names: dict, touched: set[int]) -> set[int]:
    """Each touched row takes the values of the latest week it appears in; a row whose
    only week was just removed keeps its values but is no longer current. Returns the
    rows that changed."""
    if not touched:
        return set()
    fk = names["fk"]
    latest_values = sql.SQL(", ").join(
        sql.SQL("{c} = CASE WHEN l.{fk} IS NULL THEN t.{c} ELSE l.{c} END").format(c=sql.Identifier(c), fk=fk)
        for c in entity.copied
    )
    compared = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in entity.copied)
    incoming = sql.SQL(", ").join(
        sql.SQL("CASE WHEN l.{fk} IS NULL THEN t.{c} ELSE l.{c} END").format(c=sql.Identifier(c), fk=fk)
        for c in entity.copied
    )
    return {r[0] for r in conn.execute(sql.SQL(
        "WITH touched AS (SELECT unnest(%s::bigint[]) AS id),"
        " span AS (SELECT touched.id, min(h.week) AS first_week, max(h.week) AS last_week"
        "          FROM touched LEFT JOIN {history} AS h ON h.{fk} = touched.id GROUP BY touched.id),"
        " latest AS (SELECT DISTINCT ON (h.{fk}) h.* FROM {history} AS h JOIN touched ON touched.id = h.{fk}"
        "            ORDER BY h.{fk}, h.week DESC)"
        " UPDATE {table} AS t SET {latest_values}, first_seen_week = s.first_week, last_seen_week = s.last_week"
        " FROM span AS s LEFT JOIN latest AS l ON l.{fk} = s.id"
        " WHERE t.id = s.id"
        "   AND ({compared}, t.first_seen_week, t.last_seen_week)"
        "       IS DISTINCT FROM ({incoming}, s.first_week, s.last_week)"
        " RETURNING t.id"
    ).format(**names, latest_values=latest_values, compared=compared, incoming=incoming), [sorted(touched)])}
