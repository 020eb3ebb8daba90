"""The shape of `analyzed_content.json`, checked field by field with pydantic.

Unknown fields are kept (they travel on in `full_data`), but every field the pipeline
uses is typed and bounded, and strict: `"95"` is not an engagement score, nor is `true`.

These models are also the published contract (`carnivore schema`, content/contract.py),
so every rule here is one JSON Schema can state: string rules are regular expressions
that mean the same in pydantic's engine, Python's and JavaScript's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StringConstraints

# Unicode's White_Space characters, spelled out: `\s` differs between engines (Python's
# also counts U+001C-U+001F, JavaScript's U+FEFF), and the schema must mean one thing.
WHITESPACE = ("\u0009\u000a\u000b\u000c\u000d\u0020\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
              "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
HAS_TEXT = r"[^\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"

# A date, or a date and time, as ISO 8601 and RFC 3339 write them, calendar-exact (no
# 2027-02-29), in 2000-2099: an analysis of this century, so that no offset can carry
# it outside the years Python's datetime holds.
_DAY = ("20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
        "|20[0-9]{2}-(0[13-9]|1[0-2])-(29|30)"
        "|20[0-9]{2}-(0[13578]|1[02])-31"
        "|20(0[048]|[2468][048]|[13579][26])-02-29")
_CLOCK = "([01][0-9]|2[0-3]):[0-5][0-9]"
ANALYSIS_DATE = f"^({_DAY})(T{_CLOCK}(:[0-5][0-9](\\.[0-9]+)?)?(Z|[+-]{_CLOCK})?)?$"

# What a pattern means, for error messages an editor can read.
PATTERN_MEANING = {
    HAS_TEXT: "must have a character that is not whitespace",
    ANALYSIS_DATE: ("must be an ISO 8601 date (YYYY-MM-DD, 2000-2099) or date and time "
                    "(YYYY-MM-DDTHH:MM[:SS[.fraction]][Z or ±HH:MM])"),
}
BIGINT_MAX = 2**63 - 1  # top_videos.views is a bigint


def _strip(value: str) -> str:
    return value.strip(WHITESPACE)


def _whole(value):
    """JSON has one number type: 5.0 is the integer 5 (as JSON Schema's "integer" says)."""
    return int(value) if type(value) is float and value.is_integer() else value


def _as_datetime(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# The length limit counts what the file has; surrounding whitespace is dropped after.
Name = Annotated[str, StringConstraints(strict=True, max_length=500, pattern=HAS_TEXT), AfterValidator(_strip)]
VideoId = Annotated[str, StringConstraints(strict=True, max_length=64, pattern=HAS_TEXT), AfterValidator(_strip)]
Tag = Annotated[str, StringConstraints(strict=True)]
Percent = Annotated[float, Field(strict=True, ge=0, le=100, allow_inf_nan=False)]  # never a bool or "95"
Score = Annotated[StrictInt, Field(ge=0, le=100), BeforeValidator(_whole)]
Views = Annotated[StrictInt, Field(ge=0, le=BIGINT_MAX), BeforeValidator(_whole)]
AnalysisDate = Annotated[str, StringConstraints(strict=True, pattern=ANALYSIS_DATE), AfterValidator(_as_datetime)]


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
    engagement_score: Score
    tags: list[Tag] = []


class TopVideo(_Open):
    video_id: VideoId
    title: Name
    creator: Name | None = None
    views: Views
    tags: list[Tag] = []
    comment_sentiment: CommentSentiment | None = None


class CommunitySentiment(_Open):
    overall_tone: str | None = None
    success_stories: list = []


# A week has a topic or a video (loading.py says so in its own words; this is the
# same rule for the published schema).
_NOT_EMPTY = {"anyOf": [{"required": [section], "properties": {section: {"minItems": 1}}}
                        for section in ("trending_topics", "top_videos")]}


class Sections(_Open):
    model_config = ConfigDict(json_schema_extra=_NOT_EMPTY)

    trending_topics: list[TrendingTopic] = []
    top_videos: list[TopVideo] = []
    community_sentiment: CommunitySentiment | None = None


class NestedDocument(_Open):
    """`{"analysis_date": ..., "analysis": {...sections}}`, as the blueprint's import reads it."""

    analysis_date: AnalysisDate | None = None
    analysis: Sections


class FlatDocument(Sections):
    """The sections at the top level, as the blueprint's data-flow diagram shows them."""

    analysis_date: AnalysisDate | None = None
