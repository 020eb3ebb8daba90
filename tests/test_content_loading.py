"""Reading and validating analyzed_content.json, without Dagster or a database."""

import json
from datetime import date
from pathlib import Path

import pytest

from carnivore_orchestration.content.loading import ContentError, load_week, monday_of
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

WEEK = date(2026, 11, 16)


def _topic(name="Lion Diet (Beef, Salt, Water)", score=80, **extra):
    return {"topic": name, "engagement_score": score, "mentioned_by": ["Dr. Ken Berry"], **extra}


def _video(video_id="abc123", views=91500, **extra):
    return {"video_id": video_id, "title": "If I Started Carnivore in 2026...", "creator": "Anthony Chaffee MD",
            "views": views, "tags": ["beginners"], **extra}


def _nested(topics=None, videos=None, **extra):
    sections = {"trending_topics": topics if topics is not None else [_topic()],
                "top_videos": videos if videos is not None else [_video()]}
    return {"analysis_date": "2026-11-16T10:05:00Z", "analysis": sections, **extra}


def _write(tmp_path: Path, document, name="2026-11-16.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


def test_both_shapes_give_the_same_rows(tmp_path):
    nested = _nested()
    flat = {"analysis_date": nested["analysis_date"], **nested["analysis"]}
    a = load_week(_write(tmp_path, nested, "a.json"), WEEK)
    b = load_week(_write(tmp_path, flat, "b.json"), WEEK)
    assert (a.shape, b.shape) == ("nested", "flat")
    assert a.topics == b.topics and a.videos == b.videos
    assert a.creators == ["Dr. Ken Berry", "Anthony Chaffee MD"]


def test_the_sha256_is_of_the_exact_bytes(tmp_path):
    import hashlib

    path = _write(tmp_path, _nested())
    assert load_week(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_unknown_fields_travel_on_in_full_data(tmp_path):
    week = load_week(_write(tmp_path, _nested(topics=[_topic(sources=["reddit"])])), WEEK)
    assert week.topics[0].full_data["sources"] == ["reddit"]


@pytest.mark.parametrize(
    "document, path, rule, value",
    [
        (_nested(topics=[_topic(), _topic("B"), _topic("C"), _topic("D", score=150)]),
         "analysis.trending_topics[3].engagement_score", "less than or equal to 100", "150"),
        (_nested(topics=[_topic(score="95")]), "analysis.trending_topics[0].engagement_score", "valid integer", '"95"'),
        (_nested(topics=[_topic(score=95.5)]), "analysis.trending_topics[0].engagement_score", "valid integer", "95.5"),
        (_nested(topics=[_topic(score=True)]), "analysis.trending_topics[0].engagement_score", "valid integer", "true"),
        (_nested(topics=[_topic(name="   ")]), "analysis.trending_topics[0].topic", "at least 1 character", '"   "'),
        (_nested(topics=[_topic(mentioned_by="Dr. Ken Berry")]), "analysis.trending_topics[0].mentioned_by",
         "valid list", '"Dr. Ken Berry"'),
        (_nested(topics=[{"engagement_score": 5}]), "analysis.trending_topics[0].topic", "Field required", "(missing)"),
        (_nested(videos=[{"title": "T", "views": 1}]), "analysis.top_videos[0].video_id", "Field required", "(missing)"),
        (_nested(videos=[_video(views=-3)]), "analysis.top_videos[0].views", "greater than or equal to 0", "-3"),
        (_nested(videos=[_video(comment_sentiment={"positive_percent": 120})]),
         "analysis.top_videos[0].comment_sentiment.positive_percent", "less than or equal to 100", "120"),
        ({"analysis": {"trending_topics": {"topic": "x"}}}, "analysis.trending_topics", "valid list", '{"topic": "x"}'),
        ({"analysis": []}, "analysis", "valid dictionary", "[]"),
        ({"trending_topics": [_topic(engagement_score=-1)]}, "trending_topics[0].engagement_score",
         "greater than or equal to 0", "-1"),
        ({**_nested(), "analysis_date": "last monday"}, "analysis_date", "ISO 8601", '"last monday"'),
    ],
)
def test_bad_fields_are_named_with_path_value_and_rule(tmp_path, document, path, rule, value):
    source = _write(tmp_path, document)
    with pytest.raises(ContentError) as error:
        load_week(source)
    message = str(error.value)
    assert message.startswith(f"{source}: {path}: ")
    assert rule in message
    assert f"got {value}" in message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "the file is empty"),
        ("  \n", "the file is empty"),
        ('{"analysis": {"trending_topics": [{"topic": "A", "engage', "not valid JSON"),
        ("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "the file starts '<!DOCTYPE html>"),
        ("[1, 2, 3]", "(top level): expected a JSON object, got an array"),
        ('{"analysis": {"trending_topics": [], "top_videos": []}}', "no trending topics and no top videos"),
    ],
)
def test_unreadable_files_get_the_same_clear_treatment(tmp_path, text, expected):
    source = _write(tmp_path, text)
    with pytest.raises(ContentError, match=None) as error:
        load_week(source)
    assert str(error.value).startswith(f"{source}: ")
    assert expected in str(error.value)


def test_non_utf8_and_missing_files(tmp_path):
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"trending_topics": [{"topic": "Ça"}]}'.encode("latin-1"))
    with pytest.raises(ContentError, match="not UTF-8"):
        load_week(latin1)
    with pytest.raises(ContentError, match="no such file"):
        load_week(tmp_path / "missing.json")


def test_a_topic_may_appear_once_a_week_even_under_another_spelling(tmp_path):
    source = _write(tmp_path, _nested(topics=[_topic("Fat & Butter"), _topic("Fat Butter")]))
    with pytest.raises(ContentError, match=r"trending_topics\[1\]\.topic: .* same slug 'fat-butter' as trending_topics\[0\]"):
        load_week(source)


def test_a_video_may_appear_once_a_week(tmp_path):
    source = _write(tmp_path, _nested(videos=[_video(), _video()]))
    with pytest.raises(ContentError, match=r"top_videos\[1\]\.video_id: 'abc123' is already top_videos\[0\]"):
        load_week(source)


def test_analysis_date_must_fall_in_the_week(tmp_path):
    source = _write(tmp_path, _nested())
    assert load_week(source, WEEK).analysis_date.isoformat() == "2026-11-16T10:05:00+00:00"
    with pytest.raises(ContentError, match="analysis_date: 2026-11-16T10:05:00\\+00:00 is not in the week of 2026-11-09"):
        load_week(source, date(2026, 11, 9))


def test_monday_of_is_utc():
    from datetime import datetime, timedelta, timezone

    # Sunday 23:30 in New York is already Monday in UTC.
    sunday_evening = datetime(2026, 11, 22, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert monday_of(sunday_evening) == date(2026, 11, 23)
    assert monday_of(date(2026, 11, 22)) == date(2026, 11, 16)


def test_every_bundled_sample_week_is_valid():
    files = sorted(BUNDLED_CONTENT_DIR.glob("*.json"))
    assert len(files) >= 4
    shapes = {load_week(path, date.fromisoformat(path.stem)).shape for path in files}
    assert shapes == {"nested", "flat"}


def test_brackets_and_escaped_quotes_inside_strings_are_not_nesting(tmp_path):
    """The depth limit is read from the text; what is inside a string never counts."""
    deep_looking = "[" * 40 + '\\"{' * 40 + "\\\\"
    path = tmp_path / "2026-11-16.json"
    path.write_text(json.dumps({"trending_topics": [{"topic": "Butter", "engagement_score": 50,
                                                     "note": deep_looking, "tags": ["[[[", "]]]}"]}]}))
    assert load_week(path).topics[0].full_data["note"] == deep_looking
