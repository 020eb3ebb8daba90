"""Reading and validating analyzed_content.json, without Dagster or a database."""

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from content_cases import BAD_FIELDS, REFUSED, nested, text_of, topic, video

from carnivore_orchestration.content.loading import ContentError, load_week
from carnivore_orchestration.content.weeks import monday_of
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

WEEK = date(2026, 11, 16)


def _write(tmp_path: Path, document, name="2026-11-16.json") -> Path:
    path = tmp_path / name
    path.write_text(text_of(document), encoding="utf-8")
    return path


def test_both_shapes_give_the_same_rows(tmp_path):
    document = nested()
    flat = {"analysis_date": document["analysis_date"], **document["analysis"]}
    a = load_week(_write(tmp_path, document, "a.json"), WEEK)
    b = load_week(_write(tmp_path, flat, "b.json"), WEEK)
    assert (a.shape, b.shape) == ("nested", "flat")
    assert a.topics == b.topics and a.videos == b.videos
    assert a.creators == ["Dr. Ken Berry", "Anthony Chaffee MD"]


def test_the_sha256_is_of_the_exact_bytes(tmp_path):
    import hashlib

    path = _write(tmp_path, nested())
    assert load_week(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_unknown_fields_travel_on_in_full_data(tmp_path):
    week = load_week(_write(tmp_path, nested(topics=[topic(sources=["reddit"])])), WEEK)
    assert week.topics[0].full_data["sources"] == ["reddit"]


@pytest.mark.parametrize("document, path, rule, value", BAD_FIELDS)
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
        ('{"trending_topics": [{"topic": "A", "engagement_score": NaN}]}', "NaN is not a JSON value"),
        ('{"trending_topics": [{"topic": "A", "engagement_score": 5, "n": ' + "9" * 5000 + "}]}",
         "a number is out of range: Exceeds the limit (4300 digits)"),
        *((text_of(document), expected) for document, expected in REFUSED),
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
    source = _write(tmp_path, nested(topics=[topic("Fat & Butter"), topic("Fat Butter")]))
    with pytest.raises(ContentError, match=r"trending_topics\[1\]\.topic: .* same slug 'fat-butter' as trending_topics\[0\]"):
        load_week(source)


def test_a_video_may_appear_once_a_week(tmp_path):
    source = _write(tmp_path, nested(videos=[video(), video()]))
    with pytest.raises(ContentError, match=r"top_videos\[1\]\.video_id: 'abc123' is already top_videos\[0\]"):
        load_week(source)


def test_analysis_date_must_fall_in_the_week(tmp_path):
    source = _write(tmp_path, nested())
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


def test_a_week_validated_and_still_held_is_not_validated_again(tmp_path):
    """The CLI validates the file before it starts the run, and the run's asset reads it
    again: the second read returns the first's result, while the week check still
    applies and changed bytes or limits are validated afresh."""
    from carnivore_orchestration.content.loading import Limits

    source = tmp_path / "week.json"
    shutil.copy(BUNDLED_CONTENT_DIR / "2026-11-16.json", source)
    first = load_week(source)
    assert load_week(source, date(2026, 11, 16)) is first
    with pytest.raises(ContentError, match="is not in the week of 2026-11-09"):
        load_week(source, date(2026, 11, 9))
    assert load_week(source, limits=Limits(max_depth=20)) is not first
    source.write_bytes(source.read_bytes() + b"\n")
    changed = load_week(source)
    assert changed is not first and changed.sha256 != first.sha256 and changed.topics == first.topics
