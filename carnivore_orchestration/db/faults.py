"""Which database errors are worth trying again.

A step that loses its connection, meets a server that is restarting or shutting down,
or is chosen as a deadlock's victim can succeed a few seconds later with nothing
changed, because every step writes in one transaction. Everything else (a constraint
violated, a missing table, a bug, bad input) fails the same way every time, so it is
not retried."""

from __future__ import annotations

import psycopg


def is_transient(exc: BaseException) -> bool:
    """psycopg's OperationalError covers SQLSTATE classes 08 (connection), 40
    (serialization failure, deadlock), 53 (too many connections, out of memory), 55P03
    (lock not available), 57 (admin shutdown, cannot connect now, query cancelled)
    and a connection that could not be made at all. Causes are followed, so an error
    re-raised by another layer is judged by its origin."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, psycopg.OperationalError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def retry_wait(retry_number: int, base_seconds: float) -> float:
    """Seconds before retry `retry_number + 1`: base, then doubled each time (2, 4, 8 s
    by default), long enough for a server restart, short enough to finish in the slot."""
    return base_seconds * 2**retry_number
