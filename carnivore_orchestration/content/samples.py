"""The bundled sample weeks in data/analyzed_content/, made deterministically.

    uv run python -m carnivore_orchestration.content.samples data/analyzed_content

The same seed always writes the same files (a test holds the repository to that). The
weeks have what the pipeline must cope with: Unicode, ampersands and punctuation in
names, topics that recur, one that jumps by more than 20 %, topics that vanish and new
ones that land, and both document shapes (week three is flat, the others nested).
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

FIRST_WEEK = date(2026, 10, 19)
WEEKS = 5
SEED = 20261019

CREATORS = [
    "Anthony Chaffee MD",
    "Steak and Butter Gal",
    "Dr. Ken Berry",
    "Carnivore Zoë",
    "The Meat Mafia",
    "Bart Kay & Friends",
    "Señora Asado",
    "Liver King's Apprentice",
]

# name -> (weeks it appears in, 1-based; score in its first week; weekly drift)
TOPICS = {
    "2026 Carnivore Blueprints & Fresh Starts": ([1, 2, 3, 4, 5], 92, -2),
    "Ça va? French Butter Debates": ([1, 2, 3, 4, 5], 71, 1),
    "Nose-to-Tail: Organ Meats for Beginners": ([1, 2, 3, 4], 66, 0),
    'Dr. Berry\'s "Proper Human Diet" Q&A': ([1, 2], 58, -5),
    "Electrolytes, Salt & the Keto Flu": ([1, 3, 5], 49, 3),
    "Lion Diet (Beef, Salt, Water)": ([2, 3, 4, 5], 44, 0),
    "Budget Carnivore: $5 a Day?": ([2, 3, 4, 5], 40, 14),  # the jump: +14 a week on ~40
    "Zürich Raw-Milk Rally": ([3], 55, 0),
    "Cholesterol & 'Lean Mass Hyper-Responders'": ([3, 4, 5], 62, 2),
    "Carnivore for Athletes 🏋️": ([4, 5], 57, 4),
    "Bone Broth vs. Collagen — Which One?": ([4, 5], 38, -1),
    "Fasting + Carnivore = OMAD?": ([5], 74, 0),
}

TAGS = ["beginners", "fat", "meal-prep", "science", "recipes", "health-metrics", "community-stories",
        "creator-interviews", "budget", "fasting", "athletes", "organ-meats"]

VIDEO_TITLES = [
    "If I Started Carnivore in 2026...",
    "What I Eat in a Day (Butter Edition) 🧈",
    "Organ Meats Taste Test: Liver, Heart & Kidney",
    "My Bloodwork After 1 Year — Doctor Reacts",
    "Carnivore on $5/Day: Grocery Haul",
    "Why Salt Matters: Electrolytes Explained",
    "Ribeye vs. Strip: The Great Debate",
    "Q&A: \"Is Fruit Ever OK?\"",
    "Lion Diet — 30 Day Results",
    "Steak & Eggs Breakfast, Every Day",
    "Cholesterol Myths, Part 2",
    "Bone Broth From Scratch",
    "Carnivore Marathon Training",
    "OMAD + Carnivore: My Routine",
]


def build_week(index: int, rng: random.Random) -> dict:
    """The document for week `index` (1-based)."""
    week = FIRST_WEEK + timedelta(weeks=index - 1)
    topics = []
    for name, (weeks, first_score, drift) in TOPICS.items():
        if index not in weeks:
            continue
        score = max(0, min(100, first_score + drift * (index - weeks[0]) + rng.randint(-2, 2)))
        mentioned_by = rng.sample(CREATORS, rng.randint(1, 4))
        topics.append({
            "topic": name,
            "description": f"{name}: what {mentioned_by[0]} and others said this week.",
            "mentioned_by": mentioned_by,
            "engagement_score": score,
            "tags": rng.sample(TAGS, 3),
        })
    videos = []
    for title in rng.sample(VIDEO_TITLES, 10):
        positive = rng.randint(45, 90)
        negative = rng.randint(0, 100 - positive)
        videos.append({
            "video_id": "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_")
                                for _ in range(11)),
            "title": title,
            "creator": rng.choice(CREATORS),
            "views": rng.randint(4_000, 250_000),
            "tags": rng.sample(TAGS, 3),
            "comment_sentiment": {
                "positive_percent": positive,
                "negative_percent": negative,
                "neutral_percent": 100 - positive - negative,
            },
        })
    sections = {
        "trending_topics": topics,
        "top_videos": videos,
        "community_sentiment": {
            "overall_tone": rng.choice(["positive", "positive", "mixed"]),
            "success_stories": [
                f"{rng.choice(CREATORS)}'s viewer: down {rng.randint(5, 40)} lb in {rng.randint(2, 12)} months"
            ],
        },
    }
    published = datetime.combine(week, time(10, rng.randint(0, 30)), tzinfo=UTC)
    analysis_date = published.isoformat().replace("+00:00", "Z")
    if index == 3:  # the flat shape of the blueprint's data-flow diagram
        return {"analysis_date": analysis_date, **sections}
    return {"analysis_date": analysis_date, "analysis": sections}


def render_all() -> dict[str, str]:
    rng = random.Random(SEED)  # noqa: S311 - reproducible sample data, not secrets
    files = {}
    for index in range(1, WEEKS + 1):
        week = FIRST_WEEK + timedelta(weeks=index - 1)
        files[f"{week.isoformat()}.json"] = json.dumps(build_week(index, rng), ensure_ascii=False, indent=2) + "\n"
    return files


def write_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in render_all().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "data/analyzed_content")):
        print(written)
