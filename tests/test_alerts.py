"""Trend-spike and failure alerts, delivered to a real HTTP server on 127.0.0.1."""

import json
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime

import dagster as dg
import pytest
from click.testing import CliRunner
from failing_runs import failed_import, sense_failure
from standardwebhooks.webhooks import Webhook
from webhook_receiver import SECRET, Receiver

from carnivore_orchestration.alerts.delivery import claim, deliver_event, retry_delay, send_due
from carnivore_orchestration.alerts.outbox import readiness, requeue
from carnivore_orchestration.alerts.settings import AlertSettings
from carnivore_orchestration.alerts.signing import signed_headers
from carnivore_orchestration.cli import main, runs
from carnivore_orchestration.content.loading import load_week
from carnivore_orchestration.content.store import write_week
from carnivore_orchestration.defs.sensors import build_sensors
from carnivore_orchestration.resources import AlertsResource, ContentSource, PostgresResource
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

WEEKS = sorted(BUNDLED_CONTENT_DIR.glob("*.json"))
BOTH = ["editors", "oncall"]
SENSORS = {sensor.name: sensor for sensor in build_sensors(running=True)}


def test_the_standard_webhooks_test_vector():
    headers = signed_headers(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", '{"test": 2432232314}',
                             datetime.fromtimestamp(1614265330, tz=UTC))
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert headers["webhook-timestamp"] == "1614265330"


def test_backoff_grows_is_jittered_capped_and_honours_retry_after():
    import random

    rng = random.Random(1)
    delays = [retry_delay(n, 2, 600, rng=rng) for n in range(1, 12)]
    assert all(2 ** (n - 1) <= d <= 2 ** n for n, d in enumerate(delays[:8], start=1))
    assert max(delays) <= 600
    assert retry_delay(1, 2, 600, retry_after=30, rng=rng) == 30


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def _settings(url, **overrides):
    values = {"editors_url": url, "oncall_url": url, "secret": SECRET, "base_delay": 0.01, "timeout": 2.0}
    values.update(overrides)
    return AlertSettings(**values)


def _import(db, path):
    week = date.fromisoformat(path.stem)
    return write_week(db, week, load_week(path, week))


def _events(db, status=None):
    return db.execute(
        "SELECT id, kind, payload FROM alert_events WHERE %(s)s::text IS NULL OR status = %(s)s ORDER BY seq",
        {"s": status},
    ).fetchall()


def _topics(path):
    document = json.loads(path.read_text())
    return {t["topic"]: t["engagement_score"] for t in document.get("analysis", document)["trending_topics"]}


def test_events_are_new_topics_and_jumps_of_the_newest_week_only(db):
    """Each week in order yields exactly its first-seen topics and the topics whose score
    rose by more than 20 % over the last week they appeared in."""
    last_seen: dict[str, int] = {}
    jumps = 0
    for path in WEEKS:
        topics = _topics(path)
        expected = {(t, "new_topic") for t in topics if t not in last_seen}
        expected |= {(t, "score_jump") for t, score in topics.items() if t in last_seen and score > 1.2 * last_seen[t]}
        before = len(_events(db))
        written = _import(db, path)
        added = _events(db)[before:]
        assert {(p["topic_name"], kind) for _, kind, p in added} == expected, path.name
        assert written.alerts == len(expected)
        for _, kind, payload in added:
            if kind == "score_jump":
                jumps += 1
                previous = last_seen[payload["topic_name"]]
                assert payload["previous_score"] == previous
                assert payload["change_percent"] == round(100 * (payload["engagement_score"] / previous - 1), 1)
                assert set(payload) >= {"event", "topic_name", "engagement_score", "mention_count", "timestamp",
                                        "creators", "kind", "topic_slug", "week", "previous_score",
                                        "change_percent", "text"}
        last_seen.update(topics)
    assert jumps >= 1, "the samples have a jump"
    # Re-running a week pages nobody again.
    count = len(_events(db))
    assert _import(db, WEEKS[-1]).alerts == 0
    assert len(_events(db)) == count


def test_a_backfilled_week_raises_no_alerts_about_itself(db, tmp_path):
    """It pages nobody about the past; what it can add is the newest week's jumps over
    it, which an in-order import would have raised (tests/test_faults.py)."""
    _import(db, WEEKS[1])
    before = {key for key, in db.execute("SELECT dedupe_key FROM alert_events")}
    older = tmp_path / WEEKS[0].name
    document = json.loads(WEEKS[0].read_text())
    document["analysis"]["trending_topics"].append({"topic": "Only In The Past", "engagement_score": 99})
    older.write_text(json.dumps(document))
    _import(db, older)
    added = {key for key, in db.execute("SELECT dedupe_key FROM alert_events")} - before
    assert all(key.endswith(f":{WEEKS[1].stem}:score_jump") for key in added)
    assert not db.execute("SELECT count(*) FROM alert_events WHERE week = %s", [WEEKS[0].stem]).fetchone()[0]


def test_delivered_signed_once_each(db, receiver):
    _import(db, WEEKS[0])
    outcomes = send_due(db, _settings(receiver.url), BOTH)
    assert {o.status for o in outcomes} == {"delivered"}
    ids = [event_id for event_id, _, _ in _events(db)]
    assert receiver.delivered_ids == Counter({event_id: 1 for event_id in ids})
    verifier = Webhook(SECRET)
    for request in receiver.requests:
        verifier.verify(request["body"], request["headers"])  # raises if the signature is wrong
        assert json.loads(request["body"])["event"] == "trending_topic_spike_detected"
    assert send_due(db, _settings(receiver.url), BOTH) == []  # nothing left to send


def test_receiver_down_then_up_delivers_every_event_exactly_once(db):
    _import(db, WEEKS[0])
    down = Receiver()  # nothing listens on its port yet
    settings = _settings(down.url)
    first = send_due(db, settings, BOTH)
    assert {o.status for o in first} == {"retry"}
    assert all("ConnectError" in o.detail for o in first)
    down.start()
    try:
        deadline = time.monotonic() + 10
        while _events(db, "pending") and time.monotonic() < deadline:
            time.sleep(0.05)
            send_due(db, settings, BOTH)
        ids = [event_id for event_id, _, _ in _events(db)]
        assert down.delivered_ids == Counter({event_id: 1 for event_id in ids})
        assert _events(db, "delivered") and not _events(db, "pending")
    finally:
        down.stop()


def _one_event(db):
    _import(db, WEEKS[0])
    event_id = _events(db)[0][0]
    db.execute("UPDATE alert_events SET status = 'delivered' WHERE id <> %s", [event_id])
    return event_id


def _attempts(db, event_id):
    return db.execute("SELECT status_code, error FROM alert_attempts WHERE event_id = %s ORDER BY id",
                      [event_id]).fetchall()


def test_500_then_200_is_one_event_and_two_attempts(db, receiver):
    event_id = _one_event(db)
    receiver.responses.append((500, 0, {}))
    settings = _settings(receiver.url)
    assert deliver_event(db, event_id, settings).status == "retry"
    assert deliver_event(db, event_id, settings).status == "delivered"
    assert [code for code, _ in _attempts(db, event_id)] == [500, 200]
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [event_id, event_id]
    assert receiver.delivered_ids == Counter({event_id: 1})


def test_a_receiver_slower_than_the_timeout_is_retried(db, receiver):
    event_id = _one_event(db)
    receiver.responses.append((200, 1.0, {}))
    settings = _settings(receiver.url, timeout=0.3)
    outcome = deliver_event(db, event_id, settings)
    assert outcome.status == "retry" and "no answer within 0.3 s" in outcome.detail
    assert deliver_event(db, event_id, settings).status == "delivered"
    assert [error for _, error in _attempts(db, event_id)][0].startswith("no answer")


def test_429_honours_retry_after(db, receiver):
    event_id = _one_event(db)
    receiver.responses.append((429, 0, {"Retry-After": "7"}))
    outcome = deliver_event(db, event_id, _settings(receiver.url))
    assert outcome.status == "retry" and outcome.retry_in == 7
    due = db.execute("SELECT next_attempt_at - now() FROM alert_events WHERE id = %s", [event_id]).fetchone()[0]
    assert 6 < due.total_seconds() <= 7.5


def test_400_fails_at_once_and_can_be_sent_again(db, receiver):
    event_id = _one_event(db)
    receiver.responses.append((400, 0, {}))
    settings = _settings(receiver.url)
    assert deliver_event(db, event_id, settings).status == "failed"
    assert deliver_event(db, event_id, settings).status == "skipped"  # failed events are not retried
    assert len(receiver.requests) == 1
    last = db.execute("SELECT max(seq) FROM alert_events").fetchone()[0]
    assert requeue(db, event_id) == 1
    assert db.execute("SELECT status, attempts, seq > %s FROM alert_events WHERE id = %s",
                      [last, event_id]).fetchone() == ("pending", 0, True)
    assert deliver_event(db, event_id, settings).status == "delivered"


def test_retries_give_up_and_leave_the_event_visible_as_failed(db, receiver):
    event_id = _one_event(db)
    receiver.responses.extend([(503, 0, {})] * 3)
    settings = _settings(receiver.url, max_attempts=3)
    assert [deliver_event(db, event_id, settings).status for _ in range(3)] == ["retry", "retry", "failed"]
    status, error = db.execute("SELECT status, last_error FROM alert_events WHERE id = %s", [event_id]).fetchone()
    assert status == "failed" and "gave up after 3 attempts" in error


def test_410_disables_the_endpoint_until_enabled(db, receiver, monkeypatch, db_url):
    event_id = _one_event(db)
    receiver.responses.append((410, 0, {}))
    settings = _settings(receiver.url)
    assert deliver_event(db, event_id, settings).status == "waiting"
    assert deliver_event(db, event_id, settings).status == "waiting"
    assert len(receiver.requests) == 1  # not called again while disabled
    monkeypatch.setenv("CARNIVORE_DATABASE_URL", db_url)
    result = CliRunner().invoke(main, ["alerts", "enable", receiver.url])
    assert result.exit_code == 0 and "1 alert(s) queued again" in result.output
    assert deliver_event(db, event_id, settings).status == "delivered"


def test_concurrent_senders_never_send_an_event_twice(db, db_url, receiver):
    import psycopg

    for path in WEEKS:
        _import(db, path)
    receiver.responses.extend([(200, 0.02, {})] * 100)
    settings = _settings(receiver.url)

    def sender():
        with psycopg.connect(db_url, autocommit=True) as conn:
            send_due(conn, settings, BOTH)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [event_id for event_id, _, _ in _events(db)]
    assert receiver.delivered_ids == Counter({event_id: 1 for event_id in ids})
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == ids  # four senders, one order


def _resources(db_url, url, content_dir=BUNDLED_CONTENT_DIR, **alerts):
    values = {"editors_url": url, "secret": SECRET, "base_delay": 0.01, "timeout": 2.0, **alerts}
    return {"postgres": PostgresResource(url=db_url), "alerts": AlertsResource(**values),
            "content": ContentSource(directory=str(content_dir))}


def _dispatch(instance, resources):
    """One tick of alert_outbox_sensor: its run requests, or its skip reason."""
    return SENSORS["alert_outbox_sensor"](dg.build_sensor_context(instance=instance, resources=resources))


def _deliver(request, instance, resources):
    return runs.run_job("deliver_alert_job", ops=request.run_config["ops"], instance=instance, resources=resources)


def test_the_head_of_each_queue_is_one_run_which_delivers_the_queue_in_order(db, db_url, receiver):
    _import(db, WEEKS[0])
    db.execute("INSERT INTO alert_events (destination, kind, dedupe_key, payload)"
               " VALUES ('oncall', 'run_failure', 'run:r1', '{\"text\": \"r1 failed\"}')")
    queue = [event_id for event_id, _, _ in _events(db)]  # in order of creation
    resources = _resources(db_url, receiver.url, oncall_url=receiver.url)
    with dg.instance_for_test() as instance:
        requests = _dispatch(instance, resources)
        heads = [r.run_config["ops"]["deliver_alert"]["config"]["event_id"] for r in requests]
        assert heads == [queue[0], queue[-1]]  # the editors' oldest event, and on-call's
        assert all(":attempt-1:" in r.run_key for r in requests)
        # The next tick finds the heads held for their runs, and nothing may pass them.
        assert isinstance(_dispatch(instance, resources), dg.SkipReason)
        # Even if a run were launched twice for one event, it is delivered once.
        for _ in range(2):
            assert _deliver(requests[0], instance, resources).success
        _deliver(requests[1], instance, resources)
    assert receiver.delivered_ids == Counter({event_id: 1 for event_id in queue})
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == queue


def test_an_event_behind_a_failing_one_waits_for_it(db, receiver):
    _import(db, WEEKS[0])
    head, second, *rest = [event_id for event_id, _, _ in _events(db)]
    receiver.responses.append((503, 0, {}))
    settings = _settings(receiver.url)
    assert [(o.event_id, o.status) for o in send_due(db, settings, BOTH)] == [(head, "retry")]
    assert deliver_event(db, second, settings).status == "skipped"  # not even when named
    db.execute("UPDATE alert_events SET next_attempt_at = now() WHERE id = %s", [head])
    assert [o.event_id for o in send_due(db, settings, BOTH)] == [head, second, *rest]
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [head, head, second, *rest]


def test_a_failed_attempt_comes_back_as_a_new_run_when_the_outbox_says(db, db_url, receiver):
    """No op sleeps or retries: each attempt is its own run, dispatched when the event is due."""
    event_id = _one_event(db)
    receiver.responses.extend([(502, 0, {}), (503, 0, {})])
    resources = _resources(db_url, receiver.url)
    keys = []
    with dg.instance_for_test() as instance:
        for _ in range(20):
            requests = _dispatch(instance, resources)
            if isinstance(requests, dg.SkipReason):
                if not _events(db, "pending") and not _events(db, "sending"):
                    break
                time.sleep(0.02)  # the retry delay is 10 ms here
                continue
            assert len(requests) == 1
            keys.append(requests[0].run_key)
            assert _deliver(requests[0], instance, resources).success
    assert [code for code, _ in _attempts(db, event_id)] == [502, 503, 200]
    assert [key.split(":")[1] for key in keys] == ["attempt-1", "attempt-2", "attempt-3"]
    assert receiver.delivered_ids == Counter({event_id: 1})


def test_an_event_whose_sender_died_is_dispatched_again_after_its_lease(db, db_url, receiver):
    event_id = _one_event(db)
    resources = _resources(db_url, receiver.url)
    with dg.instance_for_test() as instance:
        first = _dispatch(instance, resources)
        assert claim(db, event_id)  # the run claimed it, then died before posting
        db.execute("UPDATE alert_events SET next_attempt_at = now() - interval '1 second' WHERE id = %s", [event_id])
        again = _dispatch(instance, resources)
        assert [r.run_key for r in again] != [r.run_key for r in first]
        _deliver(again[0], instance, resources)
    assert receiver.delivered_ids == Counter({event_id: 1})


def test_without_a_url_events_wait_untouched_and_go_out_once_it_is_set(db, db_url, receiver):
    _import(db, WEEKS[0])
    due = db.execute("SELECT id, next_attempt_at FROM alert_events ORDER BY seq").fetchall()
    with dg.instance_for_test() as instance:
        skipped = _dispatch(instance, _resources(db_url, None))
        assert isinstance(skipped, dg.SkipReason)
        assert f"{len(due)} pending until editors: CARNIVORE_WEBHOOK_URL is not set" in skipped.skip_message
        assert db.execute("SELECT id, next_attempt_at FROM alert_events ORDER BY seq").fetchall() == due
        # `carnivore alerts send` without a URL: nothing is ready, nothing is claimed or sent.
        ready = readiness(db, AlertSettings(secret=SECRET))
        assert ready.ready == [] and "CARNIVORE_WEBHOOK_URL is not set" in ready.waiting["editors"]
        assert send_due(db, AlertSettings(secret=SECRET), ready.ready) == [] and receiver.requests == []
        assert db.execute("SELECT id, next_attempt_at FROM alert_events ORDER BY seq").fetchall() == due
        # Set, the queue goes out from its head.
        requests = _dispatch(instance, _resources(db_url, receiver.url))
        assert [r.run_config["ops"]["deliver_alert"]["config"]["event_id"] for r in requests] == [due[0][0]]


def test_a_disabled_endpoint_holds_its_events_back(db, db_url, receiver):
    _one_event(db)
    receiver.responses.append((410, 0, {}))
    resources = _resources(db_url, receiver.url)
    with dg.instance_for_test() as instance:
        _deliver(_dispatch(instance, resources)[0], instance, resources)
        skipped = _dispatch(instance, resources)
        assert isinstance(skipped, dg.SkipReason) and "410 Gone" in skipped.skip_message
    assert len(receiver.requests) == 1


def test_a_failing_run_queues_one_on_call_alert_and_the_outbox_delivers_it(db, db_url, receiver, tmp_path):
    (tmp_path / f"{WEEKS[0].stem}.json").write_text("<html>502 Bad Gateway</html>")
    resources = _resources(db_url, receiver.url, content_dir=tmp_path, ui_url="http://ui.test:3000")
    with dg.instance_for_test() as instance:
        run, failure = failed_import(instance, WEEKS[0].stem, resources)
        for _ in range(2):  # a sensor that sees the same failure twice still queues one alert
            sense_failure(instance, run, failure, resources)
        assert receiver.requests == []  # the sensor posts nothing itself
        assert [kind for _, kind, _ in _events(db, "pending")] == ["run_failure"] == [k for _, k, _ in _events(db)]
        requests = _dispatch(instance, resources)
        assert len(requests) == 1
        _deliver(requests[0], instance, resources)
    oncall = [json.loads(r["body"]) for r in receiver.requests]
    assert len(oncall) == 1
    alert = oncall[0]
    assert (alert["job"], alert["run_id"], alert["partition"]) == ("weekly_import_job", run.run_id, WEEKS[0].stem)
    assert "not valid JSON" in alert["error"] and alert["url"] == f"http://ui.test:3000/runs/{run.run_id}"


def test_the_delivery_job_has_no_retry_of_its_own():
    from carnivore_orchestration.defs.alerts import deliver_alert, deliver_alert_job

    assert deliver_alert.retry_policy is None
    assert "dagster/max_retries" not in deliver_alert_job.tags


@pytest.fixture
def alert_env(monkeypatch, db_url, receiver):
    monkeypatch.setenv("CARNIVORE_DATABASE_URL", db_url)
    monkeypatch.setenv("CARNIVORE_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("CARNIVORE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("CARNIVORE_ALERT_RETRY_BASE_SECONDS", "0.01")
    return receiver


def test_the_cli_lists_sends_and_retries(db, alert_env):
    _import(db, WEEKS[0])
    runner = CliRunner()
    listed = runner.invoke(main, ["alerts", "list"])
    assert listed.exit_code == 0 and listed.output.count("pending") == len(_events(db))
    alert_env.responses.append((400, 0, {}))
    sent = runner.invoke(main, ["alerts", "send"])
    assert sent.exit_code == 0 and f"{len(_events(db)) - 1} delivered" in sent.output
    failed = runner.invoke(main, ["alerts", "list", "--status", "failed"]).output
    assert failed.count("failed") == 1 and "HTTP 400" in failed
    assert "1 alert(s) queued again" in runner.invoke(main, ["alerts", "retry", "--all-failed"]).output
    assert "1 delivered" in runner.invoke(main, ["alerts", "send"]).output
    assert runner.invoke(main, ["alerts", "retry"]).exit_code != 0


def test_carnivore_dev_says_once_what_holds_the_outbox_and_never_prints_a_url(db, monkeypatch):
    from carnivore_orchestration.devserver import alert_summary

    _one_event(db)
    for name in ("CARNIVORE_WEBHOOK_URL", "CARNIVORE_ONCALL_WEBHOOK_URL", "CARNIVORE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert alert_summary(db).startswith("1 pending; held until editors: CARNIVORE_WEBHOOK_URL is not set")
    monkeypatch.setenv("CARNIVORE_WEBHOOK_URL", "http://127.0.0.1:9/T0/B0/secret-token")
    monkeypatch.setenv("CARNIVORE_WEBHOOK_SECRET", SECRET)
    configured = alert_summary(db)
    assert configured == "1 pending; endpoints configured: editors, oncall" and "secret-token" not in configured
