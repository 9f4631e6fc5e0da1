"""The workspace's calendar: its time zone and first day of the week (issue 16).

Periods, trend buckets, change-marker windows and export filters are whole days in
this zone: "Monday" is the team's Monday, not UTC's. Timestamps stay UTC in the
database; only the edges of days move. Pure functions, no I/O.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

Bucket = Literal["week", "month"]
WeekStart = Literal["monday", "sunday", "saturday"]
WEEKDAY = {"monday": 0, "saturday": 5, "sunday": 6}


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class Calendar(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    zone: str = "UTC"
    week_start: WeekStart = "monday"

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def midnight(self, day: date) -> datetime:
        """The UTC instant at which ``day`` begins in the zone."""
        return datetime(day.year, day.month, day.day, tzinfo=self.tz).astimezone(UTC)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def bucket_start(self, day: date, bucket: Bucket) -> date:
        """The first day of the week (from ``week_start``) or calendar month holding ``day``."""
        if bucket == "week":
            return day - timedelta(days=(day.weekday() - WEEKDAY[self.week_start]) % 7)
        return day.replace(day=1)

    def buckets_between(self, start: datetime, end: datetime, bucket: Bucket) -> list[date]:
        """Every bucket touching [start, end), empty ones included, so a chart has no gaps."""
        current = self.bucket_start(self.local_day(start), bucket)
        found = []
        while self.midnight(current) < end:
            found.append(current)
            current = next_bucket(current, bucket)
        return found

    def whole_hour_offsets(self, start: datetime, end: datetime) -> bool:
        """True when the zone is a whole number of hours from UTC all through [start, end)
        (so responses can be grouped by UTC hour and each hour lies in one local day)."""
        day = self.local_day(start)
        last = self.local_day(end)
        while day <= last:
            offset = self.midnight(day).astimezone(self.tz).utcoffset() or timedelta(0)
            if offset.total_seconds() % 3600:
                return False
            day += timedelta(days=1)
        return True


def next_bucket(start: date, bucket: Bucket) -> date:
    if bucket == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


UTC_CALENDAR = Calendar()


class Window(msgspec.Struct, frozen=True, kw_only=True):
    """A change marker's before/after periods: whole days in the workspace zone.

    ``before`` is [before_start, change), ``after`` is [change, after_end); both are
    ``days`` long. ``days`` is 0 while not one whole day has passed since the change.
    """

    days: int
    before_first: date
    before_last: date
    after_first: date
    after_last: date
    before_start: datetime
    change: datetime
    after_end: datetime
    zone: str

    def label(self) -> str:
        if self.days == 0:
            return f"not one whole day since {self.after_first.isoformat()} ({self.zone}) yet"
        return (
            f"{self.days} days before ({self.before_first.isoformat()} – "
            f"{self.before_last.isoformat()}) against {self.days} days after "
            f"({self.after_first.isoformat()} – {self.after_last.isoformat()}), "
            f"whole days in {self.zone}"
        )


def marker_window(happened_on: str, now: datetime, calendar: Calendar, days: int = 90) -> Window:
    """Equal whole-day periods either side of a change on ``happened_on`` (a local date).

    The day of the change counts as "after"; today (not over yet) counts in neither.
    """
    change_day = date.fromisoformat(happened_on)
    today = calendar.local_day(now)
    whole = max(0, min(days, (today - change_day).days))
    before_first = change_day - timedelta(days=whole)
    after_end_day = change_day + timedelta(days=whole)
    return Window(
        days=whole,
        before_first=before_first,
        before_last=change_day - timedelta(days=1),
        after_first=change_day,
        after_last=after_end_day - timedelta(days=1),
        before_start=calendar.midnight(before_first),
        change=calendar.midnight(change_day),
        after_end=calendar.midnight(after_end_day),
        zone=calendar.zone,
    )
