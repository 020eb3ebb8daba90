"""Where alerts go and how hard delivery tries: the values, and the environment
variables that set them.

Dagster code receives these through `AlertsResource` (configured from the same
variables); the command line reads them from its environment when a command runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from carnivore_orchestration.alerts.signing import SecretError, check_secret

# Field of AlertSettings -> the variable that sets it.
ENVIRONMENT = {
    "editors_url": "CARNIVORE_WEBHOOK_URL",
    "editors_slack_url": "CARNIVORE_SLACK_WEBHOOK_URL",
    "oncall_url": "CARNIVORE_ONCALL_WEBHOOK_URL",
    "oncall_slack_url": "CARNIVORE_ONCALL_SLACK_WEBHOOK_URL",
    "secret": "CARNIVORE_WEBHOOK_SECRET",
    "ui_url": "CARNIVORE_UI_URL",
    "timeout": "CARNIVORE_ALERT_TIMEOUT_SECONDS",
    "max_attempts": "CARNIVORE_ALERT_MAX_ATTEMPTS",
    "base_delay": "CARNIVORE_ALERT_RETRY_BASE_SECONDS",
}


@dataclass(frozen=True)
class Destination:
    """One queue of the outbox: who it is for, and the format its endpoint takes.
    Each endpoint has its own queue, so a dead Slack webhook never holds back the
    signed one, and the editors' queues never hold back on-call's."""

    name: str
    audience: str  # editors | oncall
    format: str    # standard (Standard Webhooks JSON, signed) | slack (an incoming webhook's Block Kit message)
    url_field: str

    @property
    def gone(self) -> tuple[int, ...]:
        """The answers that say the endpoint will never take a message again: it is
        disabled, and its events wait. Slack says so with invalid_token (403),
        no_service (404) and channel_is_archived (410)."""
        return (403, 404, 410) if self.format == "slack" else (410,)


DESTINATIONS = {d.name: d for d in (
    Destination("editors", "editors", "standard", "editors_url"),
    Destination("editors_slack", "editors", "slack", "editors_slack_url"),
    Destination("oncall", "oncall", "standard", "oncall_url"),
    Destination("oncall_slack", "oncall", "slack", "oncall_slack_url"),
)}
GONE = sorted({code for destination in DESTINATIONS.values() for code in destination.gone})


@dataclass(frozen=True)
class AlertSettings:
    editors_url: str | None = None
    editors_slack_url: str | None = None
    # With neither on-call endpoint set, on-call alerts go to the editors' endpoints.
    oncall_url: str | None = None
    oncall_slack_url: str | None = None
    secret: str | None = None
    ui_url: str = "http://127.0.0.1:3000"
    timeout: float = 10.0
    # 16 attempts, 2 s doubling to a 10-minute cap, each delay jittered to 50-100 %: the
    # last attempt comes 38 to 77 minutes after the first, so an endpoint down for half
    # an hour loses nothing (tests/test_faults.py); 6 gave up after a minute.
    max_attempts: int = 16
    base_delay: float = 2.0
    max_delay: float = 600.0

    @classmethod
    def field_type(cls, name: str) -> type:
        """float, int or str: how a variable's text becomes the field's value."""
        annotation = next(f.type for f in fields(cls) if f.name == name)
        return {"float": float, "int": int}.get(annotation, str)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> AlertSettings:
        values = {}
        for name, variable in ENVIRONMENT.items():
            text = (environ.get(variable) or "").strip()
            if text:
                values[name] = cls.field_type(name)(text)
        return cls(**values)

    def url_for(self, destination: str) -> str | None:
        spec = DESTINATIONS[destination]
        if spec.audience == "oncall" and not (self.oncall_url or self.oncall_slack_url):
            spec = DESTINATIONS[destination.replace("oncall", "editors")]
        return getattr(self, spec.url_field)

    def destinations_for(self, audience: str) -> list[str]:
        """The queues an alert for `audience` goes into: one per configured endpoint, or
        the audience's own (signed webhook) queue when none is, where it waits until one is."""
        configured = [d.name for d in DESTINATIONS.values() if d.audience == audience and self.url_for(d.name)]
        return configured or [audience]

    def missing(self, destination: str) -> str | None:
        """Why events for `destination` cannot go out whatever the receiver says, or None."""
        spec = DESTINATIONS[destination]
        if not self.url_for(destination):
            own = ENVIRONMENT[spec.url_field]
            fallback = ENVIRONMENT[spec.url_field.replace("oncall", "editors")]
            return f"{own} is not set" if own == fallback else f"{own} or {fallback} is not set"
        if spec.format == "slack":
            return None  # a Slack webhook's URL is its credential
        if not self.secret:
            return "CARNIVORE_WEBHOOK_SECRET is not set"
        try:
            check_secret(self.secret)
        except SecretError as exc:
            return str(exc)
        return None

    def endpoint(self, destination: str) -> str | None:
        """The destination's URL as it is recorded and shown: a Slack webhook's last path
        segment is its secret, and is masked."""
        url = self.url_for(destination)
        return shown_endpoint(url, DESTINATIONS[destination].format) if url else None

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_url.rstrip('/')}/runs/{run_id}"


def shown_endpoint(url: str, format: str) -> str:
    if format != "slack":
        return url
    head, _, secret = url.rstrip("/").rpartition("/")
    return f"{head}/{secret[:4]}…" if secret else url
