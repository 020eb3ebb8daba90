"""The homepage as the website lays it out, drawn as an SVG picture: the grid's first
positions in a four-column bento grid, the hero 2×2, featured 2×1, standard 1×1,
placed as CSS grid places them (`grid-auto-flow: dense`: each tile in the first place it
fits, row by row). Shown on homepage_grid's materialization, so an editor sees the
page before readers do.

SVG rather than a raster: the browser that shows it lays out the text with its own
fonts (emoji and every script included), and it is a few kilobytes of text.
"""

from __future__ import annotations

import base64
import re
import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from carnivore_orchestration.homepage.ranking import slot

COLUMNS = 4
CELL_WIDTH, CELL_HEIGHT, GAP, MARGIN = 200, 120, 12, 16
SPAN = {"hero": (2, 2), "featured": (2, 1), "standard": (1, 1)}
FONT_SIZE = {"hero": 26, "featured": 18, "standard": 14}
COLOURS = {"trending_topic": ("#fdecea", "#b3261e", "topic"), "top_video": ("#e8f0fe", "#1a56c4", "video")}
OTHER_COLOURS = ("#f1f3f4", "#444746", "item")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', Arial, sans-serif"
# XML 1.0 cannot hold most control characters; a title with one would break the picture.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Tile:
    position: int
    content_type: str
    title: str
    score: float
    column: int
    row: int
    width: int   # in cells
    height: int

    @property
    def slot(self) -> str:
        return slot(self.position)


def layout(items: list[dict]) -> list[Tile]:
    """Each item (grid_position, content_type, content_title and rank_score, as
    homepage_items() gives them), in order, at the first free place its span fits,
    scanning rows top to bottom and columns left to right."""
    taken: set[tuple[int, int]] = set()
    tiles = []
    for item in sorted(items, key=lambda i: i["grid_position"]):
        width, height = SPAN[slot(item["grid_position"])]
        row, column = _first_fit(taken, width, height)
        taken |= {(row + dy, column + dx) for dy in range(height) for dx in range(width)}
        tiles.append(Tile(item["grid_position"], item["content_type"], item["content_title"],
                          float(item["rank_score"]), column, row, width, height))
    return tiles


def _first_fit(taken: set[tuple[int, int]], width: int, height: int) -> tuple[int, int]:
    row = 0
    while True:
        for column in range(COLUMNS - width + 1):
            if all((row + dy, column + dx) not in taken for dy in range(height) for dx in range(width)):
                return row, column
        row += 1


def svg(items: list[dict], caption: str = "") -> str:
    """The picture, as SVG text."""
    tiles = layout(items)
    rows = max((tile.row + tile.height for tile in tiles), default=1)
    width = 2 * MARGIN + COLUMNS * CELL_WIDTH + (COLUMNS - 1) * GAP
    top = MARGIN + (28 if caption else 0)
    height = top + rows * CELL_HEIGHT + (rows - 1) * GAP + MARGIN
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family={quoteattr(FONT)}>',
             f'<rect width="{width}" height="{height}" fill="#ffffff"/>']
    if caption:
        parts.append(f'<text x="{MARGIN}" y="{MARGIN + 16}" font-size="16" fill="#444746">{_text(caption)}</text>')
    if not tiles:
        parts.append(f'<text x="{MARGIN}" y="{top + 30}" font-size="18" fill="#444746">The grid is empty.</text>')
    parts += [_tile(tile, top) for tile in tiles]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def markdown_image(items: list[dict], caption: str = "") -> str:
    """The picture as Markdown (a data: URI image), which the Dagster UI shows in
    a materialization's metadata."""
    encoded = base64.b64encode(svg(items, caption).encode("utf-8")).decode("ascii")
    return f"![The homepage grid](data:image/svg+xml;base64,{encoded})"


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("", value))


def _tile(tile: Tile, top: int) -> str:
    x = MARGIN + tile.column * (CELL_WIDTH + GAP)
    y = top + tile.row * (CELL_HEIGHT + GAP)
    width = tile.width * CELL_WIDTH + (tile.width - 1) * GAP
    height = tile.height * CELL_HEIGHT + (tile.height - 1) * GAP
    fill, accent, kind = COLOURS.get(tile.content_type, OTHER_COLOURS)
    size = FONT_SIZE[tile.slot]
    # Wrap by an average glyph of 0.56 em; the lines that fit above the footer.
    lines = _wrap(tile.title, max(8, int((width - 28) / (size * 0.56))), max(1, int((height - 64) / (size * 1.25))))
    title = "".join(f'<tspan x="{x + 14}" dy="{size * 1.25 if n else 0:g}">{_text(line)}</tspan>'
                    for n, line in enumerate(lines))
    return (f'<g class="tile" data-position="{tile.position}" data-slot="{tile.slot}">'
            f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="10" fill="{fill}" '
            f'stroke="{accent}" stroke-width="{2 if tile.slot == "hero" else 1}"/>'
            f'<text x="{x + 14}" y="{y + 24}" font-size="12" font-weight="600" fill="{accent}" '
            f'letter-spacing="0.5">#{tile.position} · {tile.slot.upper()} · {kind.upper()}</text>'
            f'<text x="{x + 14}" y="{y + 30 + size * 1.1:g}" font-size="{size}" font-weight="600" '
            f'fill="#1f1f1f">{title}</text>'
            f'<text x="{x + width - 14}" y="{y + height - 14}" font-size="12" fill="#444746" '
            f'text-anchor="end">score {tile.score:.1f}</text></g>')


def _wrap(title: str, width: int, lines: int) -> list[str]:
    wrapped = textwrap.wrap(" ".join(title.split()), width, break_long_words=True) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: max(1, width - 1)].rstrip() + "…"
    return wrapped
