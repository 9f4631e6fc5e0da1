"""The back-off schedule (pure): doubling ceilings, equal jitter, a cap."""

from __future__ import annotations

import pytest

from surveyor.delivery.backoff import backoff_seconds


@pytest.mark.parametrize(
    ("attempt", "rand", "seconds"),
    [
        (1, 0.0, 30.0),  # half of the 60 s ceiling, no jitter
        (1, 1.0, 60.0),  # the whole ceiling
        (2, 0.5, 90.0),  # ceiling 120: 60 + 0.5 * 60
        (3, 0.0, 120.0),
        (6, 1.0, 1920.0),
        (9, 0.0, 7680.0),
        (10, 1.0, 21600.0),  # 30 720 s capped at 6 h
        (500, 0.0, 10800.0),  # huge attempt numbers do not overflow
    ],
)
def test_backoff_table(attempt: int, rand: float, seconds: float) -> None:
    assert backoff_seconds(attempt, rand) == seconds


def test_the_schedule_never_shrinks_from_one_ceiling_to_the_next() -> None:
    # The earliest retry after attempt n+1 is never before the latest after attempt n/2.
    for attempt in range(1, 12):
        assert backoff_seconds(attempt + 1, 0.0) >= backoff_seconds(attempt, 1.0) / 2


@pytest.mark.parametrize(("attempt", "rand"), [(0, 0.5), (1, -0.1), (1, 1.5)])
def test_bad_inputs_are_refused(attempt: int, rand: float) -> None:
    with pytest.raises(ValueError):
        backoff_seconds(attempt, rand)
