"""Bulk loads of interactions into content_engagement: CSV with a header, or JSON lines.

Every row is validated before anything is written; then all rows go in with one COPY in
one transaction, so a load is all or nothing. The statement-level triggers then audit
the rows and fold them into the scoring buckets once for the whole load.

The same transaction records the file's SHA-256 in `carnivore_meta.engagement_loads`.
A load killed part way leaves neither rows nor record, so running it again is safe; a
file that was loaded is refused when it comes again (a retry after a success would
count every interaction twice) unless the load is forced.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from uuid import UUID

import psycopg
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from carnivore_orchestration.content.loading import unstorable_text
from carnivore_orchestration.db.copy_values import jsonb

FIELDS = ("content_type", "content_id", "interaction_type", "sentiment", "sentiment_score", "user_id", "created_at",
          "metadata")
REQUIRED = ("content_type", "content_id", "interaction_type")
_COPY = f"COPY content_engagement ({', '.join(FIELDS)}) FROM STDIN"


class EngagementError(ValueError):
    """A load was refused; the message names the file, the line and the field."""


class Interaction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: Literal["trending_topic", "top_video", "community_highlight", "research_update"]
    content_id: Annotated[int, Field(ge=1)]
    interaction_type: Literal["view", "click", "share", "bookmark", "comment", "reaction"]
    sentiment: Literal["positive", "negative", "neutral"] | None = None
    sentiment_score: Annotated[Decimal, Field(ge=-1, le=1)] | None = None
    user_id: UUID | None = None
    created_at: datetime | None = None
    metadata: dict | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_missing(cls, value):
        return None if isinstance(value, str) and value.strip() == "" else value

    @field_validator("metadata", mode="before")
    @classmethod
    def _metadata_json(cls, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise ValueError("must be a JSON object") from None
        if (found := unstorable_text(value)) is not None:
            raise ValueError(f"contains {found[1]} at {found[0]}, which PostgreSQL cannot store")
        return value

    @field_validator("created_at")
    @classmethod
    def _utc_if_naive(cls, value):
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@dataclass(frozen=True)
class LoadResult:
    rows: int
    path: Path
    sha256: str


def read_interactions(path: Path, now: datetime, lines: list[int] | None = None) -> list[Interaction]:
    """Parse and validate the whole file; raise EngagementError at the first bad line.
    `lines`, if given, receives the file line of each row."""
    lines = [] if lines is None else lines
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EngagementError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise EngagementError(f"{path}: not UTF-8 text") from None
    records = _json_lines(path, text) if path.suffix in (".jsonl", ".ndjson") else _csv_records(path, text)
    rows = []
    for line, record in records:
        lines.append(line)
        try:
            row = Interaction.model_validate(record)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            field = ".".join(str(part) for part in first["loc"]) or "(row)"
            value = record.get(first["loc"][0]) if first["loc"] else record
            message = first["msg"].removeprefix("Value error, ")
            got = json.dumps(value, default=str)
            raise EngagementError(f"{path}: line {line}: {field}: {message}, got {got}") from None
        if row.created_at is not None and row.created_at > now:
            raise EngagementError(
                f"{path}: line {line}: created_at: {row.created_at.isoformat()} is in the future"
                f" (the database's clock says {now.isoformat(timespec='seconds')})"
            )
        rows.append(row)
    if not rows:
        raise EngagementError(f"{path}: no interactions in the file")
    return rows


def _csv_records(path: Path, text: str):
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in FIELDS]
    if unknown:
        raise EngagementError(
            f"{path}: line 1: unknown column(s) {', '.join(unknown)}; the columns are {', '.join(FIELDS)}")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise EngagementError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
    for record in reader:
        if None in record:
            raise EngagementError(f"{path}: line {reader.line_num}: more values than columns")
        yield reader.line_num, record


def _json_lines(path: Path, text: str):
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EngagementError(f"{path}: line {number}: not valid JSON: {exc.msg}") from None
        if not isinstance(record, dict):
            raise EngagementError(f"{path}: line {number}: expected a JSON object")
        yield number, record


def load_engagement(
    conn: psycopg.Connection,
    path: Path,
    shift_to_now: bool = False,
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
) -> LoadResult:
    """Validate `path`, then COPY every row in one transaction. `shift_to_now` moves all
    timestamps so that the newest is now (to replay a recorded week as if it were live).
    `progress(done, total)` is called as rows are sent. A file already loaded is refused
    unless `force`."""
    try:
        with conn.transaction(), conn.cursor() as cursor:
            # The transaction's now(): what the CHECK compares with, and the default.
            now = conn.execute("SELECT now()").fetchone()[0]
            lines: list[int] = []
            rows = read_interactions(path, now, lines)
            digest = _claim(conn, path, len(rows), force)
            shift = timedelta(0)
            if shift_to_now:
                newest = max((row.created_at for row in rows if row.created_at is not None), default=None)
                shift = now - newest if newest is not None else timedelta(0)
            with cursor.copy(_COPY) as copy:
                for done, row in enumerate(rows, start=1):
                    copy.write_row((
                        row.content_type, row.content_id, row.interaction_type, row.sentiment, row.sentiment_score,
                        row.user_id, (row.created_at + shift) if row.created_at is not None else now,
                        jsonb(row.metadata) if row.metadata is not None else None,
                    ))
                    if progress is not None and (done % 5_000 == 0 or done == len(rows)):
                        progress(done, len(rows))
    except psycopg.Error as exc:
        # What only the database can check (a user_id not in auth.users, say): the whole
        # load is rolled back, and the message points at the file's line where it can.
        match = re.search(r"COPY content_engagement, line (\d+)", exc.diag.context or "")
        where = f"line {lines[int(match[1]) - 1]}: " if match and int(match[1]) <= len(lines) else ""
        detail = f" ({exc.diag.message_detail})" if exc.diag.message_detail else ""
        raise EngagementError(f"{path}: {where}{exc.diag.message_primary}{detail}; nothing was loaded") from None
    return LoadResult(rows=len(rows), path=path, sha256=digest)


def _claim(conn: psycopg.Connection, path: Path, rows: int, force: bool) -> str:
    """Record this load of the file, or refuse a file already loaded. Two loads of the
    same file at once take turns on a lock keyed by its hash, so the second sees the
    first's record once the first commits."""
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [digest])
    earlier = conn.execute(
        "SELECT loaded_at, rows, file_name, count(*) OVER () FROM carnivore_meta.engagement_loads"
        " WHERE sha256 = %s ORDER BY loaded_at LIMIT 1", [digest]).fetchone()
    if earlier is not None and not force:
        loaded_at, earlier_rows, name, times = earlier
        again = f", and {times - 1} time(s) since" if times > 1 else ""
        raise EngagementError(
            f"{path}: this file (sha256 {digest[:12]}) was already loaded on "
            f"{loaded_at:%Y-%m-%d %H:%M:%S %Z} as {name} ({earlier_rows:,} interactions){again}; nothing was "
            "loaded. Loading it again would count every interaction twice: pass --force if that is meant")
    conn.execute("INSERT INTO carnivore_meta.engagement_loads (sha256, file_name, rows, forced)"
                 " VALUES (%s, %s, %s, %s)", [digest, path.name, rows, earlier is not None])
    return digest
