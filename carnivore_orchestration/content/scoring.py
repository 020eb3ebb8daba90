"""The 0-100 score a video gets for the grid, so that videos and topics rank together.

    score     = reach x (0.5 + reception / 200)
    reach     = 100 x sqrt(views / most views of any video that week)
    reception = (positive_percent - negative_percent + 100) / 2, or 50 with no sentiment

Reach is relative to the week, so the most watched video reaches 100 and one with a
quarter of its views 50 (a square root: views are heavy-tailed, and a linear scale
would leave every video but the first near zero). Reception maps the comment balance
from -100..100 onto 0..100 and scales reach by 0.5 to 1.0: a video that is watched but
disliked keeps half its reach. The week's best-liked, most watched video scores about
90, level with the strongest topics, whose 0-100 score comes from the analysis.
"""

import math


def video_score(views: int, week_max_views: int, positive_percent: float | None,
                negative_percent: float | None) -> float:
    reach = 100 * math.sqrt(views / week_max_views) if week_max_views > 0 else 0.0
    if positive_percent is None and negative_percent is None:
        reception = 50.0
    else:
        reception = ((positive_percent or 0) - (negative_percent or 0) + 100) / 2
    score = reach * (0.5 + reception / 200)
    return round(min(100.0, max(0.0, score)), 2)
