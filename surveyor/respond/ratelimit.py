"""Per-client limits for the public pages: token guessing and anonymous responses.

Keys are the real peer address from ``client_ip`` (``X-Forwarded-For`` counts only from
a trusted proxy), and IPv6 addresses are grouped by their /64, which one customer or
one attacker usually holds whole — so neither a forged header nor rotating addresses
inside a /64 buys more attempts. Counters live in memory: a restart forgives, which is
fine for limits whose job is to make guessing 192-bit tokens pointless, not possible.
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict, deque
from collections.abc import Callable

# A person mistyping a link a few times never gets near this; a guesser is stopped fast.
TOKEN_MISSES = (20, 600.0)  # unknown tokens per client per 10 minutes
PUBLIC_STARTS = (30, 600.0)  # new anonymous responses per client per 10 minutes
MAX_KEYS = 100_000


def client_key(address: str) -> str:
    """The unit a limit applies to: an IPv4 address or an IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        mapped = ip.ipv4_mapped  # type: ignore[union-attr]
        if mapped is not None:
            return str(mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class SlidingWindow:
    """At most ``limit`` events per ``window`` seconds for each key."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
        while events and now - events[0] > self.window:
            events.popleft()
        return events

    def blocked(self, address: str) -> bool:
        key = client_key(address)
        if key not in self._events:
            return False
        return len(self._recent(key, self.clock())) >= self.limit

    def hit(self, address: str) -> None:
        key = client_key(address)
        now = self.clock()
        self._recent(key, now).append(now)
        self._events.move_to_end(key)
        while len(self._events) > MAX_KEYS:  # bound memory under a spray of addresses
            self._events.popitem(last=False)

    def retry_after(self, address: str) -> int:
        events = self._events.get(client_key(address))
        if not events:
            return 0
        return max(1, int(self.window - (self.clock() - events[0])) + 1)


class Limits:
    """The respondent pages' limiters for one app."""

    def __init__(self) -> None:
        self.token_misses = SlidingWindow(*TOKEN_MISSES)
        self.public_starts = SlidingWindow(*PUBLIC_STARTS)
