"""The grid's slots. The ranking itself is one SQL statement (homepage/grid.py)."""

from __future__ import annotations

# The grid's CHECK allows positions 1-100.
GRID_SIZE = 100
FEATURED_UNTIL = 5


def slot(position: int) -> str:
    """Position 1 is the hero (2x2 on the page), 2-5 featured (2x1), the rest standard (1x1)."""
    if position == 1:
        return "hero"
    return "featured" if position <= FEATURED_UNTIL else "standard"
