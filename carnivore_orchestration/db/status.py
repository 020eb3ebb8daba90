"""What `carnivore db status` reports: which server, which version, which migrations."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from carnivore_orchestration.db import migrations


@dataclass(frozen=True)
class DatabaseStatus:
    server_version: str
    migrations: migrations.MigrationStatus


def database_status(conn: psycopg.Connection) -> DatabaseStatus:
    return DatabaseStatus(conn.execute("SHOW server_version").fetchone()[0], migrations.status(conn))
