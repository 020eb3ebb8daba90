"""`uv run python -m bench [--quick]`: benchmarks with baselines measured in the same run."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from bench import synthetic, weekly_import
from carnivore_orchestration.db import migrations
from carnivore_orchestration.db.connection import database_url

RESULTS = Path(__file__).parent / "results"


def fresh_database(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_conninfo(admin_url, dbname=name)
    with psycopg.connect(url, autocommit=True) as conn:
        migrations.migrate(conn)
    return url


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="a smaller week, for CI smoke runs")
    args = parser.parse_args()
    topics, videos = (300, 2_000) if args.quick else (3_000, 20_000)

    admin_url = make_conninfo(database_url(), dbname="postgres")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = synthetic.write_week(Path(folder) / "week.json", topics, videos)
        size_mb = path.stat().st_size / 1e6
        print(f"Weekly import: {topics:,} topics + {videos:,} videos ({size_mb:.1f} MB of JSON)", flush=True)
        results = {}
        for label, function in (("ours", weekly_import.ours), ("row_at_a_time", weekly_import.row_at_a_time)):
            name = f"carnivore_bench_{label}_{os.getpid()}"
            url = fresh_database(admin_url, name)
            try:
                results[label] = weekly_import.in_child(function, url, str(path))
            finally:
                drop_database(admin_url, name)
            print(f"  {label}: {results[label]['total_s']:.2f} s, peak {results[label]['peak_rss_mb']:.0f} MB", flush=True)
    ours, base = results["ours"], results["row_at_a_time"]
    rows.append(("weekly import, seconds", ours["total_s"], base["total_s"], base["total_s"] / ours["total_s"],
                 "< 2 s (blueprint); < 5 s (issue)"))
    rows.append(("weekly import, peak RSS MB", ours["peak_rss_mb"], base["peak_rss_mb"],
                 base["peak_rss_mb"] / ours["peak_rss_mb"], "< 400 MB"))

    print()
    print(f"| figure | ours | baseline | baseline ÷ ours | target |")
    print(f"|---|---|---|---|---|")
    for figure, mine, theirs, ratio, target in rows:
        print(f"| {figure} | {mine:.2f} | {theirs:.2f} | {ratio:.1f}× | {target} |")
    print(f"\nours, by phase: validate {ours['validate_s']:.2f} s, write {ours['write_s']:.2f} s, "
          f"grid + refresh {ours['grid_s']:.2f} s")

    RESULTS.mkdir(exist_ok=True)
    report = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0]},
        "quick": args.quick,
        "weekly_import": {"topics": topics, "videos": videos, "ours": ours, "row_at_a_time": base},
    }
    out = RESULTS / ("weekly_import_quick.json" if args.quick else "weekly_import.json")
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {out}")
    # CI fails only if the comparison inverts, never on absolute times.
    if ours["total_s"] >= base["total_s"]:
        print("FAIL: the bulk import is not faster than row at a time", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
