"""The SQLite group-commit writer and its supervisor (mixed into ``SQLiteDatabase``).

See ``surveyor.db.sqlite`` for why the writer is built this way: each queued unit runs in
its own SAVEPOINT, the group commits once, and only then are all of them answered.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from surveyor.db.database import Params, Row, StorageUnavailable, Tx

log = logging.getLogger("surveyor.db")
T = TypeVar("T")
MAX_BATCH = 512
_STOP = object()


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


# Engine error codes that say "the storage cannot take this now", not "this unit is wrong".
# The low byte is the primary code (extended codes such as SQLITE_IOERR_WRITE share it).
_STORAGE_CODES = {
    5,  # SQLITE_BUSY: another process held the lock past busy_timeout
    6,  # SQLITE_LOCKED
    7,  # SQLITE_NOMEM
    8,  # SQLITE_READONLY
    10,  # SQLITE_IOERR
    11,  # SQLITE_CORRUPT
    13,  # SQLITE_FULL (also EFBIG: a file-size limit)
    14,  # SQLITE_CANTOPEN
    26,  # SQLITE_NOTADB
}


def is_storage_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a fault of the storage (retry later) rather than of the SQL."""
    if isinstance(exc, sqlite3.ProgrammingError) and "closed" in str(exc):
        return True  # the connection went away under us
    if not isinstance(exc, sqlite3.Error) or isinstance(exc, sqlite3.IntegrityError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _STORAGE_CODES
    return isinstance(exc, sqlite3.OperationalError) and any(
        words in str(exc)
        for words in ("disk", "full", "readonly", "read-only", "unable to open", "locked")
    )


def unavailable(exc: BaseException, what: str = "database") -> StorageUnavailable:
    error = StorageUnavailable(f"{what} unavailable: {exc}")
    error.__cause__ = exc
    return error


# How long a group waits for the write lock that another process holds before its units
# are answered 503. Sibling ``serve`` processes hold it for one group commit at a time
# (milliseconds), so this is only reached when something else keeps a write transaction
# open (a stuck process, a manual ``sqlite3`` session).
WRITE_LOCK_WAIT_SECONDS = 30.0


def begin_immediate(conn: sqlite3.Connection, wait: float | None = None) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock up to ``wait`` seconds.

    The writer's connection has no busy timeout of its own: SQLite's busy handler sleeps
    ever longer between tries (up to 100 ms), and against a sibling ``serve`` process
    that commits group after group it rarely hits the short gap between two groups (a
    p99 of seconds, measured). This loop tries again every ~0.2-1 ms instead, so the
    lock changes hands within a millisecond of being free, and only after ``wait`` (30 s
    by default) are the group's units answered 503. Runs on the writer's thread, never
    on the event loop.
    """
    deadline = time.monotonic() + (WRITE_LOCK_WAIT_SECONDS if wait is None else wait)
    pause = 0.0002
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", 5) & 0xFF
            if code != 5 or time.monotonic() >= deadline:  # 5: SQLITE_BUSY
                raise
        time.sleep(pause)
        pause = min(pause * 1.5, 0.001)


class _GroupLost(Exception):
    """The group's transaction is gone (the engine rolled it back, a savepoint vanished,
    the connection broke): every unit of the group fails with a storage error."""


class _GroupCommitWriter:
    """The writer half of ``SQLiteDatabase``: its queue, group commits and supervisor."""

    path: str
    _writer: sqlite3.Connection | None
    _queue: asyncio.Queue[Any]
    _task: asyncio.Task[None] | None
    _thread: concurrent.futures.ThreadPoolExecutor
    _closing: bool
    _in_hand: list[Any]
    commits: int
    failed_groups: int
    writer_restarts: int
    on_batch: Callable[[int], None] | None
    _open_writer: Callable[[], sqlite3.Connection]

    # -- writes ---------------------------------------------------------------

    async def write(self, unit: Callable[[Tx], Awaitable[T]]) -> T:
        if self._task is None or self._task.done() or self._closing:
            raise StorageUnavailable("database is not connected")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._queue.put((unit, future))
        return await future

    def _fail_queued(self, exc: StorageUnavailable) -> None:
        in_hand, self._in_hand = self._in_hand, []
        for _, future in in_hand:
            if not future.done():
                future.set_exception(exc)
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not _STOP and not item[1].done():
                item[1].set_exception(exc)

    async def _supervise(self) -> None:
        """Run the writer; if it ends for any reason but a stop, fail what waits and restart."""
        while True:
            try:
                await self._run_writer()
                return
            except asyncio.CancelledError:
                self._fail_queued(StorageUnavailable("database writer stopped"))
                raise
            except BaseException as exc:
                self.writer_restarts += 1
                log.error("sqlite writer ended unexpectedly (%r); restarting it", exc)
                self._fail_queued(unavailable(exc, "database writer"))
                await self._reopen()

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
                self._in_hand = batch
                await self._flush(batch)
                self._in_hand = []

    async def _flush(
        self, batch: list[tuple[Callable[[Tx], Awaitable[Any]], asyncio.Future[Any]]]
    ) -> None:
        """One group; whatever happens, every future of ``batch`` is answered."""
        if self.on_batch is not None:
            self.on_batch(len(batch))
        try:
            results = await self._run_group(batch)
        except BaseException as exc:
            self.failed_groups += 1
            cause = exc.__cause__ if isinstance(exc, _GroupLost) and exc.__cause__ else exc
            log.error(
                "sqlite writer: a group of %d unit(s) failed, storage unavailable: %s",
                len(batch),
                cause,
            )
            error = unavailable(cause)
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            await self._recover()
            if not isinstance(exc, Exception):
                raise  # cancellation and the like end the task; the supervisor decides
            return
        for future, ok, value in results:
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    async def _run_group(
        self, batch: list[tuple[Callable[[Tx], Awaitable[Any]], asyncio.Future[Any]]]
    ) -> list[tuple[asyncio.Future[Any], bool, Any]]:
        if self._writer is None:
            await self._reopen(raise_errors=True)
        conn = self._writer
        assert conn is not None
        loop = asyncio.get_running_loop()
        tx = _WriterTx(conn)
        results: list[tuple[asyncio.Future[Any], bool, Any]] = []
        # BEGIN IMMEDIATE takes the write lock up front, so a busy database fails fast,
        # not halfway through a unit; it may wait on another process, hence the thread.
        try:
            await loop.run_in_executor(self._thread, begin_immediate, conn)
        except sqlite3.Error as exc:
            raise _GroupLost() from exc
        for unit, future in batch:
            if future.cancelled():
                continue
            try:
                conn.execute("SAVEPOINT unit")
            except sqlite3.Error as exc:
                raise _GroupLost() from exc
            try:
                value = await unit(tx)
            except Exception as exc:  # handed back to the caller of write()
                if is_storage_error(exc) or not conn.in_transaction:
                    # The engine may have rolled the whole group back (SQLITE_FULL, IOERR):
                    # nothing of the group is left to commit.
                    raise _GroupLost() from exc
                try:
                    conn.execute("ROLLBACK TO unit")
                    conn.execute("RELEASE unit")
                except sqlite3.Error as lost:
                    raise _GroupLost() from lost
                results.append((future, False, exc))
            else:
                try:
                    conn.execute("RELEASE unit")
                except sqlite3.Error as exc:
                    raise _GroupLost() from exc
                results.append((future, True, value))
        try:
            await loop.run_in_executor(self._thread, conn.execute, "COMMIT")
        except sqlite3.Error as exc:
            raise _GroupLost() from exc
        self.commits += 1
        return results

    async def _recover(self) -> None:
        """After a failed group: roll back what is left; reopen a connection that broke."""
        conn = self._writer
        if conn is None:
            return
        loop = asyncio.get_running_loop()

        def rollback() -> bool:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                conn.execute("SELECT 1").fetchone()
                return True
            except sqlite3.Error:
                return False

        try:
            healthy = await loop.run_in_executor(self._thread, rollback)
        except RuntimeError:  # the thread pool is shut down: we are closing
            return
        if not healthy:
            await self._reopen()

    async def _reopen(self, *, raise_errors: bool = False) -> None:
        """Replace the writer's connection; on failure leave none (the next group retries)."""
        loop = asyncio.get_running_loop()
        old, self._writer = self._writer, None
        if old is not None:
            with contextlib.suppress(Exception):
                await loop.run_in_executor(self._thread, old.close)
        try:
            self._writer = await loop.run_in_executor(self._thread, self._open_writer)
        except sqlite3.Error as exc:
            log.error("sqlite writer: cannot reopen %s: %s", self.path, exc)
            if raise_errors:
                raise _GroupLost() from exc
