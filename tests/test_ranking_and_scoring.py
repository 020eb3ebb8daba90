"""Slugs, video scores and grid ranking: pure functions, no Dagster, no database."""

import random

import pytest

from carnivore_orchestration.content.samples import TOPICS, render_all
from carnivore_orchestration.content.scoring import video_score
from carnivore_orchestration.content.slugs import topic_slug
from carnivore_orchestration.homepage.ranking import Candidate, rank, slot
from carnivore_orchestration.settings import content_dir


@pytest.mark.parametrize(
    "name, slug",
    [
        ("Ça va? French Butter Debates", "ca-va-french-butter-debates"),
        ("2026 Carnivore Blueprints & Fresh Starts", "2026-carnivore-blueprints-fresh-starts"),
        ("Dr. Berry's \"Proper Human Diet\" Q&A", "dr-berrys-proper-human-diet-q-a"),
        ("Zürich Straße: Raw-Milk Rally", "zurich-strasse-raw-milk-rally"),
        ("  Lion   Diet  ", "lion-diet"),
        ("Carnivore for Athletes 🏋️", "carnivore-for-athletes"),
    ],
)
def test_slugs_are_url_safe_ascii(name, slug):
    assert topic_slug(name) == slug


def test_a_name_with_nothing_to_transliterate_still_gets_a_stable_slug():
    assert topic_slug("🥩🔥") == topic_slug("🥩🔥")
    assert topic_slug("🥩🔥").startswith("topic-") and topic_slug("🥩🔥") != topic_slug("🧈")


def test_every_slug_satisfies_the_database_rule():
    import re

    for name in TOPICS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", topic_slug(name)), name


def test_video_scores():
    assert video_score(100_000, 100_000, 100, 0) == 100.0
    assert video_score(100_000, 100_000, 0, 100) == 50.0  # watched but disliked keeps half its reach
    assert video_score(25_000, 100_000, None, None) == 37.5  # half the reach, neutral reception
    assert video_score(0, 100_000, 90, 0) == 0.0
    assert video_score(0, 0, None, None) == 0.0
    # More views never lower the score, all else equal.
    scores = [video_score(v, 250_000, 70, 10) for v in range(0, 250_001, 5_000)]
    assert scores == sorted(scores) and all(0 <= s <= 100 for s in scores)


def _candidates():
    return [
        Candidate("top_video", 7, "Ribeye vs. Strip", 80.0),
        Candidate("trending_topic", 3, "lion diet", 80.0),
        Candidate("trending_topic", 2, "Budget Carnivore", 80.0),
        Candidate("trending_topic", 9, "Budget carnivore", 80.0),
        Candidate("top_video", 1, "OMAD", 95.5),
        Candidate("trending_topic", 5, "Organ Meats", 12.0),
    ]


def test_ranking_is_contiguous_and_breaks_ties_deterministically():
    placed = rank(_candidates())
    assert [p.position for p in placed] == [1, 2, 3, 4, 5, 6]
    assert [(p.candidate.content_type, p.candidate.content_id) for p in placed] == [
        ("top_video", 1),       # best score
        ("trending_topic", 2),  # ties at 80: topics first, then title, then id
        ("trending_topic", 9),
        ("trending_topic", 3),
        ("top_video", 7),
        ("trending_topic", 5),
    ]
    assert [p.slot for p in placed] == ["hero", "featured", "featured", "featured", "featured", "standard"]


def test_ranking_does_not_depend_on_input_order():
    candidates = _candidates()
    expected = rank(candidates)
    for seed in range(5):
        random.Random(seed).shuffle(candidates)
        assert rank(candidates) == expected


def test_the_grid_holds_at_most_its_size():
    many = [Candidate("top_video", i, f"Video {i}", float(i % 100)) for i in range(250)]
    placed = rank(many)
    assert len(placed) == 100 and placed[-1].position == 100
    assert slot(1) == "hero" and slot(5) == "featured" and slot(6) == "standard"


def test_the_bundled_samples_are_what_the_generator_makes():
    committed = {path.name: path.read_text(encoding="utf-8") for path in content_dir().glob("*.json")}
    assert committed == render_all()


def test_the_samples_have_recurring_jumping_vanishing_and_new_topics():
    weeks = [set(week) for week in ([n for n, (w, _, _) in TOPICS.items() if i in w] for i in range(1, 6))]
    assert weeks[0] & weeks[-1], "some topics recur in every week"
    assert weeks[0] - weeks[-1], "some topics vanish"
    assert weeks[-1] - weeks[0], "some topics are new"
    assert any(drift * 1.0 / first > 0.2 for _, first, drift in TOPICS.values()), "one jumps by more than 20 %"
    assert any(any(ord(ch) > 127 for ch in name) for name in TOPICS) and any("&" in name for name in TOPICS)
