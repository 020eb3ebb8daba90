"""`uv run python -m bench [--quick]`: every benchmark,
each against its baseline measured in the same run on the same server.

Prints one table (figure, ours, the baseline, the ratio, the blueprint's target) and
writes it to bench/results/ (a full run also rewrites the table in docs/benchmarks.md). Exits
non-zero only if ours stops beating a baseline that is the blueprint's own design,
never on absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import traceback
import warnings
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psutil
import psycopg

from bench import commands, engagement, online_index, partitions, reads, report, synthetic, ui_runs, weekly_import
from bench.databases import checkpoint, drop_template, fresh_database
from bench.report import Row
from bench.server import MissingTool, loopback_server

RESULTS = Path(__file__).parent / "results"

# The blueprint's trigger grows with the square of the rows: 30,000 keeps a full run
# well under 15 minutes on 2 cores (50,000 took 6 to 9 of them alone, 40,000 six).
FULL = {"quick": False, "topics": 3_000, "videos": 20_000, "ingest": 200_000, "trigger": 30_000,
        "history": 100_000, "inserts": 1_000, "fresh": 200, "candidates": 10_000, "reads": 2_000, "seconds": 10,
        "levels": [1, 16, 64], "pool_clients": 1_000, "pool_size": 8, "pool_rate": 1_500, "pool_seconds": 15,
        "partition_rows": 200_000, "online_rows": 1_000_000, "import_runs": 3}
QUICK = {"quick": True, "topics": 300, "videos": 2_000, "ingest": 20_000, "trigger": 2_000, "history": 10_000,
         "inserts": 200, "fresh": 40, "candidates": 1_000, "reads": 300, "seconds": 1,
         "levels": [1, 16, 64], "pool_clients": 1_000, "pool_size": 8, "pool_rate": 1_500, "pool_seconds": 4,
         "partition_rows": 10_000, "online_rows": 100_000, "import_runs": 1}


def run_weekly_import(size: dict) -> dict:
    from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

    def timed(label: str, function, path: str, child: bool) -> dict:
        with fresh_database(label) as url:
            checkpoint()
            return weekly_import.in_child(function, url, path) if child else function(url, path)

    large_variants = (("ours", weekly_import.ours), ("row_at_a_time", weekly_import.row_at_a_time),
                      ("bare_statements", weekly_import.bare_statements),
                      ("without_guarantees", weekly_import.without_guarantees),
                      ("floor", weekly_import.floor), ("corrected", weekly_import.ours_corrected))
    # A week of the real size: timed in this process (its memory is not a figure).
    sample = str(BUNDLED_CONTENT_DIR / f"{weekly_import.WEEK.isoformat()}.json")  # the newest
    sample_variants = (("ours", weekly_import.ours), ("row_at_a_time", weekly_import.row_at_a_time))
    runs: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as folder:
        large = str(synthetic.write_week(Path(folder) / "week.json", size["topics"], size["videos"]))
        # Round by round, each variant once a round: a slow spell of the machine falls on
        # every variant alike, not on one variant's runs.
        for _ in range(size["import_runs"]):
            for label, function in large_variants:
                runs.setdefault(f"large_{label}", []).append(timed(f"{label}_large", function, large, child=True))
            for label, function in sample_variants:
                runs.setdefault(f"sample_{label}", []).append(timed(f"{label}_sample", function, sample, child=False))
    return {key: weekly_import.median_run(each) for key, each in runs.items()}


def measure(size: dict, step: Steps) -> tuple[list[Row], dict]:
    rows = step.rows
    raw: dict = {}

    runs = f" (each variant's median of {size['import_runs']} runs)" if size["import_runs"] > 1 else ""
    with step(f"weekly import: {size['topics']:,} topics + {size['videos']:,} videos{runs}, "
              "and the newest sample week"):
        imp = raw["weekly_import"] = run_weekly_import(size)
        rows.append(Row(f"weekly import, {size['topics']:,} topics + {size['videos']:,} videos (s)",
                        imp["large_ours"]["total_s"], imp["large_row_at_a_time"]["total_s"],
                        "the blueprint's row-at-a-time import, each upsert a PostgREST request", "time",
                        "< 2 s (its weekly file)", 2.0, True))
        rows.append(Row(f"weekly import, {size['topics']:,} topics + {size['videos']:,} videos (s)",
                        imp["large_ours"]["total_s"], imp["large_bare_statements"]["total_s"],
                        "the same upserts sent bare, one autocommitted statement each", "time", "", None, False))
        rows.append(Row(f"weekly import, {size['topics']:,} topics + {size['videos']:,} videos (s)",
                        imp["large_ours"]["total_s"], imp["large_without_guarantees"]["total_s"],
                        "ours with every trigger and foreign-key check off (what the audit trail and the history's"
                        " references cost)", "time", "", None, False))
        rows.append(Row(f"weekly import, {size['topics']:,} topics + {size['videos']:,} videos (s)",
                        imp["large_ours"]["total_s"], imp["large_floor"]["total_s"],
                        "the least any import can do: the same validation, then the rows COPYed once into two"
                        " tables without keys, history, audit or grid (row-at-a-time over this is the most any"
                        " design could be better)", "time", "", None, False))
        audited = imp["large_corrected"]["audit_rows"]
        rows.append(Row(f"weekly import, the same week again with one score changed ({audited:,} audit "
                        f"{'row' if audited == 1 else 'rows'} written) (s)",
                        imp["large_corrected"]["total_s"], imp["large_ours"]["total_s"],
                        "the week's first import, every row new", "time", "", None, False))
        rows.append(Row("weekly import, peak memory (MB)", imp["large_ours"]["peak_rss_mb"],
                        imp["large_row_at_a_time"]["peak_rss_mb"], "the blueprint's row-at-a-time import", "memory",
                        "< 400 MB", 400.0, False))
        rows.append(Row("weekly import, a bundled sample week (s)", imp["sample_ours"]["total_s"],
                        imp["sample_row_at_a_time"]["total_s"], "the blueprint's row-at-a-time import", "time",
                        "< 2 s", 2.0, False))

    with step("whole commands, process start to exit: `carnivore import` over TCP and on the embedded socket"
              f" (each command's median of {size['import_runs']} runs)"):
        cmd = raw["commands"] = commands.whole_commands(size["topics"], size["videos"], size["import_runs"])
        for where, label in (("tcp", "over TCP"), ("socket", "on the embedded socket")):
            rows.append(Row(f"`carnivore import`, a sample week, whole command {label} (s)",
                            cmd[where]["import_sample_s"], imp["sample_ours"]["total_s"],
                            "the import's own work in one process (the rest: Python, Dagster, the job)", "time",
                            "", None, False))
            rows.append(Row(f"`carnivore import`, {size['topics']:,} topics + {size['videos']:,} videos, whole command "
                            f"{label} (s)", cmd[where]["import_big_s"], imp["large_ours"]["total_s"],
                            "the import's own work in one process", "time", "", None, False))
        rows.append(Row("`carnivore db status`, whole command over TCP (s)", cmd["tcp"]["db_status_s"],
                        cmd["socket"]["db_status_s"], "the same on the embedded socket", "time", "", None, False))

    with step(f"bulk ingest: {size['ingest']:,} interactions by COPY"):
        ingest = raw["bulk_ingest"] = engagement.bulk_ingest(size["ingest"])
        rows.append(Row(f"bulk ingest, {size['ingest']:,} interactions (rows/s)", ingest["with_scoring"]["rows_per_s"],
                        ingest["plain_copy"]["rows_per_s"], "the same COPY without scoring", "rate", "", None, False))
        rows.append(Row("bulk ingest (rows/s)", ingest["with_scoring"]["rows_per_s"], ingest["bare_copy"]["rows_per_s"],
                        "the same COPY with no triggers (no audit either)", "rate", "", None, False))
        rows.append(Row("bulk ingest (rows/s)", ingest["with_scoring"]["rows_per_s"],
                        ingest["unindexed_copy"]["rows_per_s"], "COPY into an unindexed table (the physical limit)",
                        "rate", "", None, False))

    with step(f"scoring {size['trigger']:,} interactions: ours vs the blueprint's per-row trigger"):
        trig = raw["scoring"] = engagement.blueprint_trigger(size["trigger"])
        rows.append(Row(f"{size['trigger']:,} scored inserts in one COPY (s)", trig["ours"]["seconds"],
                        trig["blueprint_per_row_trigger"]["seconds"], "the blueprint's per-row trigger", "time",
                        "", None, True))

    with step(f"single inserts on an item with {size['history']:,} interactions this week"):
        single = raw["single_insert"] = engagement.single_inserts(size["history"], size["inserts"])
        for stat in ("p50_ms", "p99_ms"):
            rows.append(Row(f"engagement insert {stat[:3]} (ms), item with {size['history']:,} this week",
                            single["with_scoring"][stat], single["plain_insert"][stat], "the insert without scoring",
                            "latency", "< 50 ms", 50.0, False))

    with step("score freshness: insert, then read the new counts from another connection"):
        fresh = raw["freshness"] = engagement.freshness(size["history"], size["fresh"])
        for stat in ("p50_ms", "p99_ms"):
            rows.append(Row(f"score freshness after an insert {stat[:3]} (ms)", fresh["ours"][stat],
                            fresh["blueprint_per_row_trigger"][stat], "the blueprint's per-row trigger", "latency",
                            "< 1 s", 1000.0, True))

    with step(f"hourly re-rank over {size['candidates']:,} current items"):
        rr = raw["rerank"] = engagement.rerank(size["candidates"])
        rows.append(Row(f"hourly re-rank, {size['candidates']:,} items (s)", rr["ours"]["seconds"],
                        rr["blueprint_style"]["seconds"], "the blueprint's per-item recount and UPDATE", "time",
                        "< 1 s", 1.0, True))

    with step(f"homepage reads with pgbench over 127.0.0.1 at {', '.join(map(str, size['levels']))} clients"):
        conc = raw["homepage_reads"] = reads.concurrency(size["levels"], size["seconds"])
        for clients in map(str, size["levels"]):
            ours, base = conc["homepage_grid"][clients], conc["blueprint_base_table"][clients]
            target, limit = ("< 5 ms (the view)", 5.0) if clients == "1" else ("< 100 ms (homepage)", 100.0)
            rows.append(Row(f"homepage read, {clients} client(s), p50 (ms)", ours["p50_ms"], base["p50_ms"],
                            "the blueprint's query on bento_grid_items", "latency", target, limit, False))
            rows.append(Row(f"homepage read, {clients} client(s), p99 (ms)", ours["p99_ms"], base["p99_ms"],
                            "the blueprint's query on bento_grid_items", "latency", target, limit, False))
            rows.append(Row(f"homepage reads, {clients} client(s) (transactions/s)", ours["tps"], base["tps"],
                            "the blueprint's query on bento_grid_items", "rate", "", None, False))

    clients, rate = size["pool_clients"], size["pool_rate"]
    with step(f"{clients:,} clients through pgbouncer ({size['pool_size']} server connections) and directly"):
        pool = raw["pooled"] = reads.pooled(clients, size["pool_size"], size["pool_seconds"], rate,
                                            flat_out=not size["quick"])
        for stat in ("p50_ms", "p99_ms"):
            rows.append(Row(f"{clients:,} clients at {rate:,} reads/s via pgbouncer, {stat[:3]} (ms)",
                            pool["pgbouncer"][stat], pool["direct"][stat], f"{clients:,} direct connections", "latency",
                            "1,000+ users, < 100 ms", 100.0, stat == "p99_ms"))
        if "pgbouncer_flat_out" in pool:
            rows.append(Row(f"{clients:,} clients flat out via pgbouncer (transactions/s)",
                            pool["pgbouncer_flat_out"]["tps"], pool["direct_flat_out"]["tps"],
                            f"{clients:,} direct connections", "rate", "", None, False))

    with step("readers (16 clients) while homepage_grid is refreshed every 50 ms"):
        ref = raw["refresh"] = reads.during_refresh(16, size["seconds"])
        rows.append(Row("readers' p99 during a refresh (ms)", ref["concurrently"]["during_p99_ms"],
                        ref["plain"]["during_p99_ms"], "plain REFRESH (all the blueprint's view allows)", "latency",
                        "", None, False))
        rows.append(Row("readers' p99 during a refresh (ms)", ref["concurrently"]["during_p99_ms"],
                        ref["no_refresh"]["p99_ms"], "the same readers, no refresh", "latency", "", None, False))
        rows.append(Row("homepage_grid refresh under 16 readers, p99 (ms)", ref["concurrently"]["refresh_p99_ms"],
                        ref["plain"]["refresh_p99_ms"], "plain REFRESH", "time", "< 200 ms", 200.0, False))

    with step("get_personalized_grid"):
        pg = raw["personalized"] = engagement.personalized(size["reads"])
        for stat in ("p50_ms", "p99_ms"):
            rows.append(Row(f"get_personalized_grid {stat[:3]} (ms)", pg["personalized"][stat],
                            pg["homepage_grid"][stat], "a plain homepage_grid read", "latency", "< 150 ms", 150.0,
                            False))

    with step(f"monthly partition job, {size['partition_rows']:,} rows of the month waiting in DEFAULT"):
        part = raw["partitions"] = partitions.monthly_job(size["partition_rows"])
        rows.append(Row(f"monthly partition job, {size['partition_rows']:,} rows moved (s)",
                        part["dagster_job"]["seconds"], part["sql_alone"]["seconds"],
                        "its SQL alone (the rest is Dagster's run)", "time", "", None, False))

    with step(f"an index added to content_engagement ({size['online_rows']:,} rows, partitioned) "
              "while inserts arrive"):
        online = raw["online_index"] = online_index.measure(size["online_rows"])
        ours, plain = online["online_migration"], online["plain_create_index"]
        rows.append(Row(f"longest insert while an index is added, {size['online_rows']:,} rows (ms)",
                        ours["insert_max_ms"], plain["insert_max_ms"],
                        "a plain CREATE INDEX in a transaction (the old runner)", "latency", "", None, False))
        rows.append(Row(f"index added to {size['online_rows']:,} partitioned rows under inserts (s)", ours["build_s"],
                        plain["build_s"], "a plain CREATE INDEX, writers blocked meanwhile", "time", "", None, False))

    with step("runs launched from the UI of `carnivore dev`"
              + ("" if size["quick"] else ", and with a process per step")):
        ui = raw["ui_runs"] = ui_runs.launched_from_the_ui(weekly_import.WEEK.isoformat(), not size["quick"])
        ours = ui["in_process"]
        rows.append(Row("`carnivore dev`: start until the UI answers (s)", ours["server_start_s"],
                        ui["definitions_load_s"], "one process importing the definitions", "time", "", None, False))
        for job, label in (("weekly_import_job", "weekly import"), ("hourly_rerank_job", "re-rank"),
                           ("maintenance_job", "maintenance")):
            rows.append(Row(f"UI-launched {label}, run start to end (s)", ours[job]["run_s"], ours[job]["steps_s"],
                            "its steps' own time in that run", "time", "", None, False))
            if "multiprocess" in ui:
                rows.append(Row(f"UI-launched {label}, launch to finish (s)", ours[job]["launch_to_end_s"],
                                ui["multiprocess"][job]["launch_to_end_s"], "a process per step (Dagster's default)",
                                "time", "", None, False))
    return rows, raw




class Steps:
    """Each step of the bench, printed as it starts with how long it took. A step that
    cannot run here (a tool missing) or that fails is reported in its row of the table
    and the next step runs; failures make the run's exit status 1 at the end."""

    def __init__(self):
        self.rows: list[Row] = []
        self.failed: list[str] = []

    @contextmanager
    def __call__(self, title: str):
        print(f"- {title}", flush=True)
        started = time.perf_counter()
        try:
            yield
        except MissingTool as exc:
            self._not_measured(title, f"skipped: {exc}")
        except Exception as exc:  # reported in its row; the other steps still run
            traceback.print_exc()
            first = (str(exc).strip().splitlines() or [""])[0]
            self._not_measured(title, f"failed: {type(exc).__name__}: {first}".rstrip(": "))
            self.failed.append(title)
        print(f"  ({time.perf_counter() - started:.1f} s)", flush=True)

    def _not_measured(self, title: str, reason: str) -> None:
        print(f"    {reason}", flush=True)
        self.rows.append(Row.not_measured(title, reason))


# What the write figures depend on besides the machine (a server given by
# CARNIVORE_DATABASE_URL runs with its own).
SERVER_SETTINGS_SHOWN = ("shared_buffers", "wal_buffers", "synchronous_commit")


def machine(url: str) -> dict:
    processor = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        processor = names[0] if names else processor
    with psycopg.connect(url) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        address = conn.info.host
        settings = ", ".join(f"{name} {conn.execute('SELECT current_setting(%s)', [name]).fetchone()[0]}"
                             for name in SERVER_SETTINGS_SHOWN)
    return {"cpus": os.cpu_count(), "memory_gib": psutil.virtual_memory().total / 2**30, "processor": processor,
            "platform": platform.platform(), "python": sys.version.split()[0],
            "server": f"PostgreSQL {version.split()[0]} on {address} ({settings})"}


def check_connections(url: str, clients: int) -> None:
    """The pool is compared with as many direct connections: a server given by
    CARNIVORE_DATABASE_URL must allow them, or the run would fail half-way."""
    with psycopg.connect(url) as conn:
        allowed = int(conn.execute("SHOW max_connections").fetchone()[0])
    if allowed < clients + 10:
        raise SystemExit(f"the server in CARNIVORE_DATABASE_URL allows {allowed} connections; the pool benchmark"
                         f" compares {clients:,} pooled clients with {clients:,} direct ones: raise its"
                         f" max_connections to {clients + 100:,}, or unset CARNIVORE_DATABASE_URL to let the bench"
                         " start its own server")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs, for CI (under a minute)")
    parser.add_argument("--readme", action="store_true",
                        help="measure nothing: rewrite the table in docs/benchmarks.md from bench/results/latest.json")
    args = parser.parse_args(argv)
    if args.readme:
        report.update_readme(json.loads((RESULTS / "latest.json").read_text()))
        return 0
    size = QUICK if args.quick else FULL
    warnings.filterwarnings("ignore", message="Parameter `owners`")  # Dagster's own sensor, not ours
    started = time.perf_counter()

    with ExitStack() as stack:
        url = os.environ.get("CARNIVORE_DATABASE_URL")
        if url is None:
            url = stack.enter_context(loopback_server())
            os.environ["CARNIVORE_DATABASE_URL"] = url  # for the child processes and the jobs
            print(f"- a fresh PostgreSQL on {url.split('@')[1].split('/')[0]} for this run", flush=True)
        else:
            check_connections(url, size["pool_clients"])
        try:
            steps = Steps()
            rows, raw = measure(size, steps)
            about = machine(url)
        finally:
            drop_template()

    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "elapsed_s": time.perf_counter() - started,
        "machine": about,
        "quick": args.quick,
        "sizes": size,
        "table": report.rows_as_data(rows),
        "raw": raw,
    }
    print()
    print(report.markdown(result))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("latest_quick.json" if args.quick else "latest.json")
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"written to {out}")
    if not args.quick:
        report.update_readme(result)
        print(f"and to the table in {report.README.name}")
    failing = report.inverted(result)
    if failing:
        print(f"FAIL: no longer better than the blueprint's design: {'; '.join(failing)}", file=sys.stderr)
    if steps.failed:
        print(f"FAIL: {len(steps.failed)} step(s) failed: {'; '.join(steps.failed)}", file=sys.stderr)
    return 1 if failing or steps.failed else 0


if __name__ == "__main__":
    sys.exit(main())
