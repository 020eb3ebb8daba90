"""The Dagster UI checked in a real headless Chromium (Debian's package, driven by
Playwright with its executable_path): the asset graph shows every asset, the latest
sample week runs and the grid preview is in bento_grid_items' metadata; and a failed
run as on-call meets it: one signed page, the link in it opening the run with its error.

Runs in CI; deselect locally with `-m "not e2e"`. Screenshots go to a temporary folder,
or to docs/img/ with CARNIVORE_UPDATE_SCREENSHOTS=1 (as the README's were made)."""

import base64
import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from xml.sax.saxutils import escape

import psycopg
import pytest
from standardwebhooks.webhooks import Webhook
from webhook_receiver import SECRET, Receiver

from bench.dagster_ui import serving
from bench.server import free_port
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR, PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
GROUPS = {
    "weekly_import": ["analyzed_content", "trending_topics", "top_videos", "creators"],
    "homepage": ["bento_grid_items", "homepage_grid", "weekly_digest"],
    "maintenance": ["content_engagement_partitions"],
}
MISSING_WEEK = "2026-10-12"  # a Monday in the partitions with no bundled file

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason="needs Debian's chromium (`apt-get install chromium`; CI installs it)"),
]


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = PROJECT_ROOT / "docs" / "img" if os.environ.get("CARNIVORE_UPDATE_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def _browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            yield browser.new_page(viewport={"width": 1600, "height": 1000})
        finally:
            browser.close()


def _open_markdown(page, key: str) -> None:
    """Open a metadata entry's Markdown, which the UI shows in a dialog when it is long."""
    row = page.locator("tr").filter(has=page.get_by_text(key, exact=True))
    row.get_by_text("[Show Markdown]").first.click(timeout=60_000)


def test_the_ui_shows_the_assets_runs_a_week_and_previews_the_grid(dev_server, shots):
    latest = sorted(BUNDLED_CONTENT_DIR.glob("*.json"))[-1].stem
    base = f"http://127.0.0.1:{dev_server.port}"
    with _browser() as page:
        location = dev_server.repository()["location"]["name"]
        # Each group's lineage graph, with its assets drawn (the global one folds groups).
        for group, assets in GROUPS.items():
            page.goto(f"{base}/locations/{location}/asset-groups/{group}/lineage", wait_until="domcontentloaded")
            for asset in assets:
                page.get_by_text(asset, exact=True).first.wait_for(timeout=60_000)
            if group == "weekly_import":
                page.screenshot(path=str(shots / "asset-graph.png"))

        record = dev_server.wait(dev_server.launch("weekly_import_job", {"dagster/partition": latest}))
        assert record["status"] == "SUCCESS", dev_server.tail()

        page.goto(f"{base}/assets/bento_grid_items", wait_until="domcontentloaded")
        # "featured" is a slot only the grid preview (the Markdown table in the metadata) shows.
        featured = page.get_by_text("featured", exact=True).first
        featured.wait_for(timeout=60_000)
        featured.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "grid-preview.png"))

        # The homepage as readers will see it: the picture on homepage_grid, loaded and drawn.
        page.goto(f"{base}/assets/homepage_grid", wait_until="domcontentloaded")
        _open_markdown(page, "picture")  # the UI inlines Markdown under 1,000 characters only
        picture = page.get_by_alt_text("The homepage grid").first
        picture.wait_for(timeout=60_000)
        picture.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
        drawn = base64.b64decode(picture.get_attribute("src").split(",", 1)[1]).decode()
        with psycopg.connect(dev_server.database_url) as conn:
            homepage = [title for (title,) in conn.execute(
                "SELECT content_title FROM homepage_grid ORDER BY grid_position")]
        tiles = re.findall(r'<g class="tile" data-position="(\d+)" data-slot="(\w+)">', drawn)
        assert tiles == [(str(n), slot) for n, slot in enumerate(
            ["hero", "featured", "featured", "featured", "featured", "standard", "standard"], start=1)]
        assert all(word in drawn for word in escape(homepage[0]).split())  # the hero's title, wrapped
        assert picture.evaluate("img => img.naturalWidth") == int(re.search(r'width="(\d+)"', drawn)[1])
        picture.screenshot(path=str(shots / "homepage-picture.png"))

        # The editors' digest of the week, as Markdown on weekly_digest.
        page.goto(f"{base}/assets/weekly_digest?view=partitions&partition={latest}", wait_until="domcontentloaded")
        moves = page.get_by_text("Biggest moves in the grid").first
        moves.wait_for(timeout=60_000)
        moves.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "weekly-digest.png"))
    assert (shots / "asset-graph.png").stat().st_size > 10_000
    assert (shots / "homepage-picture.png").stat().st_size > 10_000


def test_a_failed_run_as_on_call_meets_it(tmp_path, empty_db_url, shots):
    receiver = Receiver().start()
    port = free_port()
    env = {"CARNIVORE_ONCALL_WEBHOOK_URL": receiver.url, "CARNIVORE_WEBHOOK_SECRET": SECRET,
           "CARNIVORE_UI_URL": f"http://127.0.0.1:{port}"}
    try:
        with serving(tmp_path / "home", empty_db_url, tmp_path / "dev.log", env=env, port=port) as ui:
            for sensor in ("run_failure_alert_sensor", "alert_outbox_sensor"):
                ui.start_sensor(sensor)
            ui.wait_for_first_tick("run_failure_alert_sensor")
            run_id = ui.launch("weekly_import_job", {"dagster/partition": MISSING_WEEK})
            record = ui.wait(run_id)
            assert record["status"] == "FAILURE" and record["tags"]["dagster/will_retry"] == "false"

            deadline = time.monotonic() + 180  # a tick of each sensor (30 s apart) and the delivery run
            while not receiver.requests:
                assert time.monotonic() < deadline, ui.tail()
                time.sleep(1)
            request = receiver.requests[0]
            page_body = Webhook(SECRET).verify(request["body"], request["headers"])
            assert page_body["run_id"] == run_id and page_body["retry"]["coming"] is False
            assert f"{MISSING_WEEK}.json: no such file" in page_body["error"]
            assert "It is not retried" in page_body["text"]

            with _browser() as page:
                page.goto(page_body["url"], wait_until="domcontentloaded")  # the link on-call clicks
                error = page.get_by_text(f"{MISSING_WEEK}.json: no such file").first
                error.wait_for(timeout=60_000)
                error.scroll_into_view_if_needed()
                page.screenshot(path=str(shots / "failed-run.png"))

            time.sleep(10)  # the retry daemon has looked at it by now: nothing relaunched
            imports = [r for r in ui.runs() if r["tags"].get("dagster/partition") == MISSING_WEEK]
            assert [r["runId"] for r in imports] == [run_id]
    finally:
        receiver.stop()
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0]["body"])["root_run_id"] == run_id
    assert (shots / "failed-run.png").stat().st_size > 10_000
