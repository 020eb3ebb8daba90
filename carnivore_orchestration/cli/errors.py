"""Expected failures become one clear line and exit status 1, not a traceback."""

from __future__ import annotations

import sys

import click


class RunFailed(RuntimeError):
    """A Dagster run failed; the message is the failing step's own explanation."""


class fail_cleanly:  # noqa: N801 - used as `with fail_cleanly():`, like a function
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            return False
        import psycopg

        from carnivore_orchestration.content.loading import ContentError
        from carnivore_orchestration.content.weeks import WeekOutOfRange
        from carnivore_orchestration.db.backup import BackupError
        from carnivore_orchestration.db.limits import LimitsError
        from carnivore_orchestration.db.migrations import MigrationError
        from carnivore_orchestration.engagement.loading import EngagementError

        if issubclass(exc_type, psycopg.errors.UndefinedTable):
            click.echo(f"Error: {exc}; the schema is missing: run `carnivore migrate` first", err=True)
            sys.exit(1)
        if issubclass(exc_type, (MigrationError, BackupError, psycopg.OperationalError, ContentError, EngagementError,
                                  RunFailed, LimitsError, WeekOutOfRange)):
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        return False
