"""When a case is due, when to warn that it is about to breach, and whether it did.

Pure code with the clock passed in (``opened_at``, ``now``), so the worker, the
inbox and the tests agree to the second. Every datetime must be timezone-aware;
results are in UTC.

Business hours are counted in the calendar's own time zone but measured in real
elapsed time: each day's opening window is turned into UTC instants before any
arithmetic, so a DST change moves the due time by the hour it should and a
window that spans the change (00:00–24:00) counts the 23 or 25 hours it really
has. Python's same-zone datetime subtraction would ignore the change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from surveyor.followups.models import BusinessCalendar

SlaState = Literal["on_track", "due_soon", "breached", "met", "missed"]
# A calendar can name every weekday a holiday for a while; past ten years of searching
# it is misconfigured rather than on a long break.
_MAX_DAYS = 3660


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name}: naive datetime; every time must be timezone-aware")
    return moment.astimezone(UTC)


def is_business_day(calendar: BusinessCalendar, day: date) -> bool:
    return day.weekday() in calendar.weekdays and day not in calendar.holidays


def business_window(calendar: BusinessCalendar, day: date) -> tuple[datetime, datetime] | None:
    """The opening hours of a local date as UTC instants, or None on a closed day.

    A local time that does not exist (inside a spring-forward gap) resolves as PEP 495
    ``fold=0`` does: with the offset before the change.
    """
    if not is_business_day(calendar, day):
        return None
    zone = calendar.zone()
    opens, closes = calendar.hours()
    start = datetime.combine(day, opens, tzinfo=zone)
    if closes is None:
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    else:
        end = datetime.combine(day, closes, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _windows_from(
    calendar: BusinessCalendar, moment: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Business windows that end after ``moment``, in order, clipped to start no earlier."""
    # Start a day early: it costs one skipped window and cannot miss one still open.
    day = moment.astimezone(calendar.zone()).date() - timedelta(days=1)
    for _ in range(_MAX_DAYS):
        window = business_window(calendar, day)
        day += timedelta(days=1)
        if window is None or window[1] <= moment:
            continue
        yield max(window[0], moment), window[1]
    raise ValueError("calendar: no business hours within ten years")


def due_at(opened_at: datetime, hours: float, calendar: BusinessCalendar | None = None) -> datetime:
    """``opened_at`` plus ``hours`` of SLA: wall-clock hours, or business hours of ``calendar``.

    A case opened outside business hours starts counting when the team next opens;
    an SLA that ends exactly at closing time is due at closing, not next morning.
    """
    start = _aware(opened_at, "opened_at")
    remaining = timedelta(hours=hours)
    if remaining < timedelta(0):
        raise ValueError("hours: must not be negative")
    if calendar is None:
        return start + remaining
    for window_start, window_end in _windows_from(calendar, start):
        available = window_end - window_start
        if remaining <= available:
            return window_start + remaining
        remaining -= available
    raise AssertionError("unreachable: _windows_from raises when it runs out")


def business_time_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> timedelta:
    """How much business time lies between two instants (zero if ``end`` is not later).

    For "time to first action" and "time left" in the same hours the SLA counts.
    """
    begin, finish = _aware(start, "start"), _aware(end, "end")
    total = timedelta(0)
    if finish <= begin:
        return total
    for window_start, window_end in _windows_from(calendar, begin):
        if window_start >= finish:
            break
        total += min(window_end, finish) - window_start
    return total


def warn_at(
    opened_at: datetime,
    hours: float,
    lead_time: timedelta,
    calendar: BusinessCalendar | None = None,
) -> datetime:
    """When the "about to breach" notice goes out: ``lead_time`` before the due time,
    counted in the same hours as the SLA.

    With a business calendar the lead time is business time, so a two-hour warning
    for a case due Monday 10:00 goes out Friday 16:00 while the team can still act,
    not at 08:00 on Monday before anyone is in. It is computed forwards from the
    opening (SLA minus lead), which is exact. An SLA no longer than twice the lead (an
    urgent case) warns halfway: warning at once would send "due soon" in the same moment
    as "new case".
    """
    lead_hours = min(lead_time / timedelta(hours=1), hours / 2)
    return due_at(opened_at, max(0.0, hours - lead_hours), calendar)


def is_breached(due: datetime, now: datetime, closed_at: datetime | None = None) -> bool:
    """An open case breaches at its due time; a closed one breached if closed after it."""
    if closed_at is not None:
        return _aware(closed_at, "closed_at") > _aware(due, "due")
    return _aware(now, "now") >= _aware(due, "due")


def sla_state(
    due: datetime,
    now: datetime,
    *,
    warn_from: datetime,
    closed_at: datetime | None = None,
) -> SlaState:
    """The SLA badge of a case: ``met``/``missed`` once closed; otherwise ``breached`` at
    or after due, ``due_soon`` from ``warn_from`` (see ``warn_at``), else ``on_track``."""
    if closed_at is not None:
        return "missed" if is_breached(due, now, closed_at) else "met"
    if is_breached(due, now):
        return "breached"
    if _aware(now, "now") >= _aware(warn_from, "warn_from"):
        return "due_soon"
    return "on_track"
