"""PostgreSQL backend (asyncpg): the same store code, for several app and worker processes.

Store SQL is written with ``?`` placeholders; they become ``$1, $2…`` here. Each
``write`` unit is its own transaction on a pooled connection. Group commit (units
queued together in one transaction, a SAVEPOINT each) was built and measured here and
did not pay: see bench/README.md, "Issue 17 — PostgreSQL, third pass".
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

import asyncpg

from surveyor.db.database import Params, Row, StorageUnavailable, Tx

T = TypeVar("T")

# Faults of the server or the way to it, never of the request: class 08 (connection),
# 53 (insufficient resources: disk full, out of memory, too many connections),
# 57 (operator intervention: shutdown, cannot connect now), 58 (system / I/O error), and
# a transaction refused because the server is read-only (a standby, or made so by hand).
STORAGE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable (ConnectionError is one)
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.PostgresSystemError,
    asyncpg.exceptions.ReadOnlySQLTransactionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,  # e.g. "connection is closed", "pool is closing"
)


def _unavailable(exc: BaseException) -> StorageUnavailable:
    error = StorageUnavailable(f"database unavailable: {exc}")
    error.__cause__ = exc
    return error


@functools.lru_cache(maxsize=2048)
def to_dollar_params(sql: str) -> str:
    """Turn ``?`` placeholders into ``$n``, leaving quoted text and comments alone."""
    out: list[str] = []
    n = 0
    i = 0
    quote: str | None = None
    while i < len(sql):
        ch = sql[i]
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = len(sql) if end == -1 else end
            out.append(sql[i:end])
            i = end
            continue
        elif ch == "?":
            n += 1
            out.append(f"${n}")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection going back to the pool needs beyond asyncpg's own clean-up (which
    rolls back an open transaction and drops listeners): nothing.

    asyncpg's default runs ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`` on every release: one more round trip for every read and every write unit
    (profiled under ``bench/events.py``: 14 % of the server's time on an event). Surveyor
    keeps no session state to undo: advisory locks are transaction-scoped
    (``pg_advisory_xact_lock``), cursors live inside a transaction (``stream``), nothing
    LISTENs and nothing runs ``SET`` outside ``SET LOCAL``; ``search_path`` comes with the
    connection's start-up parameters and stays.
    """


class _PgTx:
    backend = "postgresql"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        status = await self._conn.execute(to_dollar_params(sql), *params)
        # "INSERT 0 3", "UPDATE 2", "DELETE 0": the last word is the row count.
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        await self._conn.executemany(to_dollar_params(sql), list(rows))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        record = await self._conn.fetchrow(to_dollar_params(sql), *params)
        return None if record is None else dict(record)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return [dict(r) for r in await self._conn.fetch(to_dollar_params(sql), *params)]

    async def fetch_val(self, sql: str, params: Params = ()) -> Any:
        return await self._conn.fetchval(to_dollar_params(sql), *params)

    async def execute_script(self, script: str) -> None:
        # Without parameters asyncpg sends the simple protocol: many statements at once.
        await self._conn.execute(script)


class PostgresDatabase:
    backend = "postgresql"

    def __init__(self, dsn: str, *, pool_size: int = 10) -> None:
        self.dsn = dsn
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

    async def connect(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self.dsn,
                min_size=1,
                max_size=self.pool_size,
                command_timeout=60,
                reset=_keep_session,
            )
        except (*STORAGE_ERRORS, asyncpg.PostgresError, TimeoutError) as exc:
            # Name the server, never the password in the DSN.
            raise StorageUnavailable(
                f"cannot connect to PostgreSQL at {self.where}: {exc}"
            ) from exc

    @property
    def where(self) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(self.dsn)
        return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StorageUnavailable("database is not connected")
        return self._pool

    async def write(self, unit: Callable[[Tx], Awaitable[T]]) -> T:
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                return await unit(_PgTx(conn))
        except STORAGE_ERRORS as exc:
            raise _unavailable(exc) from exc

    async def write_one(self, sql: str, params: Params = ()) -> Row | None:
        # A statement sent alone is its own transaction (it commits, durably with the default
        # synchronous_commit, before its answer comes back): no BEGIN, no COMMIT.
        try:
            record = await self.pool.fetchrow(to_dollar_params(sql), *params)
        except STORAGE_ERRORS as exc:
            raise _unavailable(exc) from exc
        return None if record is None else dict(record)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            return [dict(r) for r in await self.pool.fetch(to_dollar_params(sql), *params)]
        except STORAGE_ERRORS as exc:
            raise _unavailable(exc) from exc

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        try:
            record = await self.pool.fetchrow(to_dollar_params(sql), *params)
        except STORAGE_ERRORS as exc:
            raise _unavailable(exc) from exc
        return None if record is None else dict(record)

    async def fetch_val(self, sql: str, params: Params = ()) -> Any:
        try:
            return await self.pool.fetchval(to_dollar_params(sql), *params)
        except STORAGE_ERRORS as exc:
            raise _unavailable(exc) from exc

    async def stream(
        self, sql: str, params: Params = (), size: int = 1000
    ) -> AsyncIterator[list[Row]]:
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            cursor = await conn.cursor(to_dollar_params(sql), *params)
            while batch := await cursor.fetch(size):
                yield [dict(r) for r in batch]

    async def lock_for_migrations(self, tx: Tx) -> None:
        # Two processes starting at once must not both apply the same migration. The lock is
        # keyed by schema: instances (and test runs) in other schemas of the database never wait.
        await tx.execute("SELECT pg_advisory_xact_lock(727274, hashtext(current_schema()))")
