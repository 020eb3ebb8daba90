"""Weeks, each named by its Monday in UTC, and which of them the pipeline keeps: from
the first week Carnivore Weekly published up to the current one. Dagster's weekly
partitions are built from the same dates (defs/partitions.py), so a week outside them
is refused here, in words, before anything starts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

FIRST_WEEK = date(2025, 12, 29)


class WeekOutOfRange(ValueError):
    """A week the pipeline has no partition for: before the first, or not begun yet."""


def monday_of(day: date | datetime) -> date:
    if isinstance(day, datetime):
        day = (day if day.tzinfo else day.replace(tzinfo=UTC)).astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def current_week(now: datetime | None = None) -> date:
    return monday_of(now or datetime.now(UTC))


def check_importable(week: date, now: datetime | None = None) -> None:
    """Raise WeekOutOfRange unless `week` (a Monday) is one of the weeks kept."""
    newest = current_week(now)
    if week > newest:
        raise WeekOutOfRange(f"the week of {week.isoformat()} has not begun: the newest week that can be imported "
                             f"is this one, {newest.isoformat()} (UTC)")
    if week < FIRST_WEEK:
        raise WeekOutOfRange(f"the week of {week.isoformat()} is before the first week the pipeline keeps, "
                             f"{FIRST_WEEK.isoformat()}")
