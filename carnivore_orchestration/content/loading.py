"""Reading one week's `analyzed_content.json` into validated, import-ready rows.

Everything here is pure: it reads a file and returns values or raises ContentError.
Nothing touches the database until a week has passed every check.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import re
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from pydantic import ValidationError

from carnivore_orchestration.content.schema import PATTERN_MEANING, FlatDocument, NestedDocument, Sections
from carnivore_orchestration.content.scoring import video_score
from carnivore_orchestration.content.slugs import topic_slug
from carnivore_orchestration.content.weeks import monday_of


class ContentError(ValueError):
    """A week's file cannot be imported. The message names the file, the JSON path,
    the value and the rule that it breaks."""


@dataclass(frozen=True)
class Limits:
    """What a week's file may be, checked before it is read or validated. A week is
    normally well under 1 MB and five levels deep (the project's synthetic big week,
    3,000 topics and 20,000 videos, is 6 MB); parsed, a JSON file takes ten times its
    size in memory, so the size limit is what keeps an import within its memory."""

    max_megabytes: float = 16.0
    max_depth: int = 32


# Rows are named tuples: a big week has 23,000 of them, and a tuple is built several
# times faster than a frozen dataclass (which sets each field through object.__setattr__).
class TopicRow(NamedTuple):
    name: str
    slug: str
    description: str | None
    engagement_score: int
    creators: list[str]
    full_data: dict


class VideoRow(NamedTuple):
    video_id: str
    title: str
    creator: str | None
    views: int
    tags: list[str]
    comment_sentiment: dict
    score: float
    full_data: dict


@dataclass(frozen=True)
class WeekContent:
    source: Path
    sha256: str
    raw: str
    shape: str  # "nested" or "flat"
    analysis_date: datetime | None
    topics: list[TopicRow]
    videos: list[VideoRow]
    community_sentiment: dict | None

    @property
    def creators(self) -> list[str]:
        """Every creator named this week, in first-seen order."""
        names = [name for topic in self.topics for name in topic.creators]
        names += [video.creator for video in self.videos if video.creator]
        return list(dict.fromkeys(names))


def load_week(path: Path, week: date | None = None, limits: Limits | None = None) -> WeekContent:
    """Read and validate a week's file. If `week` is given, the file's analysis_date
    (when it has one) must fall in that week."""
    limits = limits or Limits()
    return parse_week(_read(path, limits), path, week, limits)


def parse_week(raw_bytes: bytes, source: Path, week: date | None = None, limits: Limits | None = None) -> WeekContent:
    """Validate a week's file from its bytes (an archived version, say); `source` names
    it in errors and in the archive."""
    limits = limits or Limits()
    sha256 = hashlib.sha256(raw_bytes).hexdigest()
    key = (sha256, source, limits)
    content = _validated.get(key)
    if content is None:
        with _collector_paused():
            content = _parse_week(raw_bytes, sha256, source, limits)
        _validated[key] = content
    analysis_date = content.analysis_date
    if week is not None and analysis_date is not None and monday_of(analysis_date) != week:
        raise ContentError(
            f"{source}: analysis_date: {analysis_date.isoformat()} is not in the week of {week.isoformat()} "
            f"(the week starting Monday {monday_of(analysis_date).isoformat()})"
        )
    return content


# The same bytes always validate to the same rows, so a week validated in this process
# and still in use is not validated again: `carnivore import` validates the file before
# it migrates or starts the run (bad input must change nothing), and the run's asset then
# reads the same file, which cost the big week a second 0.35 s. Weak: a week no one holds
# any more (the code server's last run) is not kept alive by this.
_validated: weakref.WeakValueDictionary[tuple, WeekContent] = weakref.WeakValueDictionary()


@contextmanager
def _collector_paused():
    """A big week builds some 400,000 objects, all of them trees that reference
    counting frees; left on, the cyclic collector re-scans them as they pile up, which
    cost 40 % of validating the big week."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_week(raw_bytes: bytes, sha256: str, path: Path, limits: Limits) -> WeekContent:
    document, raw = _parse_json(path, raw_bytes, limits)
    shape = "nested" if "analysis" in document else "flat"
    model = NestedDocument if shape == "nested" else FlatDocument
    try:
        parsed = model.model_validate(document)
    except ValidationError as exc:
        raise ContentError(_describe_validation(path, exc, document)) from None
    sections: Sections = parsed.analysis if shape == "nested" else parsed
    prefix = "analysis." if shape == "nested" else ""

    if not sections.trending_topics and not sections.top_videos:
        raise ContentError(f"{path}: {prefix}trending_topics: the week has no trending topics and no top videos")

    raw_sections = document["analysis"] if shape == "nested" else document
    topics = _topic_rows(path, prefix, sections, raw_sections.get("trending_topics") or [])
    videos = _video_rows(path, prefix, sections, raw_sections.get("top_videos") or [])
    community = sections.community_sentiment.model_dump(mode="json") if sections.community_sentiment else None
    return WeekContent(
        source=path,
        sha256=sha256,
        raw=raw,
        shape=shape,
        analysis_date=parsed.analysis_date,
        topics=topics,
        videos=videos,
        community_sentiment=community,
    )


def _read(path: Path, limits: Limits) -> bytes:
    try:
        size = path.stat().st_size
        if size > limits.max_megabytes * 1e6:  # refused before a byte is read
            raise ContentError(
                f"{path}: the file is {size / 1e6:,.1f} MB, more than the {limits.max_megabytes:g} MB a week's file "
                "may be (CARNIVORE_CONTENT_MAX_MB); nothing was read")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ContentError(f"{path}: no such file") from None
    except OSError as exc:
        raise ContentError(f"{path}: cannot be read: {exc.strerror}") from None
    if not raw.strip():
        raise ContentError(f"{path}: the file is empty")
    return raw


def _parse_json(path: Path, raw: bytes, limits: Limits) -> tuple[dict, str]:
    """The document, and the file as text (decoding the big week takes 9 ms: once)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(f"{path}: not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x})") from None
    try:
        # A number no double holds (1e400) would parse as infinity. Floats are checked as
        # they are parsed (60,000 floats cost 9 ms more; scanning the big week's text for
        # exponents took 23 ms), integers only when the file has 309 digits in a row,
        # since every count and score is one.
        document = json.loads(text, parse_constant=_not_json, parse_float=_finite)
        if _LONG_DIGIT_RUN in raw.translate(_DIGITS_AS_ZERO):
            json.loads(text, parse_int=_finite)
    except RecursionError:
        raise ContentError(f"{path}: nested deeper than the JSON parser goes (the limit is {limits.max_depth} "
                           "levels)") from None
    except _OutOfRange as exc:
        raise ContentError(f"{path}: the number {exc} is out of range (JSON numbers must fit a double, "
                           "at most about 1.8e308)") from None
    except json.JSONDecodeError as exc:
        start = text.lstrip()[:40].replace("\n", " ")
        raise ContentError(
            f"{path}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}; the file starts {start!r})"
        ) from None
    except ValueError as exc:  # an integer of more digits than Python converts (4,300)
        raise ContentError(f"{path}: a number is out of range: {exc}") from None
    if not isinstance(document, dict):
        raise ContentError(f"{path}: (top level): expected a JSON object, got {_json_type(document)}")
    if _deeper_than_limit(raw, limits.max_depth):
        raise ContentError(f"{path}: {_deeper_than(document, limits.max_depth)}: nested more than "
                           f"{limits.max_depth} levels deep")
    # U+0000 and unpaired surrogates can only come from escapes (JSON forbids raw control
    # characters, and UTF-8 cannot encode a surrogate), so a file without such an escape
    # needs no walk; one with it (or with "\\u0000", or an emoji written as a pair) gets one.
    found = unstorable_text(document) if _unstorable_escape.search(raw) else None
    if found is not None:
        where, what = found
        raise ContentError(f"{path}: {where}: contains {what}, which PostgreSQL text cannot hold")
    return document, text


class _OutOfRange(ValueError):
    pass


def _not_json(constant: str):
    raise json.JSONDecodeError(f"{constant} is not a JSON value", constant, 0)


def _finite(text: str):
    number = float(text)
    if math.isinf(number):
        raise _OutOfRange(text[:40])
    return number


# Cheap tests on the raw bytes, so that a normal week skips the slow paths: plain byte
# searches on a copy with every digit made 0 (bytes.find runs at memchr speed).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGIT_RUN = b"0" * 309  # the shortest integer beyond a double: 1.8e308 has 309 digits
_unstorable_escape = re.compile(rb"\\u(0000|[dD][89a-fA-F])")


def _deeper_than_limit(raw: bytes, depth: int) -> bool:
    """Whether containers nest more than `depth` levels below the top, read from the
    text at C speed (walking the parsed values costs more than parsing them). In JSON a
    backslash occurs only inside strings, and escapes one character (a `\\u` is followed
    by four hex digits), so dropping every backslash with the character after it leaves
    the quotes that open and close strings; outside them only the brackets count. Each
    pass of the loop removes the innermost pairs."""
    text = _ESCAPE.sub(b"", raw).translate(None, _NOT_STRUCTURE)
    # Strings with no bracket in them are now "", the rest "[..." and the like.
    brackets = _STRING.sub(b"", text.replace(b'""', b""))
    for _ in range(depth + 1):  # the top-level object is one level more than `depth` counts
        brackets = _INNERMOST.sub(b"", brackets)
    return bool(brackets)


# A regular expression with a literal start: the engine skips to each backslash at
# memchr speed (2 ms for the big week, against 12 ms for two bytes.replace passes).
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(set(range(256)) - set(b'"[]{}'))
_STRING = re.compile(rb'"[^"]*"')
_INNERMOST = re.compile(rb"\[\]|\{\}")  # one pass: "{[]}" loses its list, not both


def _deeper_than(document, depth: int) -> str:
    """The JSON path of the first value nested deeper than `depth` (called once
    _deeper_than_limit() found one). Iterative: the validation that follows recurses, and must
    only ever see shallow documents."""
    stack = [(document, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > depth:
            return _json_path(path)
        if isinstance(value, dict):
            stack.extend((item, (*path, key)) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
    raise AssertionError("no value is nested that deep")


_UNSTORABLE = re.compile("[\u0000\ud800-\udfff]")  # a surrogate in a str is always unpaired


def unstorable_text(value, path: tuple = ()) -> tuple[str, str] | None:
    """The JSON path of the first string (or key) holding U+0000 or an unpaired
    surrogate, and which of the two, or None."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        if found is None:
            return None
        what = "a NUL character (\\u0000)" if found.group() == "\x00" else (
            f"an unpaired surrogate (\\u{ord(found.group()):04x})")
        return (_json_path(path) if path else "(top level)"), what
    if isinstance(value, dict):
        for key, item in value.items():
            if (found := unstorable_text(key)) is not None:
                return _json_path((*path, key.encode("utf-8", "backslashreplace").decode())), found[1]
            if (found := unstorable_text(item, (*path, key))) is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (found := unstorable_text(item, (*path, index))) is not None:
                return found
    return None


def _describe_validation(path: Path, exc: ValidationError, document: dict) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    location = _json_path(first["loc"])
    value = _value_at(document, first["loc"])
    shown = "(missing)" if value is _MISSING else json.dumps(value, ensure_ascii=False)[:80]
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "string_pattern_mismatch":
        message = PATTERN_MEANING[first["ctx"]["pattern"]]
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{path}: {location}: {message}, got {shown}{more}"


_MISSING = object()


def _json_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _value_at(document, loc: tuple):
    value = document
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return value


def _json_type(value) -> str:
    return {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), "null"
    )


# full_data is the item exactly as the file had it (validated, not re-serialised).


def _topic_rows(path: Path, prefix: str, sections: Sections, raw: list[dict]) -> list[TopicRow]:
    rows, seen = [], {}
    for index, (topic, original) in enumerate(zip(sections.trending_topics, raw, strict=True)):
        slug = topic_slug(topic.topic)
        if slug in seen:
            raise ContentError(
                f"{path}: {prefix}trending_topics[{index}].topic: {json.dumps(topic.topic, ensure_ascii=False)} "
                f"has the same slug {slug!r} as trending_topics[{seen[slug]}]; each topic must appear once a week"
            )
        seen[slug] = index
        rows.append(
            TopicRow(
                name=topic.topic,
                slug=slug,
                description=topic.description,
                engagement_score=topic.engagement_score,
                creators=list(dict.fromkeys(topic.mentioned_by)),
                full_data=original,
            )
        )
    return rows


def _video_rows(path: Path, prefix: str, sections: Sections, raw: list[dict]) -> list[VideoRow]:
    videos = sections.top_videos
    seen: dict[str, int] = {}
    for index, video in enumerate(videos):
        first = seen.setdefault(video.video_id, index)
        if first != index:
            raise ContentError(
                f"{path}: {prefix}top_videos[{index}].video_id: {video.video_id!r} is already "
                f"top_videos[{first}]; each video must appear once a week"
            )
    week_max_views = max((video.views for video in videos), default=0)
    rows = []
    for video, original in zip(videos, raw, strict=True):
        sentiment = original.get("comment_sentiment") or {}
        score = video_score(video.views, week_max_views, sentiment.get("positive_percent"),
                            sentiment.get("negative_percent"))
        # Positional: 20,000 rows built by keyword took 5 ms more.
        rows.append(VideoRow(video.video_id, video.title, video.creator, video.views, list(video.tags), sentiment,
                             score, original))
    return rows
