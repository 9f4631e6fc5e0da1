"""Rate-limit counters shared by every process: fixed windows, counted in Redis (when
``redis_url`` is set), in the database (``rate_limit_counters``: PostgreSQL, or SQLite
served by several processes), or in memory (SQLite with one serving process, which holds
the database, so memory is already "every process").

``await counters.hit(key, window)`` adds one and returns the window's count and the
seconds until it resets; ``await counters.peek(key, window)`` only reads.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any, Protocol
from urllib.parse import urlsplit

from surveyor.db import Database

MAX_KEYS = 100_000


class Counters(Protocol):
    async def hit(self, key: str, window: int) -> tuple[int, int]: ...

    async def peek(self, key: str, window: int) -> tuple[int, int]: ...


def _window(window: int, now: float) -> tuple[int, int]:
    start = int(now // window) * window
    return start, max(1, start + window - int(now))


class MemoryCounters:
    def __init__(self, clock: Any = time.time) -> None:
        self.clock = clock
        self._counts: OrderedDict[str, tuple[int, int]] = OrderedDict()

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        start, reset = _window(window, self.clock())
        held = self._counts.get(key)
        count = held[1] + 1 if held and held[0] == start else 1
        self._counts[key] = (start, count)
        self._counts.move_to_end(key)
        while len(self._counts) > MAX_KEYS:
            self._counts.popitem(last=False)
        return count, reset

    async def peek(self, key: str, window: int) -> tuple[int, int]:
        start, reset = _window(window, self.clock())
        held = self._counts.get(key)
        return (held[1] if held and held[0] == start else 0), reset


class DatabaseCounters:
    """One row per key: ``(window_start, hits)``, reset when a new window begins."""

    def __init__(self, db: Database, clock: Any = time.time) -> None:
        self.db = db
        self.clock = clock

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        start, reset = _window(window, self.clock())
        # One statement, its own unit (``write_one``): on PostgreSQL one round trip instead
        # of BEGIN, the upsert and COMMIT, and the key's row is locked for the statement
        # only, not for a group of write units (every request of one key hits one row).
        row = await self.db.write_one(
            "INSERT INTO rate_limit_counters (key, window_start, hits) VALUES (?, ?, 1) "
            "ON CONFLICT (key) DO UPDATE SET "
            "hits = CASE WHEN rate_limit_counters.window_start = excluded.window_start "
            "THEN rate_limit_counters.hits + 1 ELSE 1 END, "
            "window_start = excluded.window_start RETURNING hits",
            (key, start),
        )
        return (int(row["hits"]) if row else 1), reset

    async def peek(self, key: str, window: int) -> tuple[int, int]:
        start, reset = _window(window, self.clock())
        row = await self.db.fetch_one(
            "SELECT window_start, hits FROM rate_limit_counters WHERE key = ?", (key,)
        )
        return (int(row["hits"]) if row and int(row["window_start"]) == start else 0), reset


class RedisCounters:
    """``INCR`` + ``EXPIRE`` on one connection (RESP spoken directly: two commands need
    no client library). The key carries the window start, so windows never mix."""

    def __init__(self, url: str, clock: Any = time.time) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 6379
        self.db = int((parts.path or "/0").lstrip("/") or 0)
        self.password = parts.password
        self.clock = clock
        self._conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._lock = asyncio.Lock()

    async def _command(self, *args: str | int) -> Any:
        async with self._lock:
            for attempt in range(2):
                try:
                    if self._conn is None:
                        self._conn = await asyncio.open_connection(self.host, self.port)
                        if self.password:
                            await self._send("AUTH", self.password)
                        if self.db:
                            await self._send("SELECT", self.db)
                    return await self._send(*args)
                except (OSError, ConnectionError, asyncio.IncompleteReadError):
                    await self.close()
                    if attempt:
                        raise
        raise AssertionError("unreachable")

    async def _send(self, *args: str | int) -> Any:
        assert self._conn is not None
        reader, writer = self._conn
        data = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            raw = str(arg).encode()
            data.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
        writer.write(b"".join(data))
        await writer.drain()
        line = await reader.readline()
        if line.startswith(b"-"):
            raise ConnectionError(f"redis: {line[1:].decode().strip()}")
        if line.startswith(b":"):
            return int(line[1:])
        if line.startswith(b"$"):
            size = int(line[1:])
            return None if size < 0 else (await reader.readexactly(size + 2))[:-2].decode()
        return line[1:].strip().decode()

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        start, reset = _window(window, self.clock())
        name = f"surveyor:rl:{key}:{start}"
        count = int(await self._command("INCR", name))
        if count == 1:
            await self._command("EXPIRE", name, window + 5)
        return count, reset

    async def peek(self, key: str, window: int) -> tuple[int, int]:
        start, reset = _window(window, self.clock())
        value = await self._command("GET", f"surveyor:rl:{key}:{start}")
        return int(value or 0), reset

    async def close(self) -> None:
        if self._conn is not None:
            self._conn[1].close()
            self._conn = None


def counters_for(svc: Any) -> Counters:
    """The app's counters (made once and kept on the services)."""
    found = getattr(svc, "rate_counters", None)
    if found is None:
        settings = svc.settings
        if settings.redis_url:
            found = RedisCounters(settings.redis_url)
        elif svc.db.backend == "postgresql" or getattr(svc, "server_processes", 1) > 1:
            # Several processes (PostgreSQL, or ``serve --workers 2`` on one SQLite file)
            # count in the database, so a limit is one limit, not one per process.
            found = DatabaseCounters(svc.db)
        else:
            found = MemoryCounters()
        svc.rate_counters = found
    return found
