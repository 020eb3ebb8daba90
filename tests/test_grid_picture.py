"""The homepage picture: tiles placed as the website's CSS grid places them, and SVG
that any title leaves well-formed."""

import base64
import re
import xml.etree.ElementTree as ET

import pytest
from content_cases import HOSTILE

from carnivore_orchestration.homepage.picture import COLUMNS, layout, markdown_image, svg

SVG = "{http://www.w3.org/2000/svg}"


def _items(count, titles=None):
    titles = titles or [f"Item {n}" for n in range(1, count + 1)]
    return [{"grid_position": n, "content_type": "trending_topic" if n % 2 else "top_video",
             "content_title": titles[n - 1], "engagement_score": 50.0, "rank_score": 100.0 - n}
            for n in range(1, count + 1)]


def test_the_homepage_is_laid_out_as_the_bento_grid():
    """Seven items, four columns: the hero 2×2 top left, featured 2×1 beside and under
    it, the two standard tiles 1×1 on the last row."""
    placed = [(t.position, t.slot, t.column, t.row, t.width, t.height) for t in layout(_items(7))]
    assert placed == [
        (1, "hero", 0, 0, 2, 2),
        (2, "featured", 2, 0, 2, 1),
        (3, "featured", 2, 1, 2, 1),
        (4, "featured", 0, 2, 2, 1),
        (5, "featured", 2, 2, 2, 1),
        (6, "standard", 0, 3, 1, 1),
        (7, "standard", 1, 3, 1, 1),
    ]


@pytest.mark.parametrize("count", range(0, 16))
def test_tiles_never_overlap_and_stay_in_the_grid(count):
    cells = []
    for tile in layout(_items(count)):
        assert 0 <= tile.column and tile.column + tile.width <= COLUMNS
        cells += [(tile.row + dy, tile.column + dx) for dy in range(tile.height) for dx in range(tile.width)]
    assert len(cells) == len(set(cells))


def test_any_title_leaves_the_svg_well_formed_and_readable():
    titles = [*HOSTILE, "Butter " * 90, "\u0001\u0008 control characters \u001f"]
    picture = svg(_items(len(titles), titles), caption="Week of 2026-11-16 <&>")
    root = ET.fromstring(picture)  # noqa: S314 - our own SVG, parsed to prove it well-formed
    tiles = root.findall(f"{SVG}g")
    assert [tile.get("data-slot") for tile in tiles][:3] == ["hero", "featured", "featured"]
    shown = ["".join(text.itertext()) for tile in tiles for text in tile.findall(f"{SVG}text")[1:2]]
    for title, text in zip(titles, shown, strict=True):
        # What XML 1.0 can hold, without spaces (lines wrap where spaces were).
        expected = "".join(re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", title).split())
        assert text and expected.startswith("".join(text.split()).removesuffix("…")), (title, text)
    assert shown[len(HOSTILE)].endswith("…")  # a long title is cut where the tile ends
    assert root.find(f"{SVG}text").text == "Week of 2026-11-16 <&>"


def test_the_picture_rides_in_markdown_as_a_data_uri():
    image = markdown_image(_items(7), "caption")
    assert image.startswith("![The homepage grid](data:image/svg+xml;base64,")
    decoded = base64.b64decode(image.split(",", 1)[1].rstrip(")")).decode()
    assert decoded == svg(_items(7), "caption")
