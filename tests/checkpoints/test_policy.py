"""The contact policy, table by table (pure: no database, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from surveyor.checkpoints.policy import (
    PolicyCheckpoint,
    PolicyContact,
    QuietHours,
    contact_zone,
    decide,
    leave_quiet_hours,
    sample_point,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday, noon UTC
SECRET = b"k" * 32
BASE = PolicyCheckpoint(key="order_delivered", channels=["email", "sms"], recontact_days=90)
CONTACT = PolicyContact(id="c1", timezone="Europe/Paris")
BOTH = {"email": True, "sms": True}


@pytest.mark.parametrize(
    ("checkpoint", "contact", "reachable", "decision", "reason", "channel"),
    [
        (BASE, CONTACT, BOTH, "scheduled", "scheduled", "email"),
        (BASE, CONTACT, {"email": False, "sms": True}, "scheduled", "scheduled", "sms"),
        (BASE, CONTACT, {}, "suppressed", "no_address", None),
        (
            PolicyCheckpoint(key="x", channels=["email"], active=False),
            CONTACT,
            BOTH,
            "suppressed",
            "checkpoint_inactive",
            None,
        ),
        (BASE, PolicyContact(id="c1", unsubscribed=True), BOTH, "suppressed", "unsubscribed", None),
        (
            BASE,
            PolicyContact(id="c1", erased=True, unsubscribed=True),
            BOTH,
            "suppressed",
            "erased",
            None,
        ),
        (
            BASE,
            PolicyContact(id="c1", last_surveyed_at=NOW - timedelta(days=29)),
            BOTH,
            "suppressed",
            "global_cap",
            None,
        ),
        (
            BASE,
            PolicyContact(id="c1", last_surveyed_at=NOW - timedelta(days=31)),
            BOTH,
            "scheduled",
            "scheduled",
            "email",
        ),
        (
            BASE,
            PolicyContact(
                id="c1",
                last_surveyed_at=NOW - timedelta(days=40),
                last_surveyed_here_at=NOW - timedelta(days=40),
            ),
            BOTH,
            "suppressed",
            "recontact_window",
            None,
        ),
        (
            PolicyCheckpoint(key="k", channels=["email"], recontact_days=0),
            PolicyContact(
                id="c1",
                last_surveyed_at=NOW - timedelta(days=40),
                last_surveyed_here_at=NOW - timedelta(days=40),
            ),
            BOTH,
            "scheduled",
            "scheduled",
            "email",
        ),
        (
            PolicyCheckpoint(key="k", channels=["email"], sample_rate=0.0),
            CONTACT,
            BOTH,
            "suppressed",
            "sampled_out",
            None,
        ),
    ],
)
def test_rules_decide_and_say_why(
    checkpoint, contact, reachable, decision, reason, channel
) -> None:
    result = decide(
        checkpoint=checkpoint, contact=contact, reachable=reachable, now=NOW, secret=SECRET
    )
    assert result.decision == decision
    assert result.reason.split(":")[0] == reason
    assert result.channel == channel
    assert (result.send_at is not None) == (decision == "scheduled")


def test_global_cap_of_zero_days_switches_the_cap_off() -> None:
    contact = PolicyContact(id="c1", last_surveyed_at=NOW - timedelta(days=1))
    result = decide(
        checkpoint=BASE, contact=contact, reachable=BOTH, now=NOW, secret=SECRET, global_cap_days=0
    )
    assert result.decision == "scheduled"


def test_delay_is_added_to_send_time() -> None:
    checkpoint = PolicyCheckpoint(key="k", channels=["email"], delay_seconds=3600)
    result = decide(checkpoint=checkpoint, contact=CONTACT, reachable=BOTH, now=NOW, secret=SECRET)
    assert result.send_at == NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    ("now_utc", "zone", "quiet", "expected_utc"),
    [
        # 23:00 in Paris (UTC+1 in winter) is inside 21:00–08:00 → 08:00 Paris next day = 07:00 UTC.
        (
            datetime(2026, 1, 14, 22, 0, tzinfo=UTC),
            "Europe/Paris",
            ("21:00", "08:00"),
            datetime(2026, 1, 15, 7, 0, tzinfo=UTC),
        ),
        # 06:00 Paris, same night, ends the same morning.
        (
            datetime(2026, 1, 15, 5, 0, tzinfo=UTC),
            "Europe/Paris",
            ("21:00", "08:00"),
            datetime(2026, 1, 15, 7, 0, tzinfo=UTC),
        ),
        # Noon in Paris is outside: unchanged.
        (
            datetime(2026, 1, 15, 11, 0, tzinfo=UTC),
            "Europe/Paris",
            ("21:00", "08:00"),
            datetime(2026, 1, 15, 11, 0, tzinfo=UTC),
        ),
        # The contact's own zone, not the server's: 03:00 UTC is 22:00 in New York (quiet).
        (
            datetime(2026, 1, 15, 3, 0, tzinfo=UTC),
            "America/New_York",
            ("21:00", "08:00"),
            datetime(2026, 1, 15, 13, 0, tzinfo=UTC),
        ),
        # A window that does not wrap midnight: 12:00–14:00 Tokyo.
        (
            datetime(2026, 1, 15, 3, 30, tzinfo=UTC),
            "Asia/Tokyo",
            ("12:00", "14:00"),
            datetime(2026, 1, 15, 5, 0, tzinfo=UTC),
        ),
        # Quiet ends at 02:30 on the night Paris skips 02:00–03:00 (DST starts): lands after the gap.
        (
            datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
            "Europe/Paris",
            ("01:00", "02:30"),
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        ),
        # An unknown zone falls back to UTC rather than failing the event.
        (
            datetime(2026, 1, 15, 22, 0, tzinfo=UTC),
            "Mars/Olympus",
            ("21:00", "08:00"),
            datetime(2026, 1, 16, 8, 0, tzinfo=UTC),
        ),
    ],
)
def test_quiet_hours_are_left_in_the_contacts_own_time_zone(
    now_utc, zone, quiet, expected_utc
) -> None:
    moved = leave_quiet_hours(now_utc, QuietHours(start=quiet[0], end=quiet[1]), contact_zone(zone))
    assert moved == expected_utc


def test_a_moved_send_time_says_so() -> None:
    checkpoint = PolicyCheckpoint(
        key="k", channels=["email"], quiet_hours=QuietHours(start="21:00", end="08:00")
    )
    night = datetime(2026, 1, 14, 22, 0, tzinfo=UTC)
    result = decide(
        checkpoint=checkpoint, contact=CONTACT, reachable=BOTH, now=night, secret=SECRET
    )
    assert result.reason.startswith("scheduled: moved out")
    assert result.send_at == datetime(2026, 1, 15, 7, 0, tzinfo=UTC)


def test_sampling_is_deterministic_and_close_to_the_rate() -> None:
    assert sample_point(SECRET, "c1", "k") == sample_point(SECRET, "c1", "k")
    assert sample_point(SECRET, "c1", "k") != sample_point(SECRET, "c1", "other")
    checkpoint = PolicyCheckpoint(key="k", channels=["email"], sample_rate=0.25)
    kept = sum(
        decide(
            checkpoint=checkpoint,
            contact=PolicyContact(id=f"c{i}"),
            reachable=BOTH,
            now=NOW,
            secret=SECRET,
        ).decision
        == "scheduled"
        for i in range(4000)
    )
    assert 0.22 < kept / 4000 < 0.28
