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
    "oncall_url": "CARNIVORE_ONCALL_WEBHOOK_URL",
    "secret": "CARNIVORE_WEBHOOK_SECRET",
    "ui_url": "CARNIVORE_UI_URL",
    "timeout": "CARNIVORE_ALERT_TIMEOUT_SECONDS",
    "max_attempts": "CARNIVORE_ALERT_MAX_ATTEMPTS",
    "base_delay": "CARNIVORE_ALERT_RETRY_BASE_SECONDS",
}
DESTINATIONS = ("editors", "oncall")


@dataclass(frozen=True)
class AlertSettings:
    editors_url: str | None = None
    # Unset: on-call alerts go to the editors' endpoint.
    oncall_url: str | None = None
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
        if destination == "oncall":
            return self.oncall_url or self.editors_url
        return self.editors_url

    def missing(self, destination: str) -> str | None:
        """Why events for `destination` cannot go out whatever the receiver says, or None."""
        if not self.url_for(destination):
            return ("CARNIVORE_ONCALL_WEBHOOK_URL or CARNIVORE_WEBHOOK_URL is not set" if destination == "oncall"
                    else "CARNIVORE_WEBHOOK_URL is not set")
        if not self.secret:
            return "CARNIVORE_WEBHOOK_SECRET is not set"
        try:
            check_secret(self.secret)
        except SecretError as exc:
            return str(exc)
        return None

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_url.rstrip('/')}/runs/{run_id}"
