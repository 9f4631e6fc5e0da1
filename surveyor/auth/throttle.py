"""Login throttling: per account (durable, from the audit log) and per client address.

The per-account limit counts failed logins in the database, so restarting the server
or rotating ``X-Forwarded-For`` resets nothing; the per-address limit is kept in memory
and keyed on the real peer address (see ``client_ip``).
"""

from __future__ import annotations

import time
from collections import deque
from datetime import timedelta

from surveyor.auth import store
from surveyor.db import Database
from surveyor.ids import iso, parse_iso, utcnow

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


class AddressThrottle:
    def __init__(self, limit: int = MAX_FAILURES_PER_ADDRESS, window: timedelta = WINDOW) -> None:
        self.limit = limit
        self.window = window.total_seconds()
        # Only addresses with a failure inside the window have an entry: asking whether an
        # address is blocked adds none, and an entry whose failures all expired is dropped.
        self._failures: dict[str, deque[float]] = {}

    def _prune(self, address: str, now: float) -> deque[float]:
        failures = self._failures.get(address)
        if failures is None:
            return deque()
        while failures and now - failures[0] > self.window:
            failures.popleft()
        if not failures:
            del self._failures[address]
        return failures

    def blocked(self, address: str) -> bool:
        return len(self._prune(address, time.monotonic())) >= self.limit

    def failed(self, address: str) -> None:
        now = time.monotonic()
        self._failures.setdefault(address, self._prune(address, now)).append(now)
        if len(self._failures) > 100_000:  # bound memory under a spray of addresses
            oldest = next(iter(self._failures))
            del self._failures[oldest]


# Growing delays instead of a lock (issue 18): no one can lock a named account from outside.
# From one source, after PAIR_FREE failures on an account each further try waits
# 4, 8, 16, … seconds after the last failure (at most PAIR_CAP). From everywhere together,
# the account's delay starts later and stays short (ACCOUNT_FREE, ACCOUNT_CAP), so the real
# user at another address is at most briefly slowed while a spray is being stopped.
PAIR_FREE, PAIR_CAP = 3, 900.0
ACCOUNT_FREE, ACCOUNT_CAP = 10, 30.0
DELAY_WINDOW = timedelta(hours=1)


def _delay(failures: int, free: int, cap: float) -> float:
    return 0.0 if failures < free else min(cap, 2.0 ** (failures - free + 2))


async def login_delay(db: Database, email: str, address: str) -> int:
    """Seconds this source must still wait before trying ``email`` again (0: go ahead)."""
    now = utcnow()
    attempts = await store.failed_login_attempts(db, email, iso(now - DELAY_WINDOW))
    if not attempts:
        return 0
    from_here = [at for at, ip in attempts if ip == address]
    waits = [
        parse_iso(attempts[-1][0]).timestamp()
        + _delay(len(attempts), ACCOUNT_FREE, ACCOUNT_CAP)
        - now.timestamp()
    ]
    if from_here:
        waits.append(
            parse_iso(from_here[-1]).timestamp()
            + _delay(len(from_here), PAIR_FREE, PAIR_CAP)
            - now.timestamp()
        )
    wait = max(waits)
    return int(wait) + 1 if wait > 0 else 0


async def account_blocked(db: Database, email: str) -> bool:
    since = iso(utcnow() - WINDOW)
    return await store.failed_logins_since(db, email, since) >= MAX_FAILURES_PER_ACCOUNT
