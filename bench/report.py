"""The bench table: its rows, how each is judged, and its Markdown (printed, and kept
in docs/benchmarks.md between two markers)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

README = Path(__file__).parent.parent / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"

LOWER_IS_BETTER = {"time", "latency", "memory"}


@dataclass(frozen=True)
class Row:
    figure: str
    ours: float
    baseline: float
    baseline_is: str
    kind: str              # "time" | "latency" | "memory" (lower is better) or "rate" (higher is better)
    target: str            # the blueprint's target, in words ("" when it sets none)
    limit: float | None    # that target as a bound on `ours` (below it, or above it for rates)
    must_beat: bool        # the baseline is the blueprint's design: ours must beat it
    note: str = ""         # set when the figure could not be measured: why ("skipped: needs pgbouncer")

    @classmethod
    def not_measured(cls, step: str, reason: str) -> Row:
        return cls(step, 0.0, 0.0, "", "time", "", None, False, note=reason)

    def ratio(self) -> str:
        if max(self.ours, self.baseline) < 1.05 * min(self.ours, self.baseline):
            return "≈ the baseline"
        if self.kind in LOWER_IS_BETTER:
            if self.ours < self.baseline:
                return f"{self.baseline / self.ours:,.1f}× better"
            return f"{self.ours / self.baseline:,.1f}× the baseline"
        return f"{self.ours / self.baseline:,.2f}× the baseline"

    def beats_baseline(self) -> bool:
        return self.ours < self.baseline if self.kind in LOWER_IS_BETTER else self.ours > self.baseline

    def meets_target(self) -> bool | None:
        if self.limit is None:
            return None
        return self.ours < self.limit if self.kind in LOWER_IS_BETTER else self.ours >= self.limit


def number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def markdown(report: dict) -> str:
    machine = report["machine"]
    lines = [
        f"{'Quick' if report['quick'] else 'Full'} run of {report['when'][:10]}, {report['elapsed_s'] / 60:.1f} min: "
        f"{machine['cpus']} cores, {machine['memory_gib']:.0f} GiB, {machine['processor']}, {machine['platform']}, "
        f"{machine['server']}, Python {machine['python']}.",
        "",
        "| figure | ours | baseline | the baseline is | ratio | blueprint target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for data in report["table"]:
        row = Row(**data)
        if row.note:
            lines.append(f"| {row.figure} | – | – | | {row.note} | | |")
            continue
        met = {True: "yes", False: "**no**", None: ""}[row.meets_target()]
        lines.append(f"| {row.figure} | {number(row.ours)} | {number(row.baseline)} | {row.baseline_is} |"
                     f" {row.ratio()} | {row.target} | {met} |")
    return "\n".join(lines) + "\n"


def rows_as_data(rows: list[Row]) -> list[dict]:
    return [asdict(row) for row in rows]


def inverted(report: dict) -> list[str]:
    """Figures where ours no longer beats the blueprint's design: the only failure."""
    return [data["figure"] for data in report["table"]
            if data["must_beat"] and not data.get("note") and not Row(**data).beats_baseline()]


def update_readme(report: dict, readme: Path = README) -> None:
    text = readme.read_text()
    block = f"{START}\n{markdown(report)}{END}"
    updated, count = re.subn(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.DOTALL)
    if count != 1:
        raise ValueError(f"{readme}: expected one {START} … {END} block, found {count}")
    readme.write_text(updated)
