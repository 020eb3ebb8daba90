"""A large, deterministic week for benchmarks: thousands of topics and videos."""

from __future__ import annotations

import json
import random
from pathlib import Path

WORDS = ["Ribeye", "Butter", "Liver", "Salt", "Bone Broth", "Fasting", "Lion Diet", "Cholesterol", "Organ Meats",
         "Électrolytes", "Tallow", "Eggs", "Sardines", "Ketosis", "Zürich", "Señor Asado", "Gout & Uric Acid"]


def week_document(topics: int, videos: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    creators = [f"Creator {i:03d} ({rng.choice(WORDS)})" for i in range(250)]
    trending = [
        {
            "topic": f"{rng.choice(WORDS)} & {rng.choice(WORDS)}: Question {i}?",
            "description": "Synthetic benchmark topic.",
            "mentioned_by": rng.sample(creators, rng.randint(1, 5)),
            "engagement_score": rng.randint(0, 100),
            "tags": rng.sample(["beginners", "science", "recipes", "budget", "fasting"], 2),
        }
        for i in range(topics)
    ]
    top = []
    for i in range(videos):
        positive = rng.randint(30, 95)
        negative = rng.randint(0, 100 - positive)
        top.append({
            "video_id": f"v{i:06d}{rng.randrange(16**4):04x}",
            "title": f"{rng.choice(WORDS)} — episode {i}",
            "creator": rng.choice(creators),
            "views": int(rng.paretovariate(1.2) * 1000),
            "tags": rng.sample(["beginners", "science", "recipes", "budget", "fasting", "meal-prep"], 3),
            "comment_sentiment": {"positive_percent": positive, "negative_percent": negative,
                                  "neutral_percent": 100 - positive - negative},
        })
    return {"analysis_date": "2026-11-16T10:00:00Z",
            "analysis": {"trending_topics": trending, "top_videos": top,
                         "community_sentiment": {"overall_tone": "positive", "success_stories": []}}}


def write_week(path: Path, topics: int, videos: int) -> Path:
    path.write_text(json.dumps(week_document(topics, videos), ensure_ascii=False), encoding="utf-8")
    return path
