"""The published JSON Schema of analyzed_content.json: kept equal to the models, and
deciding every sample as the importer does."""

import json
import re
import subprocess
import sys
from datetime import date, timedelta

import jsonschema
import pytest
from content_cases import ACCEPTED, BAD_FIELDS, CROSS_ITEM, REFUSED, text_of

from carnivore_orchestration.content.contract import CROSS_ITEM_RULES, document_schema, render
from carnivore_orchestration.content.loading import ContentError, load_week
from carnivore_orchestration.content.schema import ANALYSIS_DATE, HAS_TEXT, WHITESPACE, NestedDocument
from carnivore_orchestration.content.weeks import monday_of
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR, PROJECT_ROOT

PUBLISHED = PROJECT_ROOT / "docs" / "analyzed_content.schema.json"
VALIDATOR = jsonschema.Draft202012Validator(document_schema())


def _importer_accepts(tmp_path, text: str) -> bool:
    path = tmp_path / "week.json"
    path.write_text(text, encoding="utf-8")
    try:
        load_week(path)
    except ContentError:
        return False
    return True


def test_the_published_file_is_the_schema_the_models_give():
    assert PUBLISHED.read_text(encoding="utf-8") == render(), (
        "docs/analyzed_content.schema.json is out of date: uv run carnivore schema > docs/analyzed_content.schema.json")
    jsonschema.Draft202012Validator.check_schema(json.loads(PUBLISHED.read_text()))


def test_carnivore_schema_prints_it():
    out = subprocess.run([sys.executable, "-m", "carnivore_orchestration.cli", "schema"], check=True,
                         capture_output=True, text=True).stdout
    assert out == render()


@pytest.mark.parametrize("path", sorted(BUNDLED_CONTENT_DIR.glob("*.json")), ids=lambda path: path.name)
def test_every_bundled_week_is_valid_for_both(path):
    assert VALIDATOR.is_valid(json.loads(path.read_text())), list(VALIDATOR.iter_errors(json.loads(path.read_text())))
    load_week(path, date.fromisoformat(path.stem))


@pytest.mark.parametrize("document", [case[0] for case in BAD_FIELDS + REFUSED], ids=lambda d: text_of(d)[:60])
def test_what_the_importer_refuses_the_schema_refuses(tmp_path, document):
    assert not _importer_accepts(tmp_path, text_of(document))
    assert not VALIDATOR.is_valid(json.loads(text_of(document)))


@pytest.mark.parametrize("document, why", ACCEPTED, ids=[case[1] for case in ACCEPTED])
def test_what_the_importer_accepts_the_schema_accepts(tmp_path, document, why):
    assert _importer_accepts(tmp_path, text_of(document)), why
    assert VALIDATOR.is_valid(json.loads(text_of(document))), list(VALIDATOR.iter_errors(json.loads(text_of(document))))


@pytest.mark.parametrize("document, error", CROSS_ITEM)
def test_the_rules_between_items_are_the_only_difference_and_are_named(tmp_path, document, error):
    assert VALIDATOR.is_valid(json.loads(text_of(document)))
    path = tmp_path / "week.json"
    path.write_text(text_of(document))
    with pytest.raises(ContentError, match=error):
        load_week(path)
    assert len(CROSS_ITEM_RULES) == len(CROSS_ITEM)
    assert all(rule in document_schema()["description"] for rule in CROSS_ITEM_RULES)


def test_the_date_pattern_is_the_calendar():
    """Every day-shaped string of four years (a common, a leap, the century's first,
    2099), days 00 to 32 of each month: the pattern matches exactly the real dates."""
    pattern = re.compile(ANALYSIS_DATE)
    for year in (2000, 2026, 2028, 2099):
        for month in range(0, 14):
            for day in range(0, 33):
                text = f"{year}-{month:02}-{day:02}"
                try:
                    date.fromisoformat(text)
                    real = True
                except ValueError:
                    real = False
                assert bool(pattern.match(text)) == real, text
    assert not pattern.match("2100-01-01") and not pattern.match("1999-12-31")
    # Midnight to the last minute, every offset: no accepted moment leaves the years Python holds.
    first, last = date(2000, 1, 1), date(2099, 12, 31)
    for moment in (f"{first}T00:00+23:59", f"{last}T23:59:59.999999-23:59"):
        parsed = NestedDocument.model_validate({"analysis_date": moment, "analysis": {}}).analysis_date
        assert abs(monday_of(parsed) - parsed.date()) < timedelta(days=8)


def test_whitespace_is_unicodes_list_in_every_engine():
    """The names' pattern and the strip after it use the same 25 characters, Unicode's
    White_Space; a name of nothing else is refused, one with anything else is kept."""
    assert len(WHITESPACE) == 25
    unicode_white = [chr(code) for code in range(0x3001) if chr(code).isspace() and chr(code) not in "\x1c\x1d\x1e\x1f"]
    assert sorted(WHITESPACE) == unicode_white
    for character in WHITESPACE:
        assert not re.search(HAS_TEXT, character * 3)
    assert re.search(HAS_TEXT, "\x1c") and re.search(HAS_TEXT, "\ufeff")
