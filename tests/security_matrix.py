"""Who may do what, as data: the expected outcome of every operation on every table,
partition, view and public function, for every actor.

test_security.py runs each cell against a real database, as PostgREST would call it,
and compares; docs/security.md shows the same table, rendered from this file:

    uv run python tests/security_matrix.py    # rewrites the table in docs/security.md

Outcomes:
    all      every row (of the fixture) is seen or changed
    own      only the actor's own rows
    active   only active rows (soft-deleted ones are hidden)
    none     no row, and no error
    allowed  the row is inserted, or the function runs
    rls      refused by a row-level security policy
    denied   refused for want of a privilege (permission denied)
    raises   refused by a trigger (immutability) or a constraint (history keeps its rows)
"""

from __future__ import annotations

from pathlib import Path

ACTORS = ["anon", "user_a", "user_b", "admin", "service_role", "owner"]

# (object, operation): outcomes for anon, user A, user B, admin, service_role, owner.
_EDITORIAL_SOFT = {  # topics, videos, creators: soft delete, admin writes
    "SELECT": "active active active all all all",
    "INSERT": "denied rls rls allowed allowed allowed",
    "UPDATE": "denied none none all all all",
    "DELETE": "denied denied denied denied denied none",
}
_EDITORIAL = {  # the grid and the weekly history: admin writes, admin deletes
    "SELECT": "all all all all all all",
    "INSERT": "denied rls rls allowed allowed allowed",
    "UPDATE": "denied none none all all all",
    "DELETE": "denied none none all all all",
}
_CLOSED = {  # partitions: nobody through the API, whatever the policies
    "SELECT": "denied denied denied denied denied all",
    "INSERT": "denied denied denied denied denied allowed",
    "UPDATE": "denied denied denied denied denied all",
    "DELETE": "denied denied denied denied denied all",
}
_PIPELINE = {  # operational tables: the service role reads, the pipeline (owner) writes
    "SELECT": "denied denied denied denied all all",
    "INSERT": "denied denied denied denied denied allowed",
    "UPDATE": "denied denied denied denied denied all",
    "DELETE": "denied denied denied denied denied all",
}

MATRIX: dict[tuple[str, str], str] = {
    **{(t, op): v for t in ("trending_topics", "top_videos", "creators") for op, v in _EDITORIAL_SOFT.items()},
    # The owner's DELETE: topics ignore it (trigger); videos and creators are kept by
    # their weekly history's foreign keys.
    ("top_videos", "DELETE"): "denied denied denied denied denied raises",
    ("creators", "DELETE"): "denied denied denied denied denied raises",
    **{(t, op): v for t in ("bento_grid_items", "trending_topic_weeks", "top_video_weeks", "creator_weeks")
       for op, v in _EDITORIAL.items()},
    ("content_engagement", "SELECT"): "denied own own all all all",
    ("content_engagement", "INSERT"): "allowed allowed allowed allowed allowed allowed",
    ("content_engagement", "INSERT with user A's id"): "rls allowed rls rls allowed allowed",
    ("content_engagement", "UPDATE"): "denied denied denied denied denied all",
    ("content_engagement", "DELETE"): "denied denied denied denied denied all",
    **{(p, op): v for p in ("content_engagement_default", "content_engagement_<this month>",
                             "content_engagement_<next month>")
       for op, v in _CLOSED.items()},
    # Until its month comes, any row for it would be from the future.
    ("content_engagement_<next month>", "INSERT"): "denied denied denied denied denied raises",
    ("user_interests", "SELECT"): "none own own all all all",
    ("user_interests", "INSERT with user A's id"): "denied allowed rls rls allowed allowed",
    ("user_interests", "UPDATE"): "denied own own all all all",
    ("user_interests", "DELETE"): "denied own own own all all",
    ("audit_log", "SELECT"): "denied none none all all all",
    ("audit_log", "INSERT"): "denied denied denied denied denied allowed",
    ("audit_log", "UPDATE"): "denied denied denied denied denied raises",
    ("audit_log", "DELETE"): "denied denied denied denied denied raises",
    ("audit_trail", "SELECT"): "denied none none all all all",
    **{(t, op): v for t in ("alert_events", "alert_attempts", "alert_endpoints") for op, v in _PIPELINE.items()},
    ("alert_events", "DELETE"): "denied denied denied denied denied raises",  # its attempts refer to it
    ("analyzed_content_weeks", "SELECT"): "denied denied denied denied all all",
    ("analyzed_content_weeks", "INSERT"): "denied denied denied denied allowed allowed",
    ("analyzed_content_weeks", "UPDATE"): "denied denied denied denied all all",
    ("analyzed_content_weeks", "DELETE"): "denied denied denied denied denied raises",  # history refers to it
    ("analyzed_content_versions", "SELECT"): "denied denied denied denied all all",
    ("analyzed_content_versions", "INSERT"): "denied denied denied denied allowed allowed",
    ("analyzed_content_versions", "UPDATE"): "denied denied denied denied denied raises",  # kept for good
    ("analyzed_content_versions", "DELETE"): "denied denied denied denied denied raises",
    ("homepage_grid", "SELECT"): "all all all all all all",
    ("engagement_sentiment_aggregate", "SELECT"): "all all all all all all",
    ("trending_topics_by_week", "SELECT"): "all all all all all all",
    ("creator_performance", "SELECT"): "active active active all all all",
    ("user_engagement_summary", "SELECT"): "denied own own all all all",
    ("calculate_trending_topics()", "EXECUTE"): "allowed allowed allowed allowed allowed allowed",
    ("get_personalized_grid()", "EXECUTE"): "allowed allowed allowed allowed allowed allowed",
}


def expected() -> dict[tuple[str, str], dict[str, str]]:
    return {key: dict(zip(ACTORS, value.split(), strict=True)) for key, value in MATRIX.items()}


def render() -> str:
    lines = ["| object | operation | " + " | ".join(ACTORS) + " |", "|---|---|" + "---|" * len(ACTORS)]
    for (obj, operation), outcomes in expected().items():
        lines.append(f"| `{obj}` | {operation} | " + " | ".join(outcomes[a] for a in ACTORS) + " |")
    return "\n".join(lines)


DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"
BEGIN, END = "<!-- matrix:begin -->", "<!-- matrix:end -->"


def rendered_doc(text: str) -> str:
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{render()}\n{END}{tail}"


if __name__ == "__main__":
    DOC.write_text(rendered_doc(DOC.read_text()))
    print(f"rewrote the matrix in {DOC}")
