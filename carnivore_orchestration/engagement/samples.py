"""A deterministic week of reader interactions for the demo, over the current grid."""

from __future__ import annotations

import csv
import io
import random
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import psycopg

from carnivore_orchestration.engagement.loading import FIELDS, load_engagement


def sample_week(items: list[tuple[str, int]], now: datetime, seed: int = 7) -> str:
    """CSV of interactions with `items` ((content_type, content_id) pairs, best first)
    spread over the week before `now`, recent hours busier. A few items lower in the grid
    get a burst in the last day, so the re-rank has something to lift."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sample data, not secrets
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    bursting = set(rng.sample(items[5:], min(3, len(items[5:]))))
    for rank, item in enumerate(items):
        events = max(5, int(120 / (rank + 1))) + (200 if item in bursting else 0)
        for _ in range(events):
            hours_ago = rng.random() * (20 if item in bursting and rng.random() < 0.8 else 7 * 24)
            kind = rng.choices(["view", "click", "share", "bookmark", "comment", "reaction"], [60, 15, 8, 8, 6, 3])[0]
            sentiment, score = "", ""
            if kind in ("comment", "reaction"):
                sentiment = rng.choices(["positive", "neutral", "negative"], [6, 3, 1])[0]
                score = {"positive": "0.8", "neutral": "0.0", "negative": "-0.6"}[sentiment]
            created = (now - timedelta(hours=hours_ago)).isoformat(timespec="seconds")
            writer.writerow([item[0], item[1], kind, sentiment, score, "", created, '{"source": "demo"}'])
    return out.getvalue()


def load_sample_week(conn: psycopg.Connection, progress=None) -> int:
    """A generated week of interactions over the current grid, loaded through the same
    COPY path as `carnivore engagement load`; returns how many. `conn` in autocommit."""
    now = conn.execute("SELECT now()").fetchone()[0]
    items = conn.execute("SELECT content_type, content_id FROM bento_grid_items ORDER BY grid_position").fetchall()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample_week.csv"
        path.write_text(sample_week([tuple(item) for item in items], now))
        return load_engagement(conn, path, progress=progress).rows
