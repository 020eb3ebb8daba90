"""Delivering the outbox: claim, POST, record, decide.

Every attempt is one claim (committed before the HTTP call, with FOR UPDATE SKIP
LOCKED, so concurrent senders never take the same event), one POST with a 10 s timeout,
and one recorded attempt. Timeouts, connection errors, 429 and 5xx are retried with
exponential backoff and jitter (honouring Retry-After); other 4xx fail at once; 410
disables the endpoint and the event waits. The outbox is the schedule: who runs the
attempt (the Dagster job, the CLI) does not change what happens.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx
import psycopg
from psycopg.types.json import Jsonb

from carnivore_orchestration.alerts.signing import SecretError, signed_headers

# A claim older than this is taken to belong to a sender that died mid-attempt.
CLAIM_LEASE = "5 minutes"


@dataclass(frozen=True)
class AlertSettings:
    editors_url: str | None
    oncall_url: str | None
    secret: str | None
    ui_url: str = "http://127.0.0.1:3000"
    timeout: float = 10.0
    max_attempts: int = 6
    base_delay: float = 2.0
    max_delay: float = 600.0

    @classmethod
    def from_env(cls) -> "AlertSettings":
        env = os.environ
        return cls(
            editors_url=env.get("CARNIVORE_WEBHOOK_URL") or None,
            oncall_url=env.get("CARNIVORE_ONCALL_WEBHOOK_URL") or env.get("CARNIVORE_WEBHOOK_URL") or None,
            secret=env.get("CARNIVORE_WEBHOOK_SECRET") or None,
            ui_url=env.get("CARNIVORE_UI_URL", "http://127.0.0.1:3000").rstrip("/"),
            timeout=float(env.get("CARNIVORE_ALERT_TIMEOUT_SECONDS", "10")),
            max_attempts=int(env.get("CARNIVORE_ALERT_MAX_ATTEMPTS", "6")),
            base_delay=float(env.get("CARNIVORE_ALERT_RETRY_BASE_SECONDS", "2")),
        )

    def url_for(self, destination: str) -> str | None:
        return self.oncall_url if destination == "oncall" else self.editors_url

    def missing(self, destination: str) -> str | None:
        """Why events for `destination` cannot go out now, or None."""
        if not self.url_for(destination):
            return "CARNIVORE_ONCALL_WEBHOOK_URL or CARNIVORE_WEBHOOK_URL is not set" if destination == "oncall" \
                else "CARNIVORE_WEBHOOK_URL is not set"
        if not self.secret:
            return "CARNIVORE_WEBHOOK_SECRET is not set"
        return None


@dataclass(frozen=True)
class Outcome:
    event_id: str
    status: str  # delivered | retry | failed | waiting | skipped
    detail: str = ""
    retry_in: float | None = None


def retry_delay(attempt: int, base: float, cap: float, retry_after: float | None = None,
                rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: base x 2^(attempt-1), capped, then a random
    factor between 0.5 and 1 so that many failed events do not retry in lockstep. A
    Retry-After from the receiver is a floor."""
    delay = min(cap, base * 2 ** (attempt - 1)) * (0.5 + (rng or random).random() / 2)
    return min(cap, max(delay, retry_after or 0.0))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


_CLAIM = (
    "SELECT e.id, e.destination, e.payload, e.attempts FROM alert_events AS e"
    " WHERE (CASE WHEN %(id)s::text IS NULL THEN e.next_attempt_at <= now() ELSE e.id = %(id)s END)"
    "   AND (e.status = 'pending' OR (e.status = 'sending' AND e.claimed_at < now() - %(lease)s::interval))"
    " ORDER BY e.seq LIMIT %(limit)s FOR UPDATE SKIP LOCKED"
)


def claim(conn: psycopg.Connection, event_id: str | None = None, limit: int = 50) -> list[tuple]:
    """Take due events (or one named event, due or not) and commit the claim."""
    with conn.transaction():
        rows = conn.execute(_CLAIM, {"id": event_id, "lease": CLAIM_LEASE, "limit": limit}).fetchall()
        if rows:
            conn.execute("UPDATE alert_events SET status = 'sending', claimed_at = now() WHERE id = ANY(%s)",
                         [[row[0] for row in rows]])
    return rows


def attempt(conn: psycopg.Connection, event: tuple, settings: AlertSettings, client: httpx.Client) -> Outcome:
    """One delivery attempt of a claimed event; the event row says what comes next."""
    event_id, destination, payload, attempts = event
    reason = settings.missing(destination)
    url = settings.url_for(destination)
    if reason is None and conn.execute("SELECT 1 FROM alert_endpoints WHERE url = %s", [url]).fetchone():
        reason = f"the endpoint {url} is disabled (it answered 410 Gone); `carnivore alerts enable` re-enables it"
    if reason is not None:
        _release(conn, event_id)
        return Outcome(event_id, "waiting", reason)

    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        headers = signed_headers(settings.secret, event_id, body)
    except SecretError as exc:
        _release(conn, event_id)
        return Outcome(event_id, "waiting", str(exc))
    started = time.perf_counter()
    status_code, error, response = None, None, None
    try:
        response = client.post(url, content=body.encode("utf-8"), headers=headers, timeout=settings.timeout)
        status_code = response.status_code
    except httpx.TimeoutException:
        error = f"no answer within {settings.timeout:g} s"
    except httpx.TransportError as exc:
        error = f"{type(exc).__name__}: {exc}"
    duration_ms = round((time.perf_counter() - started) * 1000)
    conn.execute(
        "INSERT INTO alert_attempts (event_id, url, status_code, error, duration_ms) VALUES (%s, %s, %s, %s, %s)",
        [event_id, url, status_code, error, duration_ms],
    )
    attempts += 1

    if status_code is not None and 200 <= status_code < 300:
        conn.execute("UPDATE alert_events SET status = 'delivered', attempts = %s, delivered_at = now(),"
                     " claimed_at = NULL, last_error = NULL WHERE id = %s", [attempts, event_id])
        return Outcome(event_id, "delivered", f"HTTP {status_code}")
    if status_code == 410:
        with conn.transaction():
            conn.execute("INSERT INTO alert_endpoints (url, reason) VALUES (%s, %s) ON CONFLICT (url) DO NOTHING",
                         [url, f"410 Gone for {event_id}"])
            conn.execute("UPDATE alert_events SET status = 'pending', attempts = %s, claimed_at = NULL,"
                         " last_error = %s WHERE id = %s", [attempts, "HTTP 410: endpoint disabled", event_id])
        return Outcome(event_id, "waiting", f"{url} answered 410 Gone: endpoint disabled")
    detail = error or f"HTTP {status_code}"
    retryable = error is not None or status_code == 429 or status_code >= 500
    if retryable and attempts < settings.max_attempts:
        delay = retry_delay(attempts, settings.base_delay, settings.max_delay,
                            _retry_after(response) if response is not None else None)
        conn.execute("UPDATE alert_events SET status = 'pending', attempts = %s, claimed_at = NULL, last_error = %s,"
                     " next_attempt_at = now() + make_interval(secs => %s) WHERE id = %s",
                     [attempts, detail, delay, event_id])
        return Outcome(event_id, "retry", detail, delay)
    if retryable:
        detail = f"{detail} (gave up after {attempts} attempts)"
    conn.execute("UPDATE alert_events SET status = 'failed', attempts = %s, claimed_at = NULL, last_error = %s"
                 " WHERE id = %s", [attempts, detail, event_id])
    return Outcome(event_id, "failed", detail)


def _release(conn: psycopg.Connection, event_id: str) -> None:
    conn.execute("UPDATE alert_events SET status = 'pending', claimed_at = NULL WHERE id = %s", [event_id])


def deliver_event(conn: psycopg.Connection, event_id: str, settings: AlertSettings) -> Outcome:
    """One attempt at one event, whether due or not (the Dagster job schedules its own
    retries); `skipped` if it is delivered, failed or being sent by someone else."""
    claimed = claim(conn, event_id)
    if not claimed:
        status = conn.execute("SELECT status FROM alert_events WHERE id = %s", [event_id]).fetchone()
        return Outcome(event_id, "skipped", f"status {status[0]}" if status else "no such event")
    with httpx.Client() as client:
        return attempt(conn, claimed[0], settings, client)


def send_pending(conn: psycopg.Connection, settings: AlertSettings) -> list[Outcome]:
    """One attempt at every event that is due now (what `carnivore alerts send` runs)."""
    outcomes = []
    with httpx.Client() as client:
        while batch := claim(conn):
            outcomes += [attempt(conn, event, settings, client) for event in batch]
            if all(o.status == "waiting" for o in outcomes[-len(batch):]):
                break  # nothing can go out until the configuration changes
    return outcomes


def requeue(conn: psycopg.Connection, event_id: str | None = None, all_failed: bool = False) -> int:
    """Send again: back to pending, attempts reset, a new generation (so the sensor's run
    key is fresh) and a new place at the end of the queue."""
    return conn.execute(
        "UPDATE alert_events SET status = 'pending', attempts = 0, generation = generation + 1,"
        " seq = nextval(pg_get_serial_sequence('alert_events', 'seq')), next_attempt_at = now(), claimed_at = NULL"
        " WHERE CASE WHEN %(all)s THEN status = 'failed' ELSE id = %(id)s AND status IN ('failed', 'pending') END",
        {"id": event_id, "all": all_failed},
    ).rowcount


def record_run_failure(conn: psycopg.Connection, payload: dict) -> str:
    """The on-call event for a failed run (once per run id); returns its id."""
    row = conn.execute(
        "INSERT INTO alert_events (destination, kind, dedupe_key, payload) VALUES ('oncall', 'run_failure', %s, %s)"
        " ON CONFLICT (dedupe_key) DO UPDATE SET dedupe_key = EXCLUDED.dedupe_key RETURNING id",
        [f"run:{payload['run_id']}", Jsonb(payload)],
    ).fetchone()
    return row[0]
