"""Ranking the week's topics and videos into grid positions."""

from __future__ import annotations

from dataclasses import dataclass

# The grid's CHECK allows positions 1-100.
GRID_SIZE = 100
FEATURED_UNTIL = 5
# Topics lead videos on equal scores: the topic is the week's story, a video one take on it.
_TYPE_ORDER = {"trending_topic": 0, "top_video": 1, "community_highlight": 2, "research_update": 3}


@dataclass(frozen=True)
class Candidate:
    content_type: str
    content_id: int
    title: str
    score: float


@dataclass(frozen=True)
class Placed:
    position: int
    candidate: Candidate

    @property
    def slot(self) -> str:
        return slot(self.position)


def slot(position: int) -> str:
    if position == 1:
        return "hero"
    return "featured" if position <= FEATURED_UNTIL else "standard"


def rank(candidates: list[Candidate], size: int = GRID_SIZE) -> list[Placed]:
    """Positions 1..n, unique and contiguous: best score first; ties go to topics over
    videos, then by title (case-insensitive), then by id, so the order never depends on
    the order the candidates came in."""
    ordered = sorted(
        candidates,
        key=lambda c: (-c.score, _TYPE_ORDER[c.content_type], c.title.casefold(), c.content_id),
    )
    return [Placed(position, candidate) for position, candidate in enumerate(ordered[:size], start=1)]
