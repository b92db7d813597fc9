"""Times named in a search query ("last week", "yesterday", "in April") as a time window.

Search by meaning cannot tell two conversations on one topic apart by when they happened, so a
query that names a time gets the messages of that window ranked up (`MessageSearch`), without
excluding the others: the phrase may be part of the topic ("the meeting last week's notes
mention"). Windows are calendar periods in UTC (the API knows no user time zone), weeks start
on Monday, and a month named without a year is its latest occurrence not after now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
_NUMBERS = {"one": 1, "a": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_COUNT = r"(\d+|a|one|two|three|four|five|six)"
_PATTERN = re.compile(
    r"\b(?:(today)|(yesterday)|(this|last) (week|month|year)|"
    rf"{_COUNT} (day|week|month)s? ago|(?:in|during|last) ({'|'.join(_MONTHS)}))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TimeWindow:
    start: datetime
    end: datetime
    phrase: str


def _month_start(year: int, month: int, now: datetime) -> datetime:
    return now.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def _add_months(start: datetime, months: int) -> datetime:
    index = start.year * 12 + start.month - 1 + months
    return start.replace(year=index // 12, month=index % 12 + 1)


def time_window(text: str, now: datetime) -> TimeWindow | None:
    """The first time phrase of `text` as a window ending no later than `now`, or None."""
    found = _PATTERN.search(text)
    if found is None:
        return None
    today, yesterday, this_last, unit, count, ago_unit, month = found.groups()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if today:
        start, end = day, now
    elif yesterday:
        start, end = day - timedelta(days=1), day
    elif unit:
        if unit == "week":
            first = day - timedelta(days=day.weekday())
            previous = first - timedelta(weeks=1)
        elif unit == "month":
            first = _month_start(now.year, now.month, now)
            previous = _add_months(first, -1)
        else:
            first = _month_start(now.year, 1, now)
            previous = _add_months(first, -12)
        start, end = (first, now) if this_last.lower() == "this" else (previous, first)
    elif ago_unit:
        n = int(count) if count.isdigit() else _NUMBERS[count.lower()]
        if ago_unit == "day":
            start = day - timedelta(days=n)
            end = start + timedelta(days=1)
        elif ago_unit == "week":
            monday = day - timedelta(days=day.weekday())
            start = monday - timedelta(weeks=n)
            end = start + timedelta(weeks=1)
        else:
            first = _month_start(now.year, now.month, now)
            start = _add_months(first, -n)
            end = _add_months(start, 1)
    else:
        number = _MONTHS.index(month.lower()) + 1
        year = now.year if number <= now.month else now.year - 1
        start = _month_start(year, number, now)
        end = min(_add_months(start, 1), now)
    return TimeWindow(start, min(end, now), found.group(0))
