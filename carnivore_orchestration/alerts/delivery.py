"""Delivering one alert: claim, POST, record, decide.

Every attempt is one claim (committed before the HTTP call, with FOR UPDATE SKIP
LOCKED, so concurrent senders never take the same event), one POST with a timeout, and
one recorded attempt. Timeouts, connection errors, 429 and 5xx are retried with
exponential backoff and jitter (honouring Retry-After); other 4xx fail at once; an
endpoint that says it is gone for good (410, or Slack's 403/404/410: a revoked webhook,
an archived channel) is disabled and the event waits. Nothing here waits for a retry:
the event's `next_attempt_at` says when it is due again, and the outbox dispatches it
then.

The two formats differ only in the POST: a signed Standard Webhooks body with httpx, or
a Block Kit message with slack_sdk's webhook client (its own retries off: the outbox is
the one place that retries).
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import psycopg
from psycopg import sql
from slack_sdk.webhook import WebhookClient

from carnivore_orchestration.alerts.outbox import HEAD_OF_QUEUE, LEASE, readiness
from carnivore_orchestration.alerts.settings import DESTINATIONS, AlertSettings
from carnivore_orchestration.alerts.signing import signed_headers
from carnivore_orchestration.alerts.slack import message as slack_message


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


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Answer:
    """What one POST came back with: a status, or the transport error instead."""

    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None
    body: str = ""


def _post_standard(client: httpx.Client, url: str, event_id: str, payload: dict, settings: AlertSettings) -> Answer:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    headers = signed_headers(settings.secret, event_id, body)
    try:
        response = client.post(url, content=body.encode("utf-8"), headers=headers, timeout=settings.timeout)
    except httpx.TimeoutException:
        return Answer(error=f"no answer within {settings.timeout:g} s")
    except httpx.TransportError as exc:
        return Answer(error=f"{type(exc).__name__}: {exc}")
    return Answer(response.status_code, retry_after=_retry_after(response.headers.get("retry-after")),
                  body=response.reason_phrase)


def _post_slack(url: str, payload: dict, settings: AlertSettings) -> Answer:
    client = WebhookClient(url, timeout=settings.timeout, retry_handlers=[])
    try:
        response = client.send_dict(slack_message(payload, settings.ui_url))
    except TimeoutError:
        return Answer(error=f"no answer within {settings.timeout:g} s")
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return Answer(error=f"no answer within {settings.timeout:g} s")
        return Answer(error=f"{type(exc.reason).__name__}: {exc.reason}")
    except OSError as exc:  # a connection reset while reading the answer
        return Answer(error=f"{type(exc).__name__}: {exc}")
    headers = {name.lower(): value for name, value in (response.headers or {}).items()}
    return Answer(response.status_code, retry_after=_retry_after(headers.get("retry-after")),
                  body=(response.body or "").strip()[:200])


# A named event is claimed whether it is due or not (its delivery run holds it); without
# a name, the due head of each given destination's queue. Either way, an event another
# sender holds ('sending', its lease not over) is left alone, and so is one with an
# older event of its destination still to be sent (HEAD_OF_QUEUE).
_CLAIM = sql.SQL(
    "SELECT e.id, e.destination, e.payload, e.attempts FROM alert_events AS e"
    " WHERE (CASE WHEN %(id)s::text IS NULL"
    "             THEN e.next_attempt_at <= now() AND e.destination = ANY(%(destinations)s)"
    "             ELSE e.id = %(id)s END)"
    "   AND (e.status = 'pending' OR (e.status = 'sending' AND e.next_attempt_at <= now()))"
    "   AND {head}"
    " ORDER BY e.seq LIMIT %(limit)s FOR UPDATE SKIP LOCKED"
).format(head=HEAD_OF_QUEUE)


def claim(conn: psycopg.Connection, event_id: str | None = None, destinations: list[str] | None = None,
          limit: int = 50) -> list[tuple]:
    """Take one named event, or the due heads of `destinations`' queues, and commit the
    claim: 'sending', held for the lease."""
    with conn.transaction():
        rows = conn.execute(_CLAIM, {"id": event_id, "destinations": destinations or [], "limit": limit}).fetchall()
        if rows:
            conn.execute("UPDATE alert_events SET status = 'sending', claimed_at = now(),"
                         " next_attempt_at = now() + %s::interval WHERE id = ANY(%s)",
                         [LEASE, [row[0] for row in rows]])
    return rows


def attempt(conn: psycopg.Connection, event: tuple, settings: AlertSettings, client: httpx.Client) -> Outcome:
    """One delivery attempt of a claimed event; the event row says what comes next."""
    event_id, destination, payload, attempts = event
    # The same test the dispatcher applies; it can change in between (a 410 to another event).
    waiting = readiness(conn, settings).waiting.get(destination)
    if waiting is not None:
        _release(conn, event_id)
        return Outcome(event_id, "waiting", waiting)

    url, shown = settings.url_for(destination), settings.endpoint(destination)
    started = time.perf_counter()
    if DESTINATIONS[destination].format == "slack":
        answer = _post_slack(url, payload, settings)
    else:
        answer = _post_standard(client, url, event_id, payload, settings)
    duration_ms = round((time.perf_counter() - started) * 1000)
    status_code = answer.status_code
    delivered = status_code is not None and 200 <= status_code < 300
    conn.execute(
        "INSERT INTO alert_attempts (event_id, url, status_code, error, duration_ms) VALUES (%s, %s, %s, %s, %s)",
        [event_id, shown, status_code, None if delivered else answer.error or answer.body or None, duration_ms],
    )
    attempts += 1

    if delivered:
        conn.execute("UPDATE alert_events SET status = 'delivered', attempts = %s, delivered_at = now(),"
                     " claimed_at = NULL, last_error = NULL WHERE id = %s", [attempts, event_id])
        return Outcome(event_id, "delivered", f"HTTP {status_code}")
    detail = answer.error or f"HTTP {status_code}" + (f" {answer.body}" if answer.body else "")
    if status_code in DESTINATIONS[destination].gone:
        with conn.transaction():
            conn.execute("INSERT INTO alert_endpoints (url, reason) VALUES (%s, %s) ON CONFLICT (url) DO NOTHING",
                         [shown, f"{detail} for {event_id}"])
            conn.execute("UPDATE alert_events SET status = 'pending', attempts = %s, claimed_at = NULL,"
                         " next_attempt_at = now(), last_error = %s WHERE id = %s",
                         [attempts, f"{detail}: endpoint disabled", event_id])
        return Outcome(event_id, "waiting", f"{shown} answered {detail}: endpoint disabled")
    retryable = answer.error is not None or status_code == 429 or status_code >= 500
    if retryable and attempts < settings.max_attempts:
        delay = retry_delay(attempts, settings.base_delay, settings.max_delay, answer.retry_after)
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
    # Due at once: the dispatcher holds it back for as long as its destination cannot be sent to.
    conn.execute("UPDATE alert_events SET status = 'pending', claimed_at = NULL, next_attempt_at = now()"
                 " WHERE id = %s", [event_id])


def deliver_event(conn: psycopg.Connection, event_id: str, settings: AlertSettings) -> Outcome:
    """One attempt at one event, due or not (what a delivery run does); `skipped` if it is
    delivered, failed or held by another sender."""
    with httpx.Client() as client:
        return _deliver_named(conn, event_id, settings, client)


def _deliver_named(conn: psycopg.Connection, event_id: str, settings: AlertSettings,
                   client: httpx.Client) -> Outcome:
    claimed = claim(conn, event_id)
    if not claimed:
        status = conn.execute("SELECT status FROM alert_events WHERE id = %s", [event_id]).fetchone()
        if status and status[0] == "pending":
            return Outcome(event_id, "skipped", "an older event of its destination is still to be sent")
        return Outcome(event_id, "skipped", f"status {status[0]}" if status else "no such event")
    return attempt(conn, claimed[0], settings, client)


def deliver_queue(conn: psycopg.Connection, event_id: str, settings: AlertSettings,
                  limit: int = 1000) -> list[Outcome]:
    """What a delivery run does: one attempt at its event (the head of its destination's
    queue), and while the receiver takes them, the events behind it, one at a time and
    in order, up to `limit`. It stops at the first event not delivered, which now holds
    the queue until it is due again."""
    with httpx.Client() as client:
        outcomes = [_deliver_named(conn, event_id, settings, client)]
        if outcomes[0].status == "delivered":
            destination = conn.execute("SELECT destination FROM alert_events WHERE id = %s", [event_id]).fetchone()[0]
            while len(outcomes) < limit and (batch := claim(conn, destinations=[destination], limit=1)):
                outcomes.append(attempt(conn, batch[0], settings, client))
                if outcomes[-1].status != "delivered":
                    break
    return outcomes


def send_due(conn: psycopg.Connection, settings: AlertSettings, destinations: list[str]) -> list[Outcome]:
    """Every event of `destinations` that can go now, in this process (`carnivore alerts
    send`): the due head of each queue, then the next, in order, until a queue's head is
    not delivered; the same claim and attempt as a delivery run."""
    outcomes, destinations = [], list(destinations)
    with httpx.Client() as client:
        while destinations and (batch := claim(conn, destinations=destinations)):
            for event in batch:  # the head of each queue
                outcomes.append(attempt(conn, event, settings, client))
                if outcomes[-1].status == "waiting":
                    destinations.remove(event[1])  # its endpoint is disabled: the queue waits for it
    return outcomes
