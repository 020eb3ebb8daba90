"""The shape of `analyzed_content.json`, checked field by field with pydantic.

Unknown fields are kept (they travel on in `full_data`), but every field the pipeline
uses is typed and bounded, and strict: `"95"` is not an engagement score, nor is `true`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StringConstraints

Name = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=500)]
# Strict: an int or a float, never a bool or a numeric string ("95").
Percent = Annotated[float, Field(strict=True, ge=0, le=100, allow_inf_nan=False)]


def _parse_iso(value):
    if value is None or isinstance(value, (date, datetime)):
        return value
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date or date-time string")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 date or date-time string") from None


# The date the analysis ran, in either document shape.
AnalysisDate = Annotated[datetime | date | None, BeforeValidator(_parse_iso)]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class CommentSentiment(_Open):
    positive_percent: Percent | None = None
    negative_percent: Percent | None = None
    neutral_percent: Percent | None = None


class TrendingTopic(_Open):
    topic: Name
    description: str | None = None
    mentioned_by: list[Name] = []
    engagement_score: Annotated[StrictInt, Field(ge=0, le=100)]
    tags: list[Annotated[str, StringConstraints(strict=True)]] = []


class TopVideo(_Open):
    video_id: Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=64)]
    title: Name
    creator: Name | None = None
    views: Annotated[StrictInt, Field(ge=0)]
    tags: list[Annotated[str, StringConstraints(strict=True)]] = []
    comment_sentiment: CommentSentiment | None = None


class CommunitySentiment(_Open):
    overall_tone: str | None = None
    success_stories: list = []


class Sections(_Open):
    trending_topics: list[TrendingTopic] = []
    top_videos: list[TopVideo] = []
    community_sentiment: CommunitySentiment | None = None


class NestedDocument(_Open):
    """`{"analysis_date": ..., "analysis": {...sections}}`, as the blueprint's import reads it."""

    analysis_date: AnalysisDate = None
    analysis: Sections


class FlatDocument(Sections):
    """The sections at the top level, as the blueprint's data-flow diagram shows them."""

    analysis_date: AnalysisDate = None
