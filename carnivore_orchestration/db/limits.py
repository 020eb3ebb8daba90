"""How long a migration may wait for a lock, how often it tries again, and how long
one statement may run.

A DDL statement that waits for a lock makes every writer that comes after it wait
too: the queue forms behind the waiting ACCESS EXCLUSIVE request, not behind the
transaction that holds the table. A short `lock_timeout` bounds that queue to a couple
of seconds; the runner then steps aside, lets the writers through, and tries again a
little later. Defaults suit a busy Supabase database; all three can be set for one run
through the environment.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import psycopg

LOCK_TIMEOUT_ENV = "CARNIVORE_MIGRATION_LOCK_TIMEOUT"
LOCK_RETRIES_ENV = "CARNIVORE_MIGRATION_LOCK_RETRIES"
STATEMENT_TIMEOUT_ENV = "CARNIVORE_MIGRATION_STATEMENT_TIMEOUT"

T = TypeVar("T")


class LimitsError(ValueError):
    """A limit in the environment that is not a valid value."""


@dataclass(frozen=True)
class MigrationLimits:
    lock_timeout: str = "2s"
    lock_retries: int = 5
    statement_timeout: str = "30min"
    retry_wait_seconds: float = 1.0  # before the first retry; doubles each time

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> MigrationLimits:
        environ = os.environ if environ is None else environ
        default = cls()
        retries = environ.get(LOCK_RETRIES_ENV, "").strip()
        if retries and not retries.isdigit():
            raise LimitsError(f"{LOCK_RETRIES_ENV}={retries!r}: give a whole number of retries")
        return cls(
            lock_timeout=environ.get(LOCK_TIMEOUT_ENV, "").strip() or default.lock_timeout,
            lock_retries=int(retries) if retries else default.lock_retries,
            statement_timeout=environ.get(STATEMENT_TIMEOUT_ENV, "").strip() or default.statement_timeout,
        )

    def set_local(self, conn: psycopg.Connection) -> None:
        """For the current transaction only."""
        self._set(conn, self.lock_timeout, local=True)

    def set_concurrent(self, conn: psycopg.Connection) -> None:
        """For the session's statements outside a transaction (undo with
        `reset_session`): the statement timeout only. What runs there (a concurrent
        build, VACUUM) takes no lock that blocks writers, so its waits for older
        transactions are not bounded by the lock timeout: a long report elsewhere delays
        it, it does not fail it."""
        self._set(conn, "0", local=False)

    def _set(self, conn: psycopg.Connection, lock_timeout: str, local: bool) -> None:
        # set_config takes parameters, and rejects a malformed duration with a clear error.
        conn.execute(
            "SELECT set_config('lock_timeout', %s, %s), set_config('statement_timeout', %s, %s)",
            [lock_timeout, local, self.statement_timeout, local],
        )

    @staticmethod
    def reset_session(conn: psycopg.Connection) -> None:
        conn.execute("RESET lock_timeout; RESET statement_timeout")


def _sleep(seconds: float) -> None:  # a seam for the tests, which count the waits
    time.sleep(seconds)


def with_lock_retries(attempt: Callable[[], T], limits: MigrationLimits) -> T:
    """`attempt()`, tried again when it gave up waiting for a lock or was chosen as a
    deadlock's victim; any other error, or the last lock timeout, is raised."""
    for retry in range(limits.lock_retries + 1):
        try:
            return attempt()
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
            if retry == limits.lock_retries:
                raise
            _sleep(limits.retry_wait_seconds * 2**retry)
    raise AssertionError("unreachable")
