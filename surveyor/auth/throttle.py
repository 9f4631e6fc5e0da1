"""Login throttling: per account (durable, from the audit log) and per client address.

The per-account limit counts failed logins in the database, so restarting the server
or rotating ``X-Forwarded-For`` resets nothing; the per-address limit is kept in memory
and keyed on the real peer address (see ``client_ip``).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from datetime import timedelta

from surveyor.auth import store
from surveyor.db import Database
from surveyor.ids import iso, utcnow

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


class AddressThrottle:
    def __init__(self, limit: int = MAX_FAILURES_PER_ADDRESS, window: timedelta = WINDOW) -> None:
        self.limit = limit
        self.window = window.total_seconds()
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _prune(self, address: str, now: float) -> deque[float]:
        failures = self._failures[address]
        while failures and now - failures[0] > self.window:
            failures.popleft()
        return failures

    def blocked(self, address: str) -> bool:
        return len(self._prune(address, time.monotonic())) >= self.limit

    def failed(self, address: str) -> None:
        now = time.monotonic()
        self._prune(address, now).append(now)
        if len(self._failures) > 100_000:  # bound memory under a spray of addresses
            oldest = next(iter(self._failures))
            del self._failures[oldest]


async def account_blocked(db: Database, email: str) -> bool:
    since = iso(utcnow() - WINDOW)
    return await store.failed_logins_since(db, email, since) >= MAX_FAILURES_PER_ACCOUNT
