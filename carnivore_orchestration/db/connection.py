"""One way to reach the database, whichever server it is."""

from __future__ import annotations

import psycopg
from sqlalchemy.engine import make_url

from carnivore_orchestration.db import embedded
from carnivore_orchestration.settings import configured_database_url


def database_url() -> str:
    """CARNIVORE_DATABASE_URL if set; otherwise the embedded server, started on demand."""
    return configured_database_url() or embedded.ensure_running().url()


def redact(url: str) -> str:
    """The URL with any password masked, safe for logs and terminals."""
    try:
        parsed = make_url(url)
    except Exception:
        # Not a URL (a key=value DSN, say): show nothing rather than risk a password.
        return "<unparseable connection string>"
    if "password" in parsed.query:  # libpq also takes ?password=...
        parsed = parsed.update_query_dict({"password": "***"})
    elif parsed.password is None:
        # Re-rendering percent-encodes query values (a socket path, say): only do it
        # when there is a password to hide.
        return url
    return parsed.render_as_string(hide_password=True)


def with_driver(url: str, driver: str) -> str:
    """The same URL for SQLAlchemy with an explicit driver, e.g. `psycopg2` for dagster-postgres.

    SQLAlchemy 2.1 reads a bare `postgresql://` as psycopg 3, which dagster-postgres
    cannot use; naming the driver keeps each consumer on the one it was built for.
    """
    return make_url(url).set(drivername=f"postgresql+{driver}").render_as_string(hide_password=False)


def connect(url: str | None = None, **kwargs) -> psycopg.Connection:
    return psycopg.connect(url or database_url(), **kwargs)
