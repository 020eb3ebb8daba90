"""Every version of every week's file, as imported: which there are, and their bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import psycopg

from carnivore_orchestration.content.loading import ContentError


@dataclass(frozen=True)
class ArchivedFile:
    week: date
    sha256: str
    source_file: str
    imported_at: datetime
    current: bool  # the version the week holds now


def versions(conn: psycopg.Connection, week: date) -> list[ArchivedFile]:
    """The week's versions, oldest first."""
    rows = conn.execute(
        "SELECT v.week, v.sha256, v.source_file, v.imported_at, v.sha256 = w.sha256"
        " FROM analyzed_content_versions AS v JOIN analyzed_content_weeks AS w USING (week)"
        " WHERE v.week = %s ORDER BY v.imported_at, v.sha256", [week]).fetchall()
    return [ArchivedFile(*row) for row in rows]


def find(conn: psycopg.Connection, week: date, sha256_prefix: str | None = None) -> ArchivedFile:
    """The version of `week` whose SHA-256 starts with the prefix, or the current one."""
    known = versions(conn, week)
    if not known:
        raise ContentError(f"the week of {week.isoformat()} was never imported: nothing in the archive to replay")
    if sha256_prefix is None:
        return next(version for version in known if version.current)
    prefix = sha256_prefix.lower()
    matching = [version for version in known if version.sha256.startswith(prefix)]
    if len(matching) == 1:
        return matching[0]
    listed = "; ".join(f"{v.sha256[:12]} ({v.source_file}, {v.imported_at:%Y-%m-%d %H:%M}"
                       f"{', current' if v.current else ''})" for v in known)
    problem = "matches no version" if not matching else f"matches {len(matching)} versions"
    raise ContentError(f"--sha256 {sha256_prefix} {problem} of the week of {week.isoformat()}: {listed}")


def read(conn: psycopg.Connection, week: date, sha256: str) -> tuple[bytes, str]:
    """The version's bytes, exactly as imported, and the name of the file it came from."""
    row = conn.execute(
        "SELECT raw_content, source_file FROM analyzed_content_versions WHERE week = %s AND sha256 = %s",
        [week, sha256]).fetchone()
    if row is None:
        raise ContentError(f"the archive holds no version {sha256} of the week of {week.isoformat()}")
    return row[0].encode("utf-8"), row[1]
