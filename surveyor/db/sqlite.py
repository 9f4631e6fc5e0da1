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
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from surveyor.db.database import Params, Row, Tx

log = logging.getLogger("surveyor.db")
T = TypeVar("T")
MAX_BATCH = 512
BUSY_TIMEOUT_MS = 5000
_STOP = object()


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


def split_script(script: str) -> list[str]:
    """Statements of a SQL script, split where SQLite itself says one is complete."""
    statements: list[str] = []
    buf = ""
    # Test after every ";" (not every line): two statements may share a line, and a ";"
    # inside a string, a comment or a trigger body does not complete one.
    for piece in re.split(r"(?<=;)", script):
        buf += piece
        if sqlite3.complete_statement(buf):
            if buf.strip().strip(";").strip():
                statements.append(buf.strip())
            buf = ""
    rest = [line for line in buf.splitlines() if line.strip() and not line.strip().startswith("--")]
    if rest:
        raise ValueError(f"incomplete SQL statement at end of script: {buf.strip()[:80]!r}")
    return statements


class _WriterTx:
    backend = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        self._conn.executemany(sql, rows)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return self._conn.execute(sql, params).fetchone()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    async def fetch_val(self, sql: str, params: Params = ()) -> Any:
        row = self._conn.execute(sql, params).fetchone()
        return None if row is None else next(iter(row.values()))

    async def execute_script(self, script: str) -> None:
        for statement in split_script(script):
            self._conn.execute(statement)


class SQLiteDatabase:
    backend = "sqlite"

    def __init__(self, path: str, *, synchronous: str = "FULL", readers: int = 2) -> None:
        self.path = str(Path(path))
        self.synchronous = synchronous
        self._reader_count = readers
        self._readers: list[aiosqlite.Connection] = []
        self._next_reader = 0
        self._writer: sqlite3.Connection | None = None
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self.commits = 0  # how many group commits ran (observed by tests and bench)

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        self._writer = await loop.run_in_executor(self._thread, self._open_writer)
        for _ in range(self._reader_count):
            reader = await aiosqlite.connect(self.path, isolation_level=None)
            reader.row_factory = _dict_row
            await reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await reader.execute("PRAGMA foreign_keys = ON")
            self._readers.append(reader)
        self._task = asyncio.create_task(self._run_writer(), name="sqlite-writer")

    def _open_writer(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        _configure(conn, self.synchronous)
        conn.row_factory = _dict_row
        return conn

    async def close(self) -> None:
        """Drain the queue, wait for the last flush, then close every connection."""
        if self._task is not None:
            await self._queue.put(_STOP)
            await self._task
            self._task = None
        for reader in self._readers:
            await reader.close()
        self._readers.clear()
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await asyncio.get_running_loop().run_in_executor(self._thread, writer.close)
        self._thread.shutdown(wait=True)

    # -- writes ---------------------------------------------------------------

    async def write(self, unit: Callable[[Tx], Awaitable[T]]) -> T:
        if self._task is None or self._task.done():
            raise RuntimeError("database is not connected")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._queue.put((unit, future))
        return await future

    async def _run_writer(self) -> None:
        stopping = False
        while not stopping:
            item = await self._queue.get()
            batch = []
            if item is _STOP:
                stopping = True
            else:
                batch.append(item)
            while len(batch) < MAX_BATCH and not self._queue.empty():
                more = self._queue.get_nowait()
                if more is _STOP:
                    stopping = True
                else:
                    batch.append(more)
            if batch:
                await self._flush(batch)

    async def _flush(
        self, batch: list[tuple[Callable[[Tx], Awaitable[Any]], asyncio.Future[Any]]]
    ) -> None:
        conn = self._writer
        assert conn is not None
        loop = asyncio.get_running_loop()
        tx = _WriterTx(conn)
        results: list[tuple[asyncio.Future[Any], bool, Any]] = []
        try:
            # BEGIN IMMEDIATE takes the write lock up front, so a busy database fails fast,
            # not halfway through a unit; it may wait on another process, hence the thread.
            await loop.run_in_executor(self._thread, conn.execute, "BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for unit, future in batch:
            if future.cancelled():
                continue
            conn.execute("SAVEPOINT unit")
            try:
                value = await unit(tx)
            except Exception as exc:  # handed back to the caller of write()
                conn.execute("ROLLBACK TO unit")
                conn.execute("RELEASE unit")
                results.append((future, False, exc))
            else:
                conn.execute("RELEASE unit")
                results.append((future, True, value))
        try:
            await loop.run_in_executor(self._thread, conn.execute, "COMMIT")
            self.commits += 1
        except sqlite3.Error as exc:
            log.error("group commit failed: %s", exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            results = [(future, False, exc) for future, _, _ in results]
        for future, ok, value in results:
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    # -- reads ----------------------------------------------------------------

    def _reader(self) -> aiosqlite.Connection:
        if not self._readers:
            raise RuntimeError("database is not connected")
        self._next_reader = (self._next_reader + 1) % len(self._readers)
        return self._readers[self._next_reader]

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._reader().execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self._reader().execute_fetchall(sql, params)
        return next(iter(rows), None)

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
