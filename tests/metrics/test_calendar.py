"""Issue 16: the workspace's calendar (time zone, week start) for periods, trend buckets,
marker windows and exports — across a daylight-saving change in Los Angeles.

Expected local days are worked out here with zoneinfo directly, not with the product's
calendar module."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from surveyor.metrics import queries
from surveyor.metrics.calendar import Calendar, marker_window
from surveyor.metrics.queries import Scope
from surveyor.settings import SettingsError, load_settings
from tests.conftest import api_key, app_services, in_app, login, make_user
from tests.metrics.helpers import insert_rows, random_rows
from tests.metrics.test_views import _demo

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def settings(make_settings):
    return make_settings(timezone="America/Los_Angeles", week_start="sunday", metrics_min_n=5)


def _sunday_week(moment: datetime) -> date:
    local = moment.astimezone(LA).date()
    return local - timedelta(days=(local.isoweekday() % 7))  # Sunday → 0


async def test_weeks_are_the_teams_sunday_weeks_across_the_dst_change(client):
    db = app_services(client).db
    # DST starts on Sunday 8 March 2026 at 02:00 in Los Angeles (UTC−8 → UTC−7).
    moments = [
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # Sat 7 Mar 23:30 PST: the week of 1 Mar
        datetime(2026, 3, 8, 8, 30, tzinfo=UTC),  # Sun 8 Mar 00:30 PST: the week of 8 Mar
        datetime(2026, 3, 8, 10, 30, tzinfo=UTC),  # Sun 8 Mar 03:30 PDT
        datetime(2026, 3, 15, 6, 30, tzinfo=UTC),  # Sat 14 Mar 23:30 PDT: week of 8 Mar
        datetime(2026, 3, 15, 7, 30, tzinfo=UTC),  # Sun 15 Mar 00:30 PDT: week of 15 Mar
        datetime(2026, 3, 1, 7, 59, tzinfo=UTC),  # Sat 28 Feb 23:59 PST: before the period
        datetime(2026, 3, 22, 6, 59, tzinfo=UTC),  # Sat 21 Mar 23:59 PDT: last minute in
        datetime(2026, 3, 22, 7, 0, tzinfo=UTC),  # Sun 22 Mar 00:00 PDT: after the period
    ]
    rng = random.Random(1)
    rows = random_rows(rng, len(moments) * 3)
    for i, row in enumerate(rows):
        row["completed_at"] = moments[i % len(moments)] + timedelta(seconds=i // len(moments))
        row["nps"] = 10
    await in_app(client, insert_rows, db, rows)
    headers = await api_key(client, "read")
    answer = await client.get(
        "/api/v1/metrics",
        params={"from": "2026-03-01", "to": "2026-03-21", "bucket": "week"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # Whole local days: midnight PST on 1 March, midnight PDT after 21 March.
    assert body["from"] == "2026-03-01T08:00:00Z" and body["to"] == "2026-03-22T07:00:00Z"
    assert body["time_zone"] == "America/Los_Angeles" and body["week_start"] == "sunday"
    start, end = datetime(2026, 3, 1, 8, tzinfo=UTC), datetime(2026, 3, 22, 7, tzinfo=UTC)
    expected: dict[str, int] = {}
    for row in rows:
        if start <= row["completed_at"] < end:
            week = _sunday_week(row["completed_at"]).isoformat()
            expected[week] = expected.get(week, 0) + 1
    got = {p["bucket"]: p["nps"]["n"] for p in body["series"]}
    assert got == {"2026-03-01": 3, "2026-03-08": 9, "2026-03-15": 6}
    assert got == expected
    assert body["nps"]["n"] == sum(expected.values())
    # The minimum n is a setting (5 here): the 3-answer week is flagged.
    flags = {p["bucket"]: p["below_min_n"] for p in body["series"]}
    assert "nps" in flags["2026-03-01"] and "nps" not in flags["2026-03-08"]
    assert all(p["min_n"] == 5 for p in body["series"])


async def test_dashboard_marks_small_buckets_and_names_the_zone(client):
    await _demo(client)
    await login(client, await make_user(client, "manager"))
    page = await client.get("/dashboard/checkpoints/support_case_closed?days=365&bucket=week")
    assert page.status_code == 200, page.text
    assert "whole days in America/Los_Angeles" in page.text
    assert "fewer than 5 answers" in page.text


async def test_a_half_hour_zone_groups_by_minute(db):
    # Kolkata is UTC+05:30: 18:29 UTC is still the 1st there, 18:30 UTC is the 2nd.
    rows = random_rows(random.Random(3), 4)
    stamps = [
        (2026, 3, 1, 18, 29),
        (2026, 3, 1, 18, 30),
        (2026, 3, 7, 18, 29),
        (2026, 3, 7, 18, 31),
    ]
    for row, stamp in zip(rows, stamps, strict=True):
        row["completed_at"] = datetime(*stamp, tzinfo=UTC)
        row["nps"] = 9
    await insert_rows(db, rows)
    kolkata = Calendar(zone="Asia/Kolkata", week_start="sunday")
    scope = Scope(start=kolkata.midnight(date(2026, 3, 1)), end=kolkata.midnight(date(2026, 3, 15)))
    points = await queries.series(db, scope, "week", kolkata)
    # Sunday weeks in Kolkata: 1–7 March holds the first three, 8 March the fourth.
    assert [(p.bucket, p.nps.n) for p in points] == [("2026-03-01", 3), ("2026-03-08", 1)]


def test_marker_windows_are_whole_local_days_across_dst():
    calendar = Calendar(zone="America/Los_Angeles", week_start="sunday")
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)  # Fri 20 Mar 05:00 PDT
    window = marker_window("2026-03-08", now, calendar)
    assert window.days == 12  # 8–19 March are over; today (the 20th) is not
    assert window.before_start == datetime(2026, 2, 24, 8, tzinfo=UTC)  # midnight PST
    assert window.change == datetime(2026, 3, 8, 8, tzinfo=UTC)  # midnight PST
    assert window.after_end == datetime(2026, 3, 20, 7, tzinfo=UTC)  # midnight PDT
    # Twelve calendar days each side, though the "after" side has an hour less.
    assert window.change - window.before_start == timedelta(days=12)
    assert window.after_end - window.change == timedelta(days=12, hours=-1)
    assert window.label() == (
        "12 days before (2026-02-24 – 2026-03-07) against 12 days after "
        "(2026-03-08 – 2026-03-19), whole days in America/Los_Angeles"
    )
    today = marker_window("2026-03-20", now, calendar)
    assert today.days == 0 and "not one whole day" in today.label()
    capped = marker_window("2025-01-01", now, calendar)
    assert capped.days == 90


def test_week_start_and_half_hour_zones():
    sunday = Calendar(zone="UTC", week_start="sunday")
    saturday = Calendar(zone="UTC", week_start="saturday")
    thursday = date(2026, 3, 5)
    assert sunday.bucket_start(thursday, "week") == date(2026, 3, 1)
    assert saturday.bucket_start(thursday, "week") == date(2026, 2, 28)
    assert Calendar().bucket_start(thursday, "week") == date(2026, 3, 2)
    kolkata = Calendar(zone="Asia/Kolkata")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    assert not kolkata.whole_hour_offsets(start, start + timedelta(days=3))
    assert Calendar(zone="America/Los_Angeles").whole_hour_offsets(
        start, start + timedelta(days=30)
    )
    assert kolkata.midnight(date(2026, 3, 1)) == datetime(2026, 2, 28, 18, 30, tzinfo=UTC)


def test_the_time_zone_setting_is_checked():
    with pytest.raises(SettingsError, match="timezone"):
        load_settings(environ={"SURVEYOR_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(SettingsError, match="week_start"):
        load_settings(environ={"SURVEYOR_WEEK_START": "friday"})
    assert load_settings(environ={}).timezone == "UTC"


async def test_export_days_are_local_days(client):
    db = app_services(client).db
    rows = random_rows(random.Random(4), 3)
    stamps = [
        datetime(2026, 3, 8, 7, 59, tzinfo=UTC),  # Sat 7 Mar 23:59 PST
        datetime(2026, 3, 8, 8, 0, tzinfo=UTC),  # Sun 8 Mar 00:00 PST
        datetime(2026, 3, 9, 6, 59, tzinfo=UTC),  # Sun 8 Mar 23:59 PDT
    ]
    for row, stamp in zip(rows, stamps, strict=True):
        row["completed_at"] = stamp
    await in_app(client, insert_rows, db, rows)
    headers = await api_key(client, "read")
    answer = await client.get(
        "/api/v1/responses/export",
        params={"format": "json", "from": "2026-03-08", "to": "2026-03-08"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    got = sorted(r["response_id"] for r in answer.json())
    assert got == sorted(r["id"] for r in rows[1:])
