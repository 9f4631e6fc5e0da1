"""SLA due times with a frozen clock: wall-clock and business hours across weekends,
holidays and DST changes, warnings before a breach, and breach detection."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyor.followups.models import BusinessCalendar
from surveyor.followups.sla import (
    business_time_between,
    business_window,
    due_at,
    is_breached,
    sla_state,
    warn_at,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = BusinessCalendar(timezone="Europe/Berlin", opens="09:00", closes="17:00")
CHRISTMAS = BusinessCalendar(
    timezone="Europe/Berlin", holidays=(date(2026, 12, 25), date(2026, 12, 26))
)
ALWAYS = BusinessCalendar(
    timezone="Europe/Berlin", weekdays=(0, 1, 2, 3, 4, 5, 6), opens="00:00", closes="24:00"
)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_wall_clock_hours_are_real_elapsed_hours_even_across_dst():
    # 2026-03-29 02:00 CET → 03:00 CEST: 24 real hours later reads 13:00 local, not 12:00.
    assert due_at(berlin(2026, 3, 28, 12), 24) == berlin(2026, 3, 29, 13)
    assert due_at(berlin(2026, 3, 28, 12), 24).tzinfo is UTC
    assert due_at(datetime(2026, 1, 1, tzinfo=UTC), 1.5) == datetime(2026, 1, 1, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("opened", "hours", "due"),
    [
        # Monday 2026-03-16, inside hours.
        (berlin(2026, 3, 16, 10), 4, berlin(2026, 3, 16, 14)),
        # Ending exactly at closing time is due at closing, not the next morning.
        (berlin(2026, 3, 16, 9), 8, berlin(2026, 3, 16, 17)),
        (berlin(2026, 3, 16, 9), 8.5, berlin(2026, 3, 17, 9, 30)),
        # Before opening and after closing.
        (berlin(2026, 3, 16, 7), 1, berlin(2026, 3, 16, 10)),
        (berlin(2026, 3, 16, 18), 1, berlin(2026, 3, 17, 10)),
        # Friday afternoon across the weekend.
        (berlin(2026, 3, 20, 15), 4, berlin(2026, 3, 23, 11)),
        # Opened on Saturday, on Sunday night: the clock starts Monday 09:00.
        (berlin(2026, 3, 21, 10), 2, berlin(2026, 3, 23, 11)),
        (berlin(2026, 3, 22, 23, 59), 0, berlin(2026, 3, 23, 9)),
        # Several days.
        (berlin(2026, 3, 16, 9), 40, berlin(2026, 3, 20, 17)),
        (berlin(2026, 3, 16, 9), 48, berlin(2026, 3, 23, 17)),  # six 8-hour days
        # DST starts Sunday 2026-03-29: Friday 16:00 CET + 2 h = Monday 10:00 CEST (08:00 UTC).
        (berlin(2026, 3, 27, 16), 2, datetime(2026, 3, 30, 8, tzinfo=UTC)),
        # DST ends Sunday 2026-10-25: Friday 16:00 CEST + 2 h = Monday 10:00 CET (09:00 UTC).
        (berlin(2026, 10, 23, 16), 2, datetime(2026, 10, 26, 9, tzinfo=UTC)),
    ],
)
def test_business_hours_in_berlin(opened, hours, due):
    assert due_at(opened, hours, OFFICE) == due


def test_business_hours_skip_holidays_and_the_weekend_after_them():
    # Thursday 24 Dec 16:00: 1 h that day; 25 (Fri) holiday, 26–27 weekend; 7 h on Monday 28.
    assert due_at(berlin(2026, 12, 24, 16), 8, CHRISTMAS) == berlin(2026, 12, 28, 16)
    # Opened on the holiday itself.
    assert due_at(berlin(2026, 12, 25, 10), 1, CHRISTMAS) == berlin(2026, 12, 28, 10)


def test_opening_hours_follow_the_calendar_zone_through_a_us_dst_change():
    nyc = BusinessCalendar(timezone="America/New_York", opens="08:30", closes="18:00")
    # US DST starts Sunday 2026-03-08. Friday 17:00 EST + 3 h → Monday 10:30 EDT = 14:30 UTC.
    opened = datetime(2026, 3, 6, 17, tzinfo=NEW_YORK)
    assert due_at(opened, 3, nyc) == datetime(2026, 3, 9, 14, 30, tzinfo=UTC)
    # The opening time is read in the calendar's zone whatever zone the input is in.
    assert due_at(opened.astimezone(BERLIN), 3, nyc) == datetime(2026, 3, 9, 14, 30, tzinfo=UTC)


def test_a_round_the_clock_calendar_counts_the_real_length_of_a_dst_day():
    # 29 March 2026 has 23 hours in Berlin, 25 October 2026 has 25.
    assert business_time_between(berlin(2026, 3, 29), berlin(2026, 3, 30), ALWAYS) == timedelta(
        hours=23
    )
    assert business_time_between(berlin(2026, 10, 25), berlin(2026, 10, 26), ALWAYS) == timedelta(
        hours=25
    )
    assert due_at(berlin(2026, 3, 28, 12), 24, ALWAYS) == berlin(2026, 3, 29, 13)


def test_business_windows_of_a_day():
    assert business_window(OFFICE, date(2026, 3, 21)) is None  # Saturday
    assert business_window(OFFICE, date(2026, 7, 1)) == (
        datetime(2026, 7, 1, 7, tzinfo=UTC),
        datetime(2026, 7, 1, 15, tzinfo=UTC),
    )


def test_business_time_between_two_instants():
    assert business_time_between(
        berlin(2026, 3, 20, 16), berlin(2026, 3, 23, 10), OFFICE
    ) == timedelta(hours=2)
    assert business_time_between(
        berlin(2026, 3, 21, 1), berlin(2026, 3, 22, 23), OFFICE
    ) == timedelta(0)
    assert business_time_between(
        berlin(2026, 3, 23, 10), berlin(2026, 3, 20, 16), OFFICE
    ) == timedelta(0)


@given(
    opened=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
    minutes=st.integers(0, 80 * 60),
)
@settings(max_examples=200, deadline=None)
def test_business_time_until_due_equals_the_sla(opened, minutes):
    start = opened.replace(tzinfo=UTC)
    due = due_at(start, minutes / 60, CHRISTMAS)
    assert due >= start
    assert business_time_between(start, due, CHRISTMAS) == timedelta(minutes=minutes)


@given(
    opened=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
    minutes=st.integers(0, 200 * 60),
)
@settings(max_examples=200, deadline=None)
def test_a_round_the_clock_calendar_equals_wall_clock_time(opened, minutes):
    start = opened.replace(tzinfo=UTC)
    assert due_at(start, minutes / 60, ALWAYS) == due_at(start, minutes / 60)


def test_naive_times_and_negative_hours_are_refused():
    with pytest.raises(ValueError, match="naive"):
        due_at(datetime(2026, 3, 16, 9), 1, OFFICE)
    with pytest.raises(ValueError, match="negative"):
        due_at(berlin(2026, 3, 16, 9), -1)


def test_a_calendar_without_any_business_day_is_an_error():
    mondays = tuple(date(2026, 3, 16) + timedelta(weeks=w) for w in range(600))
    closed = BusinessCalendar(weekdays=(0,), holidays=mondays)
    with pytest.raises(ValueError, match="no business hours"):
        due_at(datetime(2026, 3, 16, tzinfo=UTC), 1, closed)


def test_warning_comes_lead_time_before_due_in_the_same_hours():
    # Opened Friday 10:00 with 8 business hours: due Monday 10:00; a 2 h warning on Friday 16:00.
    opened = berlin(2026, 3, 20, 10)
    assert due_at(opened, 8, OFFICE) == berlin(2026, 3, 23, 10)
    assert warn_at(opened, 8, timedelta(hours=2), OFFICE) == berlin(2026, 3, 20, 16)
    # Wall-clock: simply due − lead; a lead longer than half the SLA warns halfway, never
    # at the opening (issue 18: "due soon" arrived together with "new case").
    assert warn_at(opened, 8, timedelta(hours=2)) == berlin(2026, 3, 20, 16)
    assert warn_at(opened, 1, timedelta(hours=2)) == opened + timedelta(minutes=30)
    assert warn_at(opened, 4, timedelta(hours=4)) == opened + timedelta(hours=2)


@pytest.mark.parametrize(
    ("now", "closed_at", "state"),
    [
        (berlin(2026, 3, 20, 12), None, "on_track"),
        (berlin(2026, 3, 20, 16), None, "due_soon"),
        (berlin(2026, 3, 23, 9, 59), None, "due_soon"),
        (berlin(2026, 3, 23, 10), None, "breached"),  # at the due second
        (berlin(2026, 3, 25), None, "breached"),
        (berlin(2026, 3, 25), berlin(2026, 3, 23, 10), "met"),
        (berlin(2026, 3, 25), berlin(2026, 3, 23, 10, 0, 1), "missed"),
    ],
)
def test_sla_state_with_a_frozen_clock(now, closed_at, state):
    due = berlin(2026, 3, 23, 10)
    warn = berlin(2026, 3, 20, 16)
    assert sla_state(due, now, warn_from=warn, closed_at=closed_at) == state


def test_breach_detection():
    due = datetime(2026, 3, 23, 9, tzinfo=UTC)
    assert not is_breached(due, due - timedelta(seconds=1))
    assert is_breached(due, due)
    assert not is_breached(due, due + timedelta(days=3), closed_at=due - timedelta(hours=1))
    assert is_breached(due, due - timedelta(days=3), closed_at=due + timedelta(minutes=1))
