"""The benchmark harness: how it reads pgbench, judges its table and keeps the README's
copy of it, and the real pgbench and pgbouncer it drives."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from bench import pgbench, report
from bench.report import Row
from bench.server import pgbouncer, pgbouncer_path

ROOT = Path(__file__).parent.parent

# Two transactions that completed (latency 1,500 µs ending at 100.000500 s; 250 µs
# ending at 100.002000 s), then one failed and one skipped, as pgbench logs them.
LOG = """0 0 1500 0 100 500
1 0 250 0 100 2000
0 1 failed 0 100 3000
1 1 skipped 0 100 4000 12
"""


def test_the_log_gives_each_completed_transaction_its_end_and_latency():
    assert pgbench.parse_log(LOG) == [(100_000_500, 1500), (100_002_000, 250)]


def test_an_import_figure_is_its_median_run_with_every_run_beside_it():
    from bench.weekly_import import median_run

    runs = [{"total_s": 2.4, "peak_rss_mb": 150}, {"total_s": 2.1, "peak_rss_mb": 151},
            {"total_s": 2.2, "peak_rss_mb": 152}]
    assert median_run(runs) == {"total_s": 2.2, "peak_rss_mb": 152, "runs_s": [2.1, 2.2, 2.4]}
    assert median_run(runs[:1]) == {**runs[0], "runs_s": [2.4]}


def test_a_whole_command_figure_is_its_median_over_the_runs_with_every_run_beside_it():
    from bench.commands import _medians

    runs = [{"import_sample_s": 2.5, "import_big_s": 4.4}, {"import_sample_s": 2.1, "import_big_s": 4.9},
            {"import_sample_s": 2.2, "import_big_s": 4.6}]
    # Each command on its own: the median sample and the median big week may come from different runs.
    assert _medians(runs) == {"import_sample_s": 2.2, "import_big_s": 4.6, "runs": runs}
    assert _medians(runs[:1]) == {**runs[0], "runs": runs[:1]}


def test_latencies_during_windows_are_the_transactions_that_overlap_them():
    run = pgbench.Run(clients=2, seconds=1, rate=None, tps=2, transactions=2, log=pgbench.parse_log(LOG))
    assert run.latencies_ms() == [1.5, 0.25]
    # The first ran from 99.999000 to 100.000500 s, the second from 100.001750 to 100.002000 s.
    assert run.latencies_ms(during=[(100_000_000, 100_000_100)]) == [1.5]
    assert run.latencies_ms(during=[(100_001_000, 100_001_800)]) == [0.25]
    assert run.latencies_ms(during=[(100_000_600, 100_001_700)]) == []


def test_tps_is_read_from_pgbench_output_and_its_absence_is_an_error():
    assert pgbench.parse_tps("latency average = 1.2 ms\ntps = 812.5 (without initial connection time)\n") == 812.5
    with pytest.raises(RuntimeError, match="completed no transaction:(.|\n)*client 3 aborted"):
        pgbench.parse_tps("number of transactions actually processed: 0\n",
                          "pgbench: error: client 3 aborted in command 1 (SQL) of script 0; ERROR: no such user\n")


def row(ours, baseline, kind="time", limit=None, must_beat=True) -> Row:
    return Row("figure", ours, baseline, "baseline", kind, "target", limit, must_beat)


def test_rows_are_judged_in_the_direction_of_their_kind():
    assert row(1, 4).beats_baseline() and row(1, 4).ratio() == "4.0× better"
    assert not row(4, 1).beats_baseline() and row(4, 1).ratio() == "4.0× the baseline"
    assert row(300, 100, kind="rate").beats_baseline() and row(300, 100, kind="rate").ratio() == "3.00× the baseline"
    assert not row(50, 100, kind="rate").beats_baseline()
    assert row(1.02, 1).ratio() == row(1, 1.02).ratio() == "≈ the baseline"
    assert row(10, 1, kind="latency", limit=50).meets_target() is True
    assert row(60, 1, kind="latency", limit=50).meets_target() is False
    assert row(60, 1, kind="rate", limit=50).meets_target() is True
    assert row(60, 1).meets_target() is None


def test_only_a_lost_comparison_with_the_blueprints_design_fails_the_run():
    rows = [Row("beaten", 1, 2, "b", "time", "", None, True),
            Row("lost", 3, 2, "b", "latency", "", None, True),
            Row("slower than the physical limit, as expected", 3, 2, "limit", "time", "", None, False)]
    assert report.inverted({"table": report.rows_as_data(rows)}) == ["lost"]


def test_the_readme_shows_the_latest_full_run():
    latest = json.loads((ROOT / "bench" / "results" / "latest.json").read_text())
    readme = (ROOT / "docs" / "benchmarks.md").read_text()
    assert not latest["quick"]
    assert f"{report.START}\n{report.markdown(latest)}{report.END}" in readme


def test_updating_the_readme_replaces_only_its_table(tmp_path):
    latest = json.loads((ROOT / "bench" / "results" / "latest.json").read_text())
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n\n{report.START}\nold table\n{report.END}\n\nafter\n")
    report.update_readme(latest, readme)
    text = readme.read_text()
    assert text.startswith("# Title\n\nbefore\n\n") and text.endswith("\n\nafter\n")
    assert "old table" not in text and report.markdown(latest) in text
    readme.write_text("no markers\n")
    with pytest.raises(ValueError, match="expected one"):
        report.update_readme(latest, readme)


def test_pgbench_runs_a_script_and_logs_every_transaction(db_url):
    run = pgbench.run(db_url, pgbench.ANON_READ.format(query="SELECT * FROM homepage_grid"), clients=2, seconds=1)
    assert run.transactions > 0 and run.tps > 0
    assert len(run.log) == run.transactions
    # pgbench reuses its clock reading where it can, so a very fast transaction may log 0 µs.
    assert all(latency >= 0 for _, latency in run.log) and sum(latency for _, latency in run.log) > 0
    ended = [end for end, _ in run.log]
    assert ended == sorted(ended) and ended[-1] - ended[0] < 5_000_000  # within the run's second or so


def test_pgbench_reports_a_failing_script_with_its_error(db_url):
    with pytest.raises(RuntimeError, match="no_such_table"):
        pgbench.run(db_url, "SELECT * FROM no_such_table;\n", clients=1, seconds=1)


@pytest.mark.slow
@pytest.mark.skipif(pgbouncer_path() is None and not os.environ.get("CI"),
                    reason="needs pgbouncer (`apt-get install pgbouncer`; CI installs it)")
def test_pgbouncer_serves_many_clients_on_a_few_server_connections(db_url):
    server = conninfo_to_dict(db_url)
    with pgbouncer(server["host"], int(server.get("port") or 5432), server["dbname"], pool_size=3,
                   max_clients=100) as pool_url:
        # Transaction pooling: no server-side prepared statements across transactions.
        clients = [psycopg.connect(pool_url, autocommit=True, prepare_threshold=None) for _ in range(30)]
        try:
            for client in clients:
                assert client.execute("SELECT current_database()").fetchone()[0] == server["dbname"]
            with psycopg.connect(db_url) as direct:
                backends = direct.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchone()[0]
            assert 1 <= backends <= 3
        finally:
            for client in clients:
                client.close()


def test_a_missing_tool_skips_its_step_in_its_row_and_the_next_step_runs():
    from bench.__main__ import Steps
    from bench.server import MissingTool

    steps = Steps()
    with steps("1,000 clients through pgbouncer"):
        raise MissingTool("needs pgbouncer (Debian: apt-get install pgbouncer)")
    with steps("pgbench through a pool that processed nothing"):
        pgbench.parse_tps("number of transactions actually processed: 0\n")
    ran = []
    with steps("the next step"):
        ran.append(True)
    assert ran == [True]
    assert [(r.figure, r.note) for r in steps.rows] == [
        ("1,000 clients through pgbouncer", "skipped: needs pgbouncer (Debian: apt-get install pgbouncer)"),
        ("pgbench through a pool that processed nothing", "failed: RuntimeError: pgbench completed no transaction")]
    assert steps.failed == ["pgbench through a pool that processed nothing"]  # a skip is not a failure
    table = report.markdown({"quick": True, "when": "2026-11-23", "elapsed_s": 60, "table": report.rows_as_data(
        steps.rows), "machine": {"cpus": 2, "memory_gib": 4, "processor": "x", "platform": "p", "server": "s",
                                  "python": "3.11"}})
    assert "| 1,000 clients through pgbouncer | – | – | | skipped: needs pgbouncer" in table
    assert report.inverted({"table": report.rows_as_data([Row.not_measured("x", "skipped: y")])}) == []


def test_without_pgbouncer_the_pooled_step_is_a_missing_tool(db_url, monkeypatch):
    from bench import databases, reads, server
    from bench.server import MissingTool

    monkeypatch.setattr(server, "pgbouncer_path", lambda: None)
    monkeypatch.setenv("CARNIVORE_DATABASE_URL", db_url)
    try:
        with pytest.raises(MissingTool, match="needs pgbouncer"):
            reads.pooled(10, 2, 1, 10, flat_out=False)
    finally:
        databases.drop_template()


def test_the_command_runs_the_bench_from_a_checkout(monkeypatch):
    from click.testing import CliRunner

    from carnivore_orchestration.cli import main

    seen = []
    monkeypatch.setattr("bench.__main__.main", lambda argv: seen.append(argv) or 0)
    result = CliRunner().invoke(main, ["bench", "--quick"])
    assert result.exit_code == 0 and seen == [["--quick"]]


def test_the_import_floor_copies_the_weeks_rows_once_and_writes_nothing_else(db_url):
    """The floor the big week's ratio is read against must do the import's unavoidable
    part, every row of the week, and no more."""
    from bench import weekly_import
    from carnivore_orchestration.content.loading import load_week
    from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

    path = BUNDLED_CONTENT_DIR / f"{weekly_import.WEEK.isoformat()}.json"
    content = load_week(path, weekly_import.WEEK)
    assert weekly_import.floor(db_url, str(path))["total_s"] > 0
    with psycopg.connect(db_url) as conn:
        def keys(table):
            return sorted(row[0] for row in conn.execute(
                sql.SQL("SELECT natural_key FROM {}").format(sql.Identifier(table))))

        assert keys("floor_trending_topics") == sorted(topic.slug for topic in content.topics)
        assert keys("floor_top_videos") == sorted(video.video_id for video in content.videos)
        assert conn.execute("SELECT (SELECT count(*) FROM trending_topics) + (SELECT count(*) FROM top_videos)"
                            " + (SELECT count(*) FROM analyzed_content_weeks) + (SELECT count(*) FROM audit_log)"
                            ).fetchone()[0] == 0
