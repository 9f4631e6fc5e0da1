"""When a failed job runs again: exponential back-off with jitter (pure, no clock, no I/O)."""

from __future__ import annotations

BASE_SECONDS = 60.0
CAP_SECONDS = 6 * 3600.0


def backoff_seconds(
    attempt: int, rand: float, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    The ceiling doubles with each attempt up to ``cap``; the wait is half the ceiling
    plus a random share of the other half ("equal jitter"). Half fixed keeps the
    schedule growing, so a flapping SMTP server gets room; the random half spreads the
    retries of a thousand jobs that failed in the same second. ``rand`` is in [0, 1).
    """
    if attempt < 1:
        raise ValueError("attempt: must be at least 1")
    if not 0.0 <= rand <= 1.0:
        raise ValueError("rand: must be between 0 and 1")
    # 2 ** 60 seconds is far past any cap; clamping the exponent avoids float overflow.
    ceiling = min(cap, base * 2 ** min(attempt - 1, 60))
    return ceiling / 2 + rand * ceiling / 2
