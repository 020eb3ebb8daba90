"""`carnivore replay`: a week imported again from the archive, byte for byte, through the
weekly import job; every version of a week's file is kept."""

import json
import shutil
from datetime import date

import pytest
from click.testing import CliRunner
from conftest import fingerprint

from carnivore_orchestration.cli import main
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

NEWEST = sorted(BUNDLED_CONTENT_DIR.glob("*.json"))[-1]
WEEK = NEWEST.stem

# What the week is, without the times of writing it: its archived file, its history, the
# values of its current content, the grid.
WEEK_CONTENT = {
    "archive": "SELECT w.sha256, w.source_file, v.raw_content FROM analyzed_content_weeks AS w"
               " JOIN analyzed_content_versions AS v USING (week, sha256) WHERE week = %(week)s",
    "topics": "SELECT * FROM trending_topic_weeks WHERE week = %(week)s ORDER BY topic_id",
    "videos": "SELECT * FROM top_video_weeks WHERE week = %(week)s ORDER BY video_pk",
    "creators": "SELECT * FROM creator_weeks WHERE week = %(week)s ORDER BY creator_id",
    "current topics": "SELECT id, topic_name, engagement_score, mention_count, creators_array, full_data,"
                      " first_seen_week, last_seen_week FROM trending_topics ORDER BY id",
    "current videos": "SELECT id, title, views, tags, score, full_data, last_seen_week FROM top_videos ORDER BY id",
    "grid": "SELECT grid_position, content_type, content_id, content_title, rank_score FROM bento_grid_items"
            " ORDER BY grid_position",
}


def _week_content(db) -> dict:
    return {name: db.execute(query, {"week": WEEK}).fetchall() for name, query in WEEK_CONTENT.items()}


@pytest.fixture
def carnivore(db_url, monkeypatch):
    monkeypatch.setenv("CARNIVORE_DATABASE_URL", db_url)

    def run(*args):
        result = CliRunner().invoke(main, list(args))
        return result.exit_code, result.output
    return run


def _edited(tmp_path, score: int):
    document = json.loads(NEWEST.read_text(encoding="utf-8"))
    document["analysis"]["trending_topics"][0]["engagement_score"] = score
    del document["analysis"]["top_videos"][-1]
    path = tmp_path / f"corrected-{score}" / NEWEST.name
    path.parent.mkdir()
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_replaying_the_current_version_changes_nothing(db, db_url, carnivore, tmp_path):
    path = shutil.copy(NEWEST, tmp_path / NEWEST.name)
    assert carnivore("import", str(path))[0] == 0
    path.unlink()  # no file needed
    before = fingerprint(db_url)
    code, output = carnivore("replay", WEEK)
    assert code == 0, output
    assert f"Replayed {path} (" in output and "unchanged" in output
    assert fingerprint(db_url) == before


def test_an_earlier_version_restores_the_week_exactly_as_it_was(db, carnivore, tmp_path):
    original = shutil.copy(NEWEST, tmp_path / NEWEST.name)
    assert carnivore("import", str(original))[0] == 0
    as_first_imported = _week_content(db)
    first_sha = db.execute("SELECT sha256 FROM analyzed_content_weeks").fetchone()[0]
    for score in (3, 4):  # two corrections replace it in turn
        assert carnivore("import", str(_edited(tmp_path, score)))[0] == 0
    assert _week_content(db) != as_first_imported

    code, output = carnivore("replay", WEEK, "--sha256", first_sha[:8])
    assert code == 0, output
    assert "replaced" in output
    assert _week_content(db) == as_first_imported
    # Every version stays, each once; the week's current one is the first again.
    versions = db.execute("SELECT sha256 FROM analyzed_content_versions WHERE week = %s ORDER BY imported_at",
                          [date.fromisoformat(WEEK)]).fetchall()
    assert len(versions) == 3 and versions[0] == (first_sha,)
    assert db.execute("SELECT sha256 FROM analyzed_content_weeks").fetchone() == (first_sha,)


def test_a_prefix_that_names_no_version_or_a_week_never_imported_changes_nothing(db, db_url, carnivore, tmp_path):
    assert carnivore("import", str(shutil.copy(NEWEST, tmp_path / NEWEST.name)))[0] == 0
    before = fingerprint(db_url)
    code, output = carnivore("replay", WEEK, "--sha256", "ffffffffffff")
    assert code == 1
    assert f"Error: --sha256 ffffffffffff matches no version of the week of {WEEK}: " in output
    assert ", current)" in output  # the versions there are are listed
    code, output = carnivore("replay", "2026-01-05")
    assert code == 1 and "the week of 2026-01-05 was never imported" in output
    assert fingerprint(db_url) == before


def test_the_archive_keeps_every_version_for_good(db, carnivore, tmp_path):
    import psycopg

    assert carnivore("import", str(shutil.copy(NEWEST, tmp_path / NEWEST.name)))[0] == 0
    for statement in ("UPDATE analyzed_content_versions SET raw_content = '{}'", "DELETE FROM analyzed_content_versions"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="analyzed_content_versions is append-only"):
            db.execute(statement)
