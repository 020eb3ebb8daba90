"""The Dagster resources: how assets, ops and sensors reach the database, the weekly
files and the alert endpoints. Everything configurable is a field here, so the values
show on the UI's resource page and tests pass their own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import psycopg
from pydantic import Field

from carnivore_orchestration.alerts.settings import ENVIRONMENT as ALERT_ENVIRONMENT
from carnivore_orchestration.alerts.settings import AlertSettings
from carnivore_orchestration.content.loading import Limits
from carnivore_orchestration.db.connection import connect, database_url, redact
from carnivore_orchestration.db.faults import is_transient, retry_wait
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR


class PostgresResource(dg.ConfigurableResource):
    """A connection factory for the project's database.

    With no `url`, the embedded server (started on demand), so that a run worker
    started by the daemon finds the same database as the CLI.
    """

    url: str | None = Field(default=None, description="libpq URL of the database; unset: the embedded server.")
    transient_retries: int = Field(default=3, ge=0, description="Times a step retries a transient database error.")
    retry_delay: float = Field(default=2.0, ge=0,
                               description="Seconds before a step's first retry (doubled for each next one).")

    def resolved_url(self) -> str:
        return self.url or database_url()

    def connect(self, **kwargs) -> psycopg.Connection:
        return connect(self.resolved_url(), **kwargs)

    @contextmanager
    def step_connection(self, retry_number: int, **kwargs) -> Iterator[psycopg.Connection]:
        """A connection for one step. A transient error inside the block (see
        db/faults.py) becomes a retry of the step, after a wait; any other error fails
        the step as it is, and the run is not retried either (dagster.yaml)."""
        try:
            with self.connect(**kwargs) as conn:
                yield conn
        except Exception as exc:
            if not is_transient(exc):
                raise
            raise dg.RetryRequested(max_retries=self.transient_retries,
                                    seconds_to_wait=retry_wait(retry_number, self.retry_delay)) from exc

    def describe(self) -> str:
        """The URL with its password masked, for logs and metadata."""
        return redact(self.resolved_url())


class ContentSource(dg.ConfigurableResource):
    """Where the analysis publishes its weekly files, `YYYY-MM-DD.json` after each week's Monday."""

    directory: str = Field(default=str(BUNDLED_CONTENT_DIR), description="Folder of the weekly files.")
    max_megabytes: float = Field(default=Limits.max_megabytes,
                                 description="A larger file is refused before it is read (memory stays bounded).")

    def path_for(self, week: date) -> Path:
        return Path(self.directory).expanduser() / f"{week.isoformat()}.json"

    def limits(self) -> Limits:
        return Limits(max_megabytes=self.max_megabytes)


class AlertsResource(dg.ConfigurableResource):
    """Where trend spikes (editors) and failed runs (on-call) are delivered, and how: each
    audience may have a signed webhook and a Slack webhook, each with its own queue."""

    editors_url: str | None = Field(default=None, description="Signed webhook (Standard Webhooks) for editors.")
    editors_slack_url: str | None = Field(default=None, description="Slack incoming webhook for editors.")
    oncall_url: str | None = Field(default=None, description="Signed webhook for failed runs; with neither on-call"
                                                             " endpoint set, on-call alerts go to the editors'.")
    oncall_slack_url: str | None = Field(default=None, description="Slack incoming webhook for failed runs.")
    secret: str | None = Field(default=None, description="Standard Webhooks signing secret, whsec_<base64>.")
    ui_url: str = Field(default=AlertSettings.ui_url, description="The Dagster UI, for links in alerts.")
    timeout: float = Field(default=AlertSettings.timeout, description="Seconds to wait for a receiver.")
    max_attempts: int = Field(default=AlertSettings.max_attempts, description="Attempts before an alert fails.")
    base_delay: float = Field(default=AlertSettings.base_delay,
                              description="First retry delay in seconds (doubles each attempt, jittered).")

    def settings(self) -> AlertSettings:
        return AlertSettings(**{name: getattr(self, name) for name in ALERT_ENVIRONMENT})


def _from_env(name: str, default=None, cast: type = str):
    """`dg.EnvVar(name)` when the variable is set, so the UI shows where the value comes
    from; the default otherwise (Dagster's EnvVar has no default of its own, and an unset
    one fails the run: dagster-io/dagster#16232). Numbers that are not integers cannot be
    an EnvVar, so they are read here, when the definitions load."""
    if not os.environ.get(name, "").strip():
        return default
    if cast is float:
        return float(dg.EnvVar(name).get_value())
    return dg.EnvVar.int(name) if cast is int else dg.EnvVar(name)


def resources_from_environment() -> dict[str, dg.ConfigurableResource]:
    alerts = {name: _from_env(variable, getattr(AlertSettings, name), AlertSettings.field_type(name))
              for name, variable in ALERT_ENVIRONMENT.items()}
    return {
        "postgres": PostgresResource(url=_from_env("CARNIVORE_DATABASE_URL"),
                                     transient_retries=_from_env("CARNIVORE_DB_RETRIES", 3, int),
                                     retry_delay=_from_env("CARNIVORE_DB_RETRY_SECONDS", 2.0, float)),
        "content": ContentSource(directory=_from_env("CARNIVORE_CONTENT_DIR", str(BUNDLED_CONTENT_DIR)),
                                 max_megabytes=_from_env("CARNIVORE_CONTENT_MAX_MB", Limits.max_megabytes, float)),
        "alerts": AlertsResource(**alerts),
    }
