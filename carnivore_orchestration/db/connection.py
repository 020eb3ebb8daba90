"""One way to reach the database, whichever server it is."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from carnivore_orchestration.db import embedded
from carnivore_orchestration.settings import configured_database_url


def database_url() -> str:
    """CARNIVORE_DATABASE_URL if set; otherwise the embedded server, started on demand."""
    return configured_database_url() or embedded.ensure_running().url()


def redact(conninfo: str) -> str:
    """The connection string (URL or key=value) with any password masked."""
    unparseable = "<unparseable connection string>"
    if "://" not in conninfo:
        try:
            params = conninfo_to_dict(conninfo)
        except psycopg.ProgrammingError:
            return unparseable
        if "password" not in params:
            return conninfo
        return make_conninfo(conninfo, password="***")  # noqa: S106 - the mask, not a password
    try:
        parts = urlsplit(conninfo)
        has_password = parts.password is not None or "password" in parse_qs(parts.query)
    except ValueError:
        return unparseable
    if not has_password:
        # Re-rendering percent-encodes query values (a socket path, say), and SQLAlchemy
        # costs most of a second to import: only parse properly when there is a password.
        return conninfo
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(conninfo)
    except ArgumentError:
        return unparseable
    if "password" in url.query:  # libpq also takes ?password=...
        url = url.update_query_dict({"password": "***"})
    return url.render_as_string(hide_password=True)


def with_driver(conninfo: str, driver: str) -> str:
    """The same connection (URL or key=value) as a SQLAlchemy URL with an explicit
    driver, e.g. `psycopg2` for dagster-postgres.

    SQLAlchemy 2.1 reads a bare `postgresql://` as psycopg 3, which dagster-postgres
    cannot use; naming the driver keeps each consumer on the one it was built for.
    """
    from sqlalchemy.engine import URL, make_url

    drivername = f"postgresql+{driver}"
    if "://" in conninfo:
        return make_url(conninfo).set(drivername=drivername).render_as_string(hide_password=False)
    params = conninfo_to_dict(conninfo)
    port = params.pop("port", None)
    url = URL.create(drivername, username=params.pop("user", None), password=params.pop("password", None),
                     database=params.pop("dbname", None), query=params)
    # A socket directory is a query parameter, not a host name: libpq reads it from ?host=.
    if port and "host" in params and params["host"].startswith("/"):
        url = url.update_query_dict({"port": port})
    elif port:
        url = url.set(host=url.query.get("host"), port=int(port)).difference_update_query(["host"])
    return url.render_as_string(hide_password=False)


def connect(url: str | None = None, **kwargs) -> psycopg.Connection:
    return psycopg.connect(url or database_url(), **kwargs)
