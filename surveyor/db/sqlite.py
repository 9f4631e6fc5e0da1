"""SQLite backend: one group-committing writer, aiosqlite readers.

Why the writer is built this way (measured in ../shared/PERF-BASELINE.md on this
machine): with ``synchronous=FULL`` every COMMIT costs an fsync, which caps one
transaction per request near 2k/s, and every aiosqlite ``await`` is a thread hop of
65-200 us against ~20 us for the SQL itself. So the writer task takes every queued
unit of work, runs each inside its own SAVEPOINT (a failing unit rolls back alone),
commits once, and only then answers all of them. The statements run inline on the
writer's own sqlite3 connection (no hop); BEGIN and COMMIT, which may wait on a lock
or an fsync, run on the writer's thread so the event loop never blocks on the disk.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiosqlite

from surveyor.db.database import Params, Row, StorageUnavailable, Tx
from surveyor.db.sqlite_writer import _STOP, _GroupCommitWriter, is_storage_error, unavailable
from surveyor.db.sqlite_writer import split_script as split_script

log = logging.getLogger("surveyor.db")
BUSY_TIMEOUT_MS = 5000


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {col[0]: value for col, value in zip(cursor.description, row, strict=True)}


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch a new database to WAL. Two processes opening a fresh file at once may both
    try; the switch does not wait on busy_timeout, so wait for the other one here."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            # Rows are still tuples here: _configure runs before the row factory is set.
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)  # runs in the connection's own thread, never on the event loop


def _configure(conn: sqlite3.Connection, synchronous: str) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _use_wal(conn)
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")


class SQLiteDatabase(_GroupCommitWriter):
    backend = "sqlite"

    def __init__(
        self,
        path: str,
        *,
        synchronous: str = "FULL",
        readers: int = 2,
        close_timeout: float = 30.0,
    ) -> None:
        self.path = str(Path(path))
        self.synchronous = synchronous
        self.close_timeout = close_timeout
        self._reader_count = readers
        self._readers: list[aiosqlite.Connection] = []
        self._next_reader = 0
        self._writer: sqlite3.Connection | None = None
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self._closing = False
        self._in_hand: list[Any] = []  # the group the writer is working on
        self.commits = 0  # how many group commits ran (observed by tests and bench)
        self.failed_groups = 0  # groups failed by a storage error (observed by tests)
        self.writer_restarts = 0  # writer tasks the supervisor had to restart
        # Called with each group's size before it commits (the /metrics batch histogram).
        self.on_batch: Callable[[int], None] | None = None

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            self._writer = await loop.run_in_executor(self._thread, self._open_writer)
            for _ in range(self._reader_count):
                reader = await aiosqlite.connect(self.path, isolation_level=None)
                self._readers.append(reader)
                reader.row_factory = _dict_row
                await reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                await reader.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            for reader in self._readers:
                await reader.close()
            self._readers.clear()
            raise unavailable(exc, f"SQLite database {self.path}") from exc
        self._closing = False
        self._task = asyncio.create_task(self._supervise(), name="sqlite-writer")

    def _open_writer(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            _configure(conn, self.synchronous)
            # The writer waits for the write lock in its own loop (begin_immediate); inside
            # its transaction it holds the lock, so no statement there waits on another.
            conn.execute("PRAGMA busy_timeout = 0")
        except BaseException:
            conn.close()
            raise
        conn.row_factory = _dict_row
        return conn

    async def close(self) -> None:
        """Drain the queue, wait for the last flush, then close every connection.

        Bounded by ``close_timeout``: a writer stuck on the disk is abandoned and every unit
        still waiting fails with ``StorageUnavailable``."""
        self._closing = True
        abandoned = False
        if self._task is not None:
            task, self._task = self._task, None
            await self._queue.put(_STOP)
            try:
                await asyncio.wait_for(asyncio.shield(task), self.close_timeout)
            except TimeoutError:
                log.error(
                    "sqlite writer did not stop within %s s; abandoning it", self.close_timeout
                )
                abandoned = True
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            self._fail_queued(StorageUnavailable("database is shutting down"))
        for reader in self._readers:
            with contextlib.suppress(Exception):
                await reader.close()
        self._readers.clear()
        if self._writer is not None and not abandoned:
            writer, self._writer = self._writer, None
            with contextlib.suppress(Exception):
                await asyncio.get_running_loop().run_in_executor(self._thread, writer.close)
        self._thread.shutdown(wait=not abandoned)

    async def write_one(self, sql: str, params: Params = ()) -> Row | None:
        return await self.write(lambda tx: tx.fetch_one(sql, params))

    # -- reads ----------------------------------------------------------------

    def _reader(self) -> aiosqlite.Connection:
        if not self._readers:
            raise StorageUnavailable("database is not connected")
        self._next_reader = (self._next_reader + 1) % len(self._readers)
        return self._readers[self._next_reader]

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            return list(await self._reader().execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            if is_storage_error(exc):
                raise unavailable(exc) from exc
            raise

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return next(iter(await self.fetch_all(sql, params)), None)

    async def fetch_val(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else next(iter(row.values()))

    async def stream(
        self, sql: str, params: Params = (), size: int = 1000
    ) -> AsyncIterator[list[Row]]:
        async with aiosqlite.connect(self.path, isolation_level=None) as conn:
            conn.row_factory = _dict_row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # One read transaction, so the export is a consistent snapshot.
            await conn.execute("BEGIN")
            async with conn.execute(sql, params) as cursor:
                while batch := await cursor.fetchmany(size):
                    yield list(batch)
            await conn.execute("COMMIT")

    async def lock_for_migrations(self, tx: Tx) -> None:
        # The writer's BEGIN IMMEDIATE already excludes every other writing process.
        return None

    async def backup(self, target: str) -> None:
        """A consistent copy of the live database (SQLite's online backup API)."""

        def copy() -> None:
            source = sqlite3.connect(self.path)
            dest = sqlite3.connect(target)
            try:
                source.backup(dest)
            finally:
                dest.close()
                source.close()

        await asyncio.to_thread(copy)
