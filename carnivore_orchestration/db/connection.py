"""One way to reach the database, whichever server it is."""

from __future__ import annotations

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

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
        return make_conninfo(conninfo, password="***") if "password" in params else conninfo
    try:
        url = make_url(conninfo)
    except ArgumentError:
        return unparseable
    if "password" in url.query:  # libpq also takes ?password=...
        url = url.update_query_dict({"password": "***"})
    elif url.password is None:
        # Re-rendering percent-encodes query values (a socket path, say): only do it
        # when there is a password to hide.
        return conninfo
    return url.render_as_string(hide_password=True)


def with_driver(conninfo: str, driver: str) -> str:
    """The same connection (URL or key=value) as a SQLAlchemy URL with an explicit
    driver, e.g. `psycopg2` for dagster-postgres.

    SQLAlchemy 2.1 reads a bare `postgresql://` as psycopg 3, which dagster-postgres
    cannot use; naming the driver keeps each consumer on the one it was built for.
    """
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
