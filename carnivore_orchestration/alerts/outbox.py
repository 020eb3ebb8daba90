"""The alert outbox: what is due, who may send it, and what operators do to it.

The outbox is the one scheduler of deliveries. An event's `next_attempt_at` says when it
is due; a delivery run dispatched for it, or a sender in the middle of an attempt, holds
it by pushing that time forward by a lease. Nothing else waits or retries: a delivery
that fails records when to try again, and a holder that dies lets its lease run out.

Each destination's events go out in the order they were created: only the oldest
unfinished one (pending, or held by a sender) may be sent, and the ones behind it wait
until it is delivered or has failed for good. A receiver that was down gets its backlog
in order once it is back, not in the order the backoff's jitter happens to pick.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from carnivore_orchestration.alerts.settings import DESTINATIONS, GONE, AlertSettings, shown_endpoint

# Longer than any one attempt (the HTTP timeout is seconds) and any wait of a queued run.
LEASE = "5 minutes"

# `e` is at the head of its destination's queue: nothing older is still to be sent.
HEAD_OF_QUEUE = sql.SQL(
    "NOT EXISTS (SELECT FROM alert_events AS older WHERE older.destination = e.destination"
    " AND older.seq < e.seq AND older.status IN ('pending', 'sending'))"
)


@dataclass(frozen=True)
class Readiness:
    """Which destinations can be delivered to now, and why the others cannot."""

    ready: list[str]
    waiting: dict[str, str]

    def describe_waiting(self, among: Iterable[str] | None = None) -> str:
        """Why the destinations `among` (default: all) wait."""
        among = set(self.waiting if among is None else among)
        return "; ".join(f"{destination}: {why}" for destination, why in sorted(self.waiting.items())
                         if destination in among)


@dataclass(frozen=True)
class Dispatch:
    """One due event handed to one delivery run."""

    event_id: str
    attempt: int
    held_until: datetime

    @property
    def run_key(self) -> str:
        # Per event and attempt; the hold's end tells apart a second dispatch of the same
        # attempt after a run died before it could make it.
        return f"{self.event_id}:attempt-{self.attempt}:{self.held_until.strftime('%Y%m%dT%H%M%S.%fZ')}"


@dataclass(frozen=True)
class AlertRow:
    event_id: str
    destination: str
    kind: str
    status: str
    attempts: int
    text: str
    last_error: str | None
    next_attempt_at: datetime


def readiness(conn: psycopg.Connection, settings: AlertSettings) -> Readiness:
    disabled = dict(conn.execute("SELECT url, reason FROM alert_endpoints").fetchall())
    ready, waiting = [], {}
    for destination in DESTINATIONS:
        url = settings.endpoint(destination)
        why = settings.missing(destination)
        if why is None and url in disabled:
            why = (f"{url} is disabled, it answered {disabled[url]}; `carnivore alerts enable URL` re-enables it")
        if why is None:
            ready.append(destination)
        else:
            waiting[destination] = why
    return Readiness(ready, waiting)


def dispatch_due(conn: psycopg.Connection, destinations: list[str], lease: str = LEASE,
                 limit: int = 100) -> list[Dispatch]:
    """Hold the head of each destination's queue, if it is due, for `lease` and return
    them: each becomes one delivery run, which goes on down its queue in order. An event
    held by a sender that died (its lease over) is due again."""
    rows = conn.execute(
        # A 'sending' event whose lease is over lost its sender: pending again, for the new run.
        sql.SQL("UPDATE alert_events AS e SET status = 'pending', claimed_at = NULL,"
                "    next_attempt_at = clock_timestamp() + %(lease)s::interval"
                " FROM (SELECT id FROM alert_events AS e"
                "       WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()"
                "         AND destination = ANY(%(destinations)s) AND {head}"
                "       ORDER BY seq LIMIT %(limit)s FOR UPDATE SKIP LOCKED) AS due"
                " WHERE e.id = due.id"
                " RETURNING e.id, e.attempts + 1, e.next_attempt_at, e.seq").format(head=HEAD_OF_QUEUE),
        {"lease": lease, "destinations": destinations, "limit": limit},
    ).fetchall()
    return [Dispatch(event_id, attempt, until) for event_id, attempt, until, _ in sorted(rows, key=lambda r: r[3])]


def pending_count(conn: psycopg.Connection, destinations: list[str]) -> dict[str, int]:
    """Pending events by destination, for those of `destinations` that have any."""
    return dict(conn.execute("SELECT destination, count(*) FROM alert_events"
                             " WHERE status = 'pending' AND destination = ANY(%s) GROUP BY destination",
                             [destinations]).fetchall())


@dataclass(frozen=True)
class RecordedFailure:
    event_id: str
    new: bool        # the first failure of its root run: one page
    updated: bool    # a retry's failure, folded into the page that has not gone out yet


def _keys(key: str, destinations: Sequence[str]) -> list[str]:
    """An event's dedupe key in each queue: unique across the outbox, and for the signed
    webhooks' queues the key they always had (as private.record_trend_spikes does;
    migration 0033 says why)."""
    return [key if destination in ("editors", "oncall") else f"{key}@{destination}" for destination in destinations]


def record_run_failure(conn: psycopg.Connection, payload: dict,
                       destinations: Sequence[str] = ("oncall",)) -> list[RecordedFailure]:
    """The on-call event for a failed run, one in each of on-call's queues: one per root
    run, so that Dagster's retries of a run never page again. While that page is still
    pending, a retry's failure replaces its body (the newest state goes out); once it
    has gone, the retry is only in the UI."""
    rows = conn.execute(
        "INSERT INTO alert_events (destination, kind, dedupe_key, payload)"
        " SELECT destination, 'run_failure', key, %s FROM unnest(%s::text[], %s::text[]) AS e (destination, key)"
        " ON CONFLICT (dedupe_key) DO UPDATE SET payload = CASE WHEN alert_events.status = 'pending'"
        "   THEN EXCLUDED.payload ELSE alert_events.payload END"
        " RETURNING id, xmax = 0, xmax <> 0 AND status = 'pending'",
        [Jsonb(payload), list(destinations), _keys(f"run:{payload['root_run_id']}", destinations)],
    ).fetchall()
    return [RecordedFailure(*row) for row in rows]


def queue_digest(conn: psycopg.Connection, week: date, payload: dict, destinations: Sequence[str]) -> list[str]:
    """The week's digest, once per week into each of the editors' queues, if `week` is
    the newest imported: a backfilled week's digest is for the UI, and pages nobody.
    The ids of the events this added (none when the week's digest went out before)."""
    rows = conn.execute(
        "INSERT INTO alert_events (destination, kind, dedupe_key, week, payload)"
        " SELECT destination, 'weekly_digest', key, %(week)s, %(payload)s"
        "   FROM unnest(%(destinations)s::text[], %(keys)s::text[]) AS e (destination, key)"
        "  WHERE %(week)s >= (SELECT max(week) FROM analyzed_content_weeks)"
        " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        {"week": week, "payload": Jsonb(payload), "destinations": list(destinations),
         "keys": _keys(f"digest:{week.isoformat()}", destinations)},
    ).fetchall()
    return [event_id for (event_id,) in rows]


def requeue(conn: psycopg.Connection, event_id: str | None = None, all_failed: bool = False) -> int:
    """Send again: pending, attempts from zero, due now, at the end of the queue."""
    return conn.execute(
        "UPDATE alert_events SET status = 'pending', attempts = 0, next_attempt_at = now(), claimed_at = NULL,"
        " seq = nextval(pg_get_serial_sequence('alert_events', 'seq'))"
        " WHERE CASE WHEN %(all)s THEN status = 'failed' ELSE id = %(id)s AND status IN ('failed', 'pending') END",
        {"id": event_id, "all": all_failed},
    ).rowcount


@dataclass(frozen=True)
class EndpointEnabled:
    was_disabled: bool
    released: int  # events that were stopped by this endpoint's 410 and are due now


def enable_endpoint(conn: psycopg.Connection, url: str) -> EndpointEnabled:
    """Re-enable an endpoint that said it is gone (410, or Slack's no_service). The events
    it stopped stayed pending and due; they were only held back because the endpoint was
    disabled, so they go out at the next dispatch. `url` as configured, or masked as shown."""
    with conn.transaction():
        row = conn.execute("DELETE FROM alert_endpoints WHERE url IN (%s, %s) RETURNING url",
                           [url, shown_endpoint(url, "slack")]).fetchone()
        # Pending, and stopped by this endpoint: its last attempt was there, and said "gone".
        released = conn.execute(
            "SELECT count(*) FROM alert_events AS e WHERE e.status = 'pending' AND EXISTS"
            " (SELECT FROM alert_attempts AS a WHERE a.event_id = e.id AND a.url = %s"
            "  AND a.status_code = ANY(%s)"
            "  AND a.id = (SELECT max(id) FROM alert_attempts WHERE event_id = e.id))", [row[0] if row else url, GONE]
        ).fetchone()[0]
    return EndpointEnabled(row is not None, released)


def list_events(conn: psycopg.Connection, status: str | None = None) -> list[AlertRow]:
    rows = conn.execute(
        "SELECT id, destination, kind, status, attempts, payload ->> 'text', last_error, next_attempt_at"
        " FROM alert_events WHERE %(status)s::text IS NULL OR status = %(status)s ORDER BY seq",
        {"status": status},
    ).fetchall()
    return [AlertRow(*row) for row in rows]
