"""Alerts in Slack: the messages (Block Kit, checked as Slack checks them), and the
outbox's guarantees for a Slack endpoint beside a signed one, against local receivers
that answer as Slack does."""

import json
from collections import Counter
from datetime import date

import dagster as dg
import pytest
from failing_runs import SENSORS, failed_import, sense_failure
from slack_receiver import SlackReceiver, payload_problem
from webhook_receiver import SECRET, Receiver

from carnivore_orchestration.alerts import slack
from carnivore_orchestration.alerts.delivery import deliver_queue, send_due
from carnivore_orchestration.alerts.oncall import Retry, run_failure_payload
from carnivore_orchestration.alerts.outbox import enable_endpoint, list_events, readiness, record_run_failure
from carnivore_orchestration.alerts.settings import AlertSettings
from carnivore_orchestration.cli import runs
from carnivore_orchestration.content.loading import load_week
from carnivore_orchestration.content.store import write_week
from carnivore_orchestration.resources import AlertsResource, ContentSource, PostgresResource
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

WEEKS = sorted(BUNDLED_CONTENT_DIR.glob("*.json"))
EDITORS = ["editors", "editors_slack"]
SPIKE = {"event": "trending_topic_spike_detected", "kind": "score_jump", "topic_name": "Fat & <Butter>",
         "topic_slug": "fat-butter", "week": "2026-11-16", "engagement_score": 60, "previous_score": 40,
         "change_percent": 50.0, "mention_count": 3, "creators": ["Dr. Ken Berry", "Bart Kay & Friends", "Zoë"],
         "text": 'Trending topic jumped: "Fat & <Butter>" 40 → 60 (+50.0 %)'}


@pytest.fixture
def slack_hook():
    receiver = SlackReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def signed_hook():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def _settings(**urls) -> AlertSettings:
    return AlertSettings(secret=SECRET, base_delay=0.01, timeout=2.0, ui_url="http://ui.test:3000", **urls)


def _import(db, path, settings):
    week = date.fromisoformat(path.stem)
    return write_week(db, week, load_week(path, week), settings.destinations_for("editors"))


def _queue(db, destination):
    return [row for row in list_events(db) if row.destination == destination]


def test_a_trend_spike_reads_as_an_editor_would_want_it():
    message = slack.message(SPIKE, "http://ui.test:3000/")
    assert payload_problem(json.dumps(message)) is None
    assert message["text"] == SPIKE["text"]  # the plain-text fallback: notifications, screen readers
    header, section, actions, context = message["blocks"]
    assert header["text"]["text"] == "📈 Trending topic jumped: Fat & <Butter>"  # plain text is not markup
    assert section["text"]["text"] == "*Fat &amp; &lt;Butter&gt;*\nScore *40 → 60* (+50 %)"
    assert section["fields"][1]["text"] == "*Mentioned by 3*\nDr. Ken Berry, Bart Kay &amp; Friends, Zoë"
    assert actions["elements"][0]["url"] == "http://ui.test:3000/assets/trending_topics?view=partitions&partition=2026-11-16"
    assert "fat-butter" in context["elements"][0]["text"]
    new = slack.message({**SPIKE, "kind": "new_topic", "previous_score": None, "change_percent": None}, "http://ui")
    assert new["blocks"][1]["text"]["text"].endswith("New this week with a score of *60*")


def test_anything_too_long_for_slack_is_cut_to_fit():
    huge = {**SPIKE, "topic_name": "Butter " * 500, "creators": [f"Creator {n} " * 30 for n in range(400)],
            "mention_count": 400, "text": "x" * 50_000}
    message = slack.message(huge, "http://ui")
    assert payload_problem(json.dumps(message)) is None
    assert message["blocks"][1]["fields"][1]["text"].endswith("and 390 more")
    failure = run_failure_payload("weekly_import_job", "r1", "r1", "2026-11-16", ["step: " + "boom ``` " * 2000],
                                  "http://ui/runs/r1", Retry(coming=False, number=0, max_retries=2))
    message = slack.message(failure, "http://ui")
    assert payload_problem(json.dumps(message)) is None
    assert message["blocks"][0]["text"]["text"] == "🚨 weekly_import_job (2026-11-16) failed"
    assert message["blocks"][1]["text"]["text"].count("```") == 2  # the error's own fences cannot close the block
    assert message["blocks"][-2]["elements"][0]["url"] == "http://ui/runs/r1"


def test_every_editor_endpoint_gets_every_spike_once_in_order(db, slack_hook, signed_hook):
    settings = _settings(editors_url=signed_hook.url, editors_slack_url=slack_hook.url)
    assert settings.destinations_for("editors") == EDITORS
    for path in WEEKS[:2]:
        _import(db, path, settings)
    standard, slack_queue = _queue(db, "editors"), _queue(db, "editors_slack")
    assert [e.text for e in standard] == [e.text for e in slack_queue] and len(standard) > 5
    outcomes = send_due(db, settings, EDITORS)
    assert Counter(o.status for o in outcomes) == Counter(delivered=2 * len(standard))
    assert [m["text"] for m in slack_hook.messages] == [e.text for e in slack_queue]  # once each, in order
    assert signed_hook.delivered_ids == Counter(e.event_id for e in standard)
    assert all(r["answer"] == "ok" for r in slack_hook.requests)
    assert send_due(db, settings, EDITORS) == []
    # The webhook's secret path is not written anywhere.
    stored = db.execute("SELECT string_agg(url || coalesce(error, ''), ' ') FROM alert_attempts").fetchone()[0]
    assert "s3cr3tW3bh00kT0k3n" not in stored and "/services/T0CARNIV/B0EDITORS/s3cr" in stored


def test_invalid_payload_fails_at_once_and_lets_the_queue_go_on(db, slack_hook):
    settings = _settings(editors_slack_url=slack_hook.url)
    _import(db, WEEKS[0], settings)
    slack_hook.responses.append((400, 0, {}, "invalid_payload"))
    first, *rest = send_due(db, settings, ["editors_slack"])
    assert (first.status, first.detail) == ("failed", "HTTP 400 invalid_payload")
    assert rest and {o.status for o in rest} == {"delivered"}
    assert _queue(db, "editors_slack")[0].attempts == 1  # not retried: the message, not Slack, is wrong


def test_a_message_slack_would_refuse_is_refused_by_the_receiver(slack_hook):
    """The receiver checks what Slack checks, so the tests above could fail."""
    import httpx

    for body, error in [({"blocks": []}, "no_text"), ({"text": "t", "blocks": [{"type": "header", "text": {
            "type": "plain_text", "text": "x" * 151}}]}, "invalid_blocks")]:
        answer = httpx.post(slack_hook.url, json=body)
        assert (answer.status_code, answer.text) == (400, error)
    assert httpx.post(slack_hook.url, content=b"{nope").text == "invalid_payload"


def test_no_service_disables_the_slack_endpoint_not_the_signed_one(db, slack_hook, signed_hook):
    settings = _settings(editors_url=signed_hook.url, editors_slack_url=slack_hook.url)
    _import(db, WEEKS[0], settings)
    slack_hook.responses.append((404, 0, {}, "no_service"))
    outcomes = send_due(db, settings, EDITORS)
    waiting = [o for o in outcomes if o.status == "waiting"]
    assert len(waiting) == 1 and "HTTP 404 no_service: endpoint disabled" in waiting[0].detail
    assert {e.status for e in _queue(db, "editors")} == {"delivered"}  # a dead Slack holds back nothing else
    assert {e.status for e in _queue(db, "editors_slack")} == {"pending"}
    why = readiness(db, settings).waiting["editors_slack"]
    assert "no_service" in why and "s3cr3tW3bh00kT0k3n" not in why
    assert send_due(db, settings, readiness(db, settings).ready) == []
    enabled = enable_endpoint(db, slack_hook.url)  # as configured, secret and all
    assert (enabled.was_disabled, enabled.released) == (True, 1)
    assert {o.status for o in send_due(db, settings, EDITORS)} == {"delivered"}
    assert len(slack_hook.messages) == len(_queue(db, "editors_slack"))


def test_rate_limited_waits_as_long_as_slack_says(db, slack_hook):
    settings = _settings(editors_slack_url=slack_hook.url)
    _import(db, WEEKS[0], settings)
    slack_hook.responses.append((429, 0, {"Retry-After": "30"}, "rate_limited"))
    outcomes = send_due(db, settings, ["editors_slack"])
    assert [(o.status, o.detail) for o in outcomes] == [("retry", "HTTP 429 rate_limited")]
    assert outcomes[0].retry_in >= 30
    wait = db.execute("SELECT extract(epoch FROM next_attempt_at - now()) FROM alert_events"
                      " WHERE id = %s", [outcomes[0].event_id]).fetchone()[0]
    assert 28 < wait <= 31


def test_slack_down_is_retried_and_nothing_is_lost(db):
    down = SlackReceiver()  # nothing listens yet
    settings = _settings(editors_slack_url=down.url)
    _import(db, WEEKS[0], settings)
    assert [o.status for o in send_due(db, settings, ["editors_slack"])] == ["retry"]
    down.start()
    try:
        db.execute("UPDATE alert_events SET next_attempt_at = now()")
        head = _queue(db, "editors_slack")[0].event_id
        assert {o.status for o in deliver_queue(db, head, settings)} == {"delivered"}
        assert len(down.messages) == len(_queue(db, "editors_slack"))
    finally:
        down.stop()


def test_on_call_pages_go_to_their_own_endpoint(db, db_url, slack_hook, signed_hook, tmp_path):
    """Editors on a signed webhook, on-call in Slack: a failed run reaches only on-call's
    Slack, through the sensor and the delivery job."""
    (tmp_path / f"{WEEKS[0].stem}.json").write_text("<html>502 Bad Gateway</html>")
    alerts = AlertsResource(editors_url=signed_hook.url, oncall_slack_url=slack_hook.url, secret=SECRET,
                            base_delay=0.01, timeout=2.0, ui_url="http://ui.test:3000")
    resources = {"postgres": PostgresResource(url=db_url), "alerts": alerts,
                 "content": ContentSource(directory=str(tmp_path))}
    with dg.instance_for_test() as instance:
        run, failure = failed_import(instance, WEEKS[0].stem, resources)
        sense_failure(instance, run, failure, resources)
        assert [e.destination for e in list_events(db)] == ["oncall_slack"]
        [request] = SENSORS["alert_outbox_sensor"](dg.build_sensor_context(instance=instance, resources=resources))
        runs.run_job("deliver_alert_job", ops=request.run_config["ops"], instance=instance, resources=resources)
    assert signed_hook.requests == []
    [page] = slack_hook.messages
    assert page["blocks"][0]["text"]["text"] == f"🚨 weekly_import_job ({WEEKS[0].stem}) failed"
    assert "not valid JSON" in page["blocks"][1]["text"]["text"]
    assert page["blocks"][-2]["elements"][0]["url"] == f"http://ui.test:3000/runs/{run.run_id}"


def test_a_retried_run_pages_each_endpoint_once(db, slack_hook, signed_hook):
    settings = _settings(oncall_url=signed_hook.url, oncall_slack_url=slack_hook.url)
    payload = run_failure_payload("hourly_rerank_job", "r2", "r1", None, ["boom"], "http://ui/runs/r2",
                                  Retry(coming=False, number=1, max_retries=1))
    for _ in range(2):
        recorded = record_run_failure(db, payload, settings.destinations_for("oncall"))
    assert sorted(e.new for e in recorded) == [False, False] and len(recorded) == 2
    send_due(db, settings, ["oncall", "oncall_slack"])
    assert len(slack_hook.messages) == 1 and len(signed_hook.requests) == 1


def test_code_from_before_the_endpoint_queues_keeps_working(db):
    """A deploy migrates first and rolls the code out after: meanwhile the previous
    version's statements must still run (its spike call with one argument, its on-call
    upsert on the dedupe key), beside the new queues."""
    _import(db, WEEKS[0], _settings(editors_slack_url="http://127.0.0.1:9/services/T/B/x"))
    slack_events = len(_queue(db, "editors_slack"))
    assert db.execute("SELECT private.record_trend_spikes(max(week)) FROM analyzed_content_weeks").fetchone()[0] \
        == slack_events  # the one-argument call of the code before: the signed queue, as it was
    previous_upsert = ("INSERT INTO alert_events (destination, kind, dedupe_key, payload)"
                       " VALUES ('oncall', 'run_failure', %s, %s) ON CONFLICT (dedupe_key) DO UPDATE"
                       " SET payload = EXCLUDED.payload RETURNING xmax = 0")
    assert db.execute(previous_upsert, ["run:r9", '{"text": "r9 failed"}']).fetchone()[0] is True
    assert db.execute(previous_upsert, ["run:r9", '{"text": "r9 failed again"}']).fetchone()[0] is False
    recorded = record_run_failure(db, {"root_run_id": "r9", "text": "new"}, ["oncall", "oncall_slack"])
    assert [e.new for e in recorded] == [False, True]  # the page the old code queued is the same event


def test_404_is_gone_for_slack_but_a_failure_for_a_signed_webhook(db, signed_hook):
    """Slack says a webhook was revoked with 404 no_service; any other receiver's 404
    is a wrong address for this event, which fails it and leaves the endpoint alone."""
    settings = _settings(editors_url=signed_hook.url)
    _import(db, WEEKS[0], settings)
    signed_hook.responses.append((404, 0, {}))
    first, *rest = send_due(db, settings, ["editors"])
    assert (first.status, first.detail) == ("failed", "HTTP 404 Not Found")
    assert {o.status for o in rest} == {"delivered"}
    assert db.execute("SELECT count(*) FROM alert_endpoints").fetchone()[0] == 0
