"""The Dagster UI checked in a real headless Chromium (Debian's package, driven by
Playwright with its executable_path): the asset graph shows every asset, the latest
sample week runs, and the grid preview is in bento_grid_items' metadata.

Runs in CI; deselect locally with `-m "not e2e"`. Screenshots go to a temporary folder,
or to docs/img/ with CARNIVORE_UPDATE_SCREENSHOTS=1 (as the README's were made)."""

import os
import shutil
import time
from pathlib import Path

import pytest
from dev_server import graphql

from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR, PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
GROUPS = {
    "weekly_import": ["analyzed_content", "trending_topics", "top_videos", "creators"],
    "homepage": ["bento_grid_items", "homepage_grid"],
    "maintenance": ["content_engagement_partitions"],
}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason="needs Debian's chromium (`apt-get install chromium`; CI installs it)"),
]


def _repository(port: int) -> dict:
    repositories = graphql(port, "{ repositoriesOrError { ... on RepositoryConnection {"
                                 " nodes { name location { name } } } } }")
    return repositories["data"]["repositoriesOrError"]["nodes"][0]


def _launch_week(port: int, week: str) -> str:
    repository = _repository(port)
    result = graphql(port, f"""mutation {{ launchRun(executionParams: {{
        selector: {{ repositoryLocationName: "{repository['location']['name']}",
                     repositoryName: "{repository['name']}", jobName: "weekly_import_job" }},
        executionMetadata: {{ tags: [{{ key: "dagster/partition", value: "{week}" }}] }} }}) {{
        __typename ... on LaunchRunSuccess {{ run {{ runId }} }} ... on PythonError {{ message }} }} }}""")
    launched = result["data"]["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def _wait_for_run(port: int, run_id: str, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = graphql(port, f'{{ runOrError(runId: "{run_id}") {{ ... on Run {{ status }} }} }}')
        state = status["data"]["runOrError"]["status"]
        if state in ("SUCCESS", "FAILURE", "CANCELED"):
            return state
        time.sleep(1)
    return "TIMEOUT"


def test_the_ui_shows_the_assets_runs_a_week_and_previews_the_grid(dev_server, tmp_path):
    from playwright.sync_api import sync_playwright

    port, _, _, log = dev_server
    shots = PROJECT_ROOT / "docs" / "img" if os.environ.get("CARNIVORE_UPDATE_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    latest = sorted(BUNDLED_CONTENT_DIR.glob("*.json"))[-1].stem
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        location = _repository(port)["location"]["name"]
        # Each group's lineage graph, with its assets drawn (the global one folds groups).
        for group, assets in GROUPS.items():
            page.goto(f"http://127.0.0.1:{port}/locations/{location}/asset-groups/{group}/lineage",
                      wait_until="domcontentloaded")
            for asset in assets:
                page.get_by_text(asset, exact=True).first.wait_for(timeout=60_000)
            if group == "weekly_import":
                page.screenshot(path=str(shots / "asset-graph.png"))

        run_id = _launch_week(port, latest)
        assert _wait_for_run(port, run_id) == "SUCCESS", Path(log).read_text()[-3000:]

        page.goto(f"http://127.0.0.1:{port}/assets/bento_grid_items", wait_until="domcontentloaded")
        # "featured" is a slot only the grid preview (the Markdown table in the metadata) shows.
        featured = page.get_by_text("featured", exact=True).first
        featured.wait_for(timeout=60_000)
        featured.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "grid-preview.png"))
        browser.close()
    assert (shots / "asset-graph.png").stat().st_size > 10_000
