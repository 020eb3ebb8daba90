"""`uv run python -m bench [--quick]`: benchmarks with baselines measured in the same run.

Prints one table (figure, ours, the baseline, the ratio, the target) and writes it to
bench/results/. Exits non-zero only if a comparison inverts (ours worse than its
baseline), never on absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from bench import engagement, synthetic, weekly_import
from bench.databases import fresh_database

RESULTS = Path(__file__).parent / "results"

FULL = {"topics": 3_000, "videos": 20_000, "ingest": 200_000, "trigger": 50_000, "history": 100_000,
        "inserts": 1_000, "candidates": 10_000, "reads": 2_000}
QUICK = {"topics": 300, "videos": 2_000, "ingest": 20_000, "trigger": 3_000, "history": 10_000,
         "inserts": 200, "candidates": 1_000, "reads": 300}


def run_weekly_import(size: dict) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = synthetic.write_week(Path(folder) / "week.json", size["topics"], size["videos"])
        results = {}
        for label, function in (("ours", weekly_import.ours), ("row_at_a_time", weekly_import.row_at_a_time)):
            with fresh_database(label) as url:
                results[label] = weekly_import.in_child(function, url, str(path))
    return results


def compare(ours: float, base: float, kind: str) -> str:
    if kind == "time":
        return f"{base / ours:,.1f}× faster" if ours < base else f"{ours / base:,.1f}× slower"
    if kind == "rate":
        return f"{ours / base:,.2f}× its rate"
    return f"{ours / base:,.1f}× its {'latency' if kind == 'latency' else 'memory'}"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI smoke runs (under a minute)")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL

    # (figure, ours, baseline, what the baseline is, "time" | "rate" | "latency" | "memory", target)
    rows = []

    def step(title):
        print(f"- {title}", flush=True)

    step(f"weekly import: {size['topics']:,} topics + {size['videos']:,} videos")
    imp = run_weekly_import(size)
    rows.append(("weekly import (s)", imp["ours"]["total_s"], imp["row_at_a_time"]["total_s"], "row at a time", "time",
                 "< 5 s, ≥ 20× row at a time"))
    rows.append(("weekly import peak RSS (MB)", imp["ours"]["peak_rss_mb"], imp["row_at_a_time"]["peak_rss_mb"],
                 "row at a time", "memory", "< 400 MB"))

    step(f"bulk ingest: {size['ingest']:,} interactions by COPY")
    ingest = engagement.bulk_ingest(size["ingest"])
    rows.append(("bulk ingest (rows/s)", ingest["with_scoring"]["rows_per_s"], ingest["plain_copy"]["rows_per_s"],
                 "the same COPY without scoring", "rate", "≥ 0.5× plain COPY"))
    rows.append(("bulk ingest (rows/s)", ingest["with_scoring"]["rows_per_s"], ingest["bare_copy"]["rows_per_s"],
                 "COPY with no triggers (no audit either)", "rate", "(the physical limit)"))

    step(f"scoring {size['trigger']:,} interactions: ours vs the blueprint's per-row trigger")
    trig = engagement.blueprint_trigger(size["trigger"])
    rows.append((f"{size['trigger']:,} scored inserts (s)", trig["ours"]["seconds"],
                 trig["blueprint_per_row_trigger"]["seconds"], "blueprint per-row trigger", "time", "≥ 100× faster"))

    step(f"single inserts on an item with {size['history']:,} interactions this week")
    single = engagement.single_inserts(size["history"], size["inserts"])
    for stat in ("p50_ms", "p99_ms"):
        rows.append((f"single insert {stat[:3]} (ms)", single["with_scoring"][stat], single["plain_insert"][stat],
                     "insert without scoring", "latency", "p99 ≤ 10× plain, < 50 ms"))

    step(f"hourly re-rank over {size['candidates']:,} current items")
    rr = engagement.rerank(size["candidates"])
    rows.append((f"re-rank of {size['candidates']:,} items (s)", rr["ours"]["seconds"], rr["blueprint_style"]["seconds"],
                 "per-item recount and UPDATE, as the blueprint", "time", "< 1 s"))

    step(f"get_personalized_grid, {size['reads']:,} calls")
    pg = engagement.personalized(size["reads"])
    for stat in ("p50_ms", "p99_ms"):
        rows.append((f"personalized grid {stat[:3]} (ms)", pg["personalized"][stat], pg["homepage_grid"][stat],
                     "plain homepage_grid read", "latency", "p99 ≤ 5× plain, < 150 ms"))

    print()
    print("| figure | ours | baseline | the baseline is | ours against it | target |")
    print("|---|---|---|---|---|---|")
    for figure, ours, base, base_label, kind, target in rows:
        print(f"| {figure} | {ours:,.2f} | {base:,.2f} | {base_label} | {compare(ours, base, kind)} | {target} |")

    RESULTS.mkdir(exist_ok=True)
    report = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0]},
        "quick": args.quick,
        "sizes": size,
        "table": [{"figure": f, "ours": o, "baseline": b, "baseline_is": bl, "target": t} for f, o, b, bl, _, t in rows],
        "raw": {"weekly_import": imp, "bulk_ingest": ingest, "scoring": trig, "single_insert": single,
                "rerank": rr, "personalized": pg},
    }
    out = RESULTS / ("latest_quick.json" if args.quick else "latest.json")
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nwritten to {out}")
    inverted = [figure for figure, ours, base, _, kind, _ in rows if kind == "time" and ours >= base]
    if inverted:
        print(f"FAIL: slower than the baseline: {', '.join(inverted)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
