"""The weekly editor digest: what changed this week, in words an editor reads in a
minute. Built from the weekly history alone, so any week's digest can be made again
(a backfill gives the same text), and compared with the week imported before it.

The grid here is the week as its scores rank it: the grid's own order
(homepage/grid.py), before readers' engagement lifts anything, since engagement is
not kept by week.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

import psycopg

from carnivore_orchestration.homepage.ranking import GRID_SIZE, slot

SHOWN = 5  # items per list; the rest are counted


@dataclass(frozen=True)
class Topic:
    name: str
    score: int
    previous: int | None = None  # its score the last week it appeared, if it had one

    @property
    def change_percent(self) -> float | None:
        return round(100 * (self.score - self.previous) / self.previous, 1) if self.previous else None


@dataclass(frozen=True)
class Placed:
    title: str
    content_type: str
    content_id: int
    position: int
    previous_position: int | None = None  # in the week before's ranking; None: not in its grid


@dataclass(frozen=True)
class Creator:
    name: str
    topic_mentions: int
    videos: int
    previous_mentions: int | None


@dataclass(frozen=True)
class Digest:
    week: date
    previous_week: date | None
    topics: int
    videos: int
    hero: Placed | None
    previous_hero: Placed | None
    new_topics: list[Topic] = field(default_factory=list)
    jumps: list[Topic] = field(default_factory=list)
    fell_off: list[Topic] = field(default_factory=list)
    grid_moves: list[Placed] = field(default_factory=list)
    creators: list[Creator] = field(default_factory=list)

    @property
    def hero_changed(self) -> bool:
        key = (self.hero.content_type, self.hero.content_id) if self.hero else None
        before = (self.previous_hero.content_type, self.previous_hero.content_id) if self.previous_hero else None
        return key != before

    def summary(self) -> str:
        """One line: the notification text and the fallback of every format."""
        parts = [_count(len(self.new_topics), "new topic"), _count(len(self.jumps), "jump"),
                 f"{len(self.fell_off)} fell off"]
        hero = f"hero: {self.hero.title}{' (new)' if self.hero_changed else ''}" if self.hero else "no hero"
        return f"Carnivore Weekly, week of {self.week}: {', '.join(parts)}; {hero}"

    def payload(self) -> dict:
        """The outbox event: structured for a webhook consumer, with the Markdown and
        the summary line."""
        values = {key: value for key, value in asdict(self).items() if key not in ("week", "previous_week")}
        values["jumps"] = [{**asdict(topic), "change_percent": topic.change_percent} for topic in self.jumps]
        return {"event": "weekly_digest", "week": self.week.isoformat(),
                "previous_week": self.previous_week.isoformat() if self.previous_week else None,
                "hero_changed": self.hero_changed, **values, "text": self.summary(), "headline": headline(self),
                "hero_line": hero_text(self),
                "sections": [{"title": title, "lines": lines} for title, lines in sections(self)],
                "markdown": markdown(self)}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


_TOPICS = """
SELECT h.topic_name, h.engagement_score,
       (SELECT p.engagement_score FROM trending_topic_weeks AS p
         WHERE p.topic_id = h.topic_id AND p.week < h.week ORDER BY p.week DESC LIMIT 1)
  FROM trending_topic_weeks AS h WHERE h.week = %(week)s
 ORDER BY h.engagement_score DESC, lower(h.topic_name) COLLATE "C"
"""
_FELL_OFF = """
SELECT p.topic_name, p.engagement_score FROM trending_topic_weeks AS p
 WHERE p.week = %(previous)s
   AND NOT EXISTS (SELECT FROM trending_topic_weeks AS h WHERE h.week = %(week)s AND h.topic_id = p.topic_id)
 ORDER BY p.engagement_score DESC, lower(p.topic_name) COLLATE "C"
"""
# The grid's order (homepage/grid.py) on the week's own scores.
_RANKING = """
SELECT content_type, content_id, title,
       row_number() OVER (ORDER BY weekly DESC, CASE content_type WHEN 'trending_topic' THEN 0 ELSE 1 END,
                                   lower(title) COLLATE "C", content_id)
  FROM (SELECT 'trending_topic' AS content_type, topic_id AS content_id, topic_name AS title,
               engagement_score::numeric AS weekly FROM trending_topic_weeks WHERE week = %(week)s
        UNION ALL
        SELECT 'top_video', video_pk, title, score FROM top_video_weeks WHERE week = %(week)s) AS content
 ORDER BY 4 LIMIT %(size)s
"""
_CREATORS = """
SELECT c.creator_name, w.topic_mentions, w.video_count, p.topic_mentions
  FROM creator_weeks AS w
  JOIN creators AS c ON c.id = w.creator_id
  LEFT JOIN creator_weeks AS p ON p.creator_id = w.creator_id AND p.week = %(previous)s
 WHERE w.week = %(week)s
 ORDER BY w.topic_mentions + w.video_count DESC, w.topic_mentions DESC, lower(c.creator_name) COLLATE "C"
 LIMIT %(shown)s
"""


class NotImported(LookupError):
    pass


def build_digest(conn: psycopg.Connection, week: date) -> Digest:
    """The digest of an imported week, against the week imported before it."""
    if conn.execute("SELECT 1 FROM analyzed_content_weeks WHERE week = %s", [week]).fetchone() is None:
        raise NotImported(f"the week of {week} has not been imported: nothing to digest")
    previous = conn.execute("SELECT max(week) FROM analyzed_content_weeks WHERE week < %s", [week]).fetchone()[0]
    params = {"week": week, "previous": previous, "size": GRID_SIZE, "shown": SHOWN}
    topics = [Topic(*row) for row in conn.execute(_TOPICS, params)]
    ranking = _ranking(conn, week)
    before = _ranking(conn, previous) if previous else {}
    placed = [Placed(title, *key, position, before.get(key, (None, None))[1])
              for key, (title, position) in ranking.items()]
    # What an editor notices first: a change of slot (into or out of the hero or the
    # featured row), then the longest moves.
    moves = sorted((p for p in placed if p.previous_position and p.previous_position != p.position),
                   key=lambda p: (slot(p.position) == slot(p.previous_position),
                                  -abs(p.previous_position - p.position), p.position))
    previous_hero = next((Placed(title, *key, 1) for key, (title, position) in before.items() if position == 1),
                         None)
    return Digest(
        week=week, previous_week=previous,
        topics=len(topics),
        videos=conn.execute("SELECT count(*) FROM top_video_weeks WHERE week = %s", [week]).fetchone()[0],
        hero=placed[0] if placed else None, previous_hero=previous_hero,
        new_topics=[t for t in topics if t.previous is None],
        # The alerts' rule (private.record_trend_spikes): more than 20 % over its last appearance.
        jumps=[t for t in topics if t.previous is not None and t.score > 1.2 * t.previous and t.score > 0],
        fell_off=[Topic(name, score) for name, score in conn.execute(_FELL_OFF, params)] if previous else [],
        grid_moves=moves[:SHOWN],
        creators=[Creator(*row) for row in conn.execute(_CREATORS, params)],
    )


def _ranking(conn: psycopg.Connection, week: date) -> dict[tuple[str, int], tuple[str, int]]:
    rows = conn.execute(_RANKING, {"week": week, "size": GRID_SIZE})
    return {(content_type, content_id): (title, position) for content_type, content_id, title, position in rows}


def _listed(items: list, line, empty: str) -> list[str]:
    if not items:
        return [empty]
    lines = [line(item) for item in items[:SHOWN]]
    if len(items) > SHOWN:
        lines.append(f"and {len(items) - SHOWN} more")
    return lines


def _kind(content_type: str) -> str:
    return "topic" if content_type == "trending_topic" else "video"


def move_text(item: Placed) -> str:
    arrow = "↑" if item.position < item.previous_position else "↓"
    return (f"{item.title} ({_kind(item.content_type)}): {arrow}{abs(item.previous_position - item.position)}, "
            f"#{item.previous_position} → #{item.position} ({slot(item.position)})")


def jump_text(topic: Topic) -> str:
    change = f"+{topic.change_percent:g} %" if topic.change_percent is not None else "from zero"
    return f"{topic.name}: {topic.previous} → {topic.score} ({change})"


def creator_text(creator: Creator) -> str:
    was = "" if creator.previous_mentions is None else f" ({creator.previous_mentions} the week before)"
    return f"{creator.name}: {_count(creator.topic_mentions, 'topic')}{was} and {_count(creator.videos, 'top video')}"


def hero_text(digest: Digest) -> str:
    if digest.hero is None:
        return "no hero: the week has no content"
    hero = f"{digest.hero.title} ({_kind(digest.hero.content_type)})"
    if digest.previous_hero is None:
        return f"{hero}, the first week"
    if not digest.hero_changed:
        return f"{hero}, unchanged"
    return f"{hero}, new this week (it was {digest.previous_hero.title})"


def sections(digest: Digest) -> list[tuple[str, list[str]]]:
    """(title, lines) of each part, the same in every format."""
    nothing_before = "none" if digest.previous_week else "nothing to compare with"
    return [
        (f"New topics ({len(digest.new_topics)})",
         _listed(digest.new_topics, lambda t: f"{t.name} ({t.score})", "none")),
        (f"Jumped more than 20 % ({len(digest.jumps)})", _listed(digest.jumps, jump_text, "none")),
        (f"Fell off ({len(digest.fell_off)})",
         _listed(digest.fell_off, lambda t: f"{t.name} ({t.score} the week before)", nothing_before)),
        ("Biggest moves in the grid", _listed(digest.grid_moves, move_text, nothing_before)),
        ("Creators mentioned most", _listed(digest.creators, creator_text, "none named")),
    ]


def headline(digest: Digest) -> str:
    against = f"against {digest.previous_week}" if digest.previous_week else "the first week imported"
    return f"Week of {digest.week} ({against})"


def markdown(digest: Digest) -> str:
    """The digest as Markdown, for the UI (the materialization's metadata) and webhooks."""
    lines = [f"### {headline(digest)}",
             f"{_count(digest.topics, 'topic')} and {_count(digest.videos, 'video')}. **Hero:** {hero_text(digest)}."]
    for title, items in sections(digest):
        lines += ["", f"**{title}**", *(f"- {item}" for item in items)]
    return "\n".join(lines) + "\n"
