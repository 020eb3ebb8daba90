"""The Dagster resource through which assets reach PostgreSQL."""

from __future__ import annotations

import dagster as dg
import psycopg
from pydantic import Field

from carnivore_orchestration.db.connection import connect, database_url, redact


class PostgresResource(dg.ConfigurableResource):
    """A connection factory for the project's database.

    With no `url`, it resolves the database the way every entry point does:
    CARNIVORE_DATABASE_URL, or the embedded server started on demand, so a run worker
    started by the daemon finds the same database as the CLI.
    """

    url: str | None = Field(
        default=None,
        description="libpq URL of the database; unset means CARNIVORE_DATABASE_URL or the embedded server.",
    )

    def resolved_url(self) -> str:
        return self.url or database_url()

    def connect(self, **kwargs) -> psycopg.Connection:
        return connect(self.resolved_url(), **kwargs)

    def describe(self) -> str:
        """The URL with its password masked, for logs and metadata."""
        return redact(self.resolved_url())
