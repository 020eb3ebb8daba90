"""How results are printed."""

from __future__ import annotations

import click

from carnivore_orchestration.homepage.ranking import slot


def import_summary(done) -> str:
    """One line for a `cli.runs.WeekImport`."""
    topics = done.topics
    return (f"{done.week.status}; topics +{topics.rows_inserted} new, {topics.rows_updated} updated, "
            f"{topics.rows_unchanged} unchanged; grid of {done.grid.items}")


def print_grid(items: list[dict]) -> None:
    """Position, slot, type, title, the score that orders the grid (or the personalized
    one), and readers' 24-hour score."""
    if not items:
        click.echo("The homepage grid is empty: no week has been imported into this database yet. "
                   "`carnivore import FILE` imports one, `carnivore demo` the bundled sample weeks.")
        return
    from rich.console import Console
    from rich.table import Table

    personal = "personalization_boost" in items[0]
    table = Table()
    headers = ["#", "slot", "type", "title", "personalized" if personal else "rank", "readers 24 h"]
    if personal:
        headers.append("boost")
    for column in headers:
        table.add_column(column, justify="left" if column in ("slot", "type", "title") else "right")
    for item in items:
        score = item["personalized_score"] if personal else item["rank_score"]
        row = [str(item["grid_position"]), slot(item["grid_position"]), item["content_type"], item["content_title"],
               f"{score:.2f}", f"{item['engagement_score']:.2f}"]
        if personal:
            row.append(f"+{item['personalization_boost']}")
        table.add_row(*row)
    Console(width=max(110, Console().width)).print(table)
