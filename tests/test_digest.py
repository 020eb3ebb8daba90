"""The weekly editor digest: what it says, checked against the sample files themselves;
made again alike for any week; sent once per week, and never for a backfilled week."""

import json
from collections import Counter
from datetime import date

import dagster as dg
import pytest
from slack_receiver import SlackReceiver, payload_problem
from webhook_receiver import SECRET, Receiver

from carnivore_orchestration.alerts import slack
from carnivore_orchestration.alerts.delivery import send_due
from carnivore_orchestration.alerts.outbox import list_events
from carnivore_orchestration.cli import runs
from carnivore_orchestration.content.loading import load_week
from carnivore_orchestration.content.store import write_week
from carnivore_orchestration.homepage.digest import SHOWN, NotImported, build_digest, markdown
from carnivore_orchestration.resources import AlertsResource, ContentSource, PostgresResource
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

FILES = sorted(BUNDLED_CONTENT_DIR.glob("*.json"))
WEEKS = [date.fromisoformat(path.stem) for path in FILES]


def _content(path):
    return load_week(path, date.fromisoformat(path.stem))


def _expected(index: int) -> dict:
    """What week `index` changed, worked out from the files alone."""
    weeks = [_content(path) for path in FILES[: index + 1]]
    this, before = weeks[-1], weeks[-2] if index else None
    last_score = {}
    for week in weeks[:-1]:
        last_score.update({t.name: t.engagement_score for t in week.topics})
    ranked = sorted([(t.engagement_score, 0, t.name.lower(), t.name) for t in this.topics]
                    + [(v.score, 1, v.title.lower(), v.title) for v in this.videos],
                    key=lambda item: (-item[0], item[1], item[2].encode()))
    mentions = Counter(name for t in this.topics for name in t.creators)
    videos = Counter(v.creator for v in this.videos if v.creator)
    return {
        "new": [t.name for t in this.topics if t.name not in last_score],
        "jumps": [t.name for t in this.topics if t.name in last_score and t.engagement_score > 1.2 * last_score[t.name]],
        "fell_off": sorted(t.name for t in before.topics if t.name not in {x.name for x in this.topics}) if before else [],
        "hero": ranked[0][3],
        "top_creator_total": max(mentions[n] + videos[n] for n in set(mentions) | set(videos)),
    }


def test_each_sample_week_says_what_its_file_changed(db):
    for index, path in enumerate(FILES):
        write_week(db, WEEKS[index], _content(path))
        digest = build_digest(db, WEEKS[index])
        expected = _expected(index)
        assert sorted(t.name for t in digest.new_topics) == sorted(expected["new"]), path.name
        assert sorted(t.name for t in digest.jumps) == sorted(expected["jumps"]), path.name
        assert sorted(t.name for t in digest.fell_off) == expected["fell_off"], path.name
        assert digest.hero.title == expected["hero"], path.name
        assert digest.creators[0].topic_mentions + digest.creators[0].videos == expected["top_creator_total"]
        assert len(digest.creators) <= SHOWN and len(digest.grid_moves) <= SHOWN
        assert all(move.previous_position != move.position for move in digest.grid_moves)
    assert any(build_digest(db, week).jumps for week in WEEKS), "the samples have a jump"
    assert any(build_digest(db, week).fell_off for week in WEEKS), "and topics that vanish"


def test_the_markdown_reads_in_a_minute(db):
    for index in (0, 1):
        write_week(db, WEEKS[index], _content(FILES[index]))
    first, second = markdown(build_digest(db, WEEKS[0])), markdown(build_digest(db, WEEKS[1]))
    assert first.startswith(f"### Week of {WEEKS[0]} (the first week imported)")
    assert "- nothing to compare with" in first and "the first week" in first
    assert second.startswith(f"### Week of {WEEKS[1]} (against {WEEKS[0]})")
    for part in ("**New topics (", "**Jumped more than 20 % (", "**Fell off (", "**Biggest moves in the grid**",
                 "**Creators mentioned most**", "**Hero:**"):
        assert part in second
    assert len(second.split()) < 300  # a minute's reading


def test_a_week_digests_alike_whenever_it_is_made(db):
    """A backfill gives the week's digest as it was: later weeks do not change it."""
    write_week(db, WEEKS[0], _content(FILES[0]))
    write_week(db, WEEKS[1], _content(FILES[1]))
    then = build_digest(db, WEEKS[1])
    for index in range(2, len(FILES)):
        write_week(db, WEEKS[index], _content(FILES[index]))
    assert build_digest(db, WEEKS[1]) == then
    with pytest.raises(NotImported, match="has not been imported"):
        build_digest(db, date(2026, 1, 5))


def test_the_slack_digest_is_a_message_slack_takes(db):
    for index in range(3):
        write_week(db, WEEKS[index], _content(FILES[index]))
    payload = build_digest(db, WEEKS[2]).payload()
    message = slack.message(payload, "http://ui.test:3000")
    assert payload_problem(json.dumps(message)) is None
    assert message["text"] == payload["text"] and message["text"].startswith(f"Carnivore Weekly, week of {WEEKS[2]}")
    assert message["blocks"][0]["text"]["text"] == f"🗞 Carnivore Weekly digest: Week of {WEEKS[2]} (against {WEEKS[1]})"
    assert message["blocks"][-1]["elements"][0]["url"].endswith(f"/assets/weekly_digest?view=partitions&partition={WEEKS[2]}")
    json.dumps(payload)  # the outbox stores it as JSON


@pytest.fixture
def hooks():
    signed, slack_hook = Receiver().start(), SlackReceiver().start()
    yield signed, slack_hook
    signed.stop()
    slack_hook.stop()


def test_sent_once_per_week_and_never_for_a_backfill(db, db_url, hooks):
    signed, slack_hook = hooks
    alerts = AlertsResource(editors_url=signed.url, editors_slack_url=slack_hook.url, secret=SECRET,
                            base_delay=0.01, timeout=2.0)
    resources = {"postgres": PostgresResource(url=db_url), "content": ContentSource(directory=str(BUNDLED_CONTENT_DIR)),
                 "alerts": alerts}

    def digest_run(week):
        result = runs.run_job("weekly_import_job", week.isoformat(), instance=instance, resources=resources)
        return runs.materializations(result)["weekly_digest"]

    def digests():
        return [(e.destination, e.text) for e in list_events(db) if e.kind == "weekly_digest"]

    with dg.instance_for_test() as instance:
        for week in WEEKS[:2] + WEEKS[3:]:
            metadata = digest_run(week)
            assert metadata["sent"] == "queued for the editors (2 endpoint queues)"
        assert metadata["digest"].startswith(f"### Week of {WEEKS[-1]}")
        assert len(digests()) == 2 * 4
        assert digest_run(WEEKS[-1])["sent"] == "already sent for this week"
        late = digest_run(WEEKS[2])  # a week that arrives late: its digest is for the UI
        assert late["sent"] == "not sent: a backfilled week pages nobody"
        assert late["digest"].startswith(f"### Week of {WEEKS[2]} (against {WEEKS[1]})")
        assert len(digests()) == 8
    send_due(db, alerts.settings(), ["editors", "editors_slack"])
    sent = [json.loads(r["body"]) for r in signed.requests if json.loads(r["body"])["event"] == "weekly_digest"]
    assert [d["week"] for d in sent] == [w.isoformat() for w in WEEKS[:2] + WEEKS[3:]]
    assert all(d["markdown"].startswith(f"### Week of {d['week']}") for d in sent)
    in_slack = [m for m in slack_hook.messages if m["blocks"][0]["text"]["text"].startswith("🗞")]
    assert [m["text"] for m in in_slack] == [d["text"] for d in sent]
