"""Group commit on PostgreSQL (issue 17): write units queued at the same time share one
transaction, each in its own SAVEPOINT, and are answered only after its COMMIT.

**Off by default** (``PostgresDatabase(write_lanes=0)``): measured on the 2-core host
(bench/README.md, "Issue 17 — PostgreSQL, third pass"), one lane cuts the server's CPU
per event by ~20 % but runs every unit's round trips one after the other, so a busy host
completed fewer events and surveys per second; several lanes deadlock on the rollup
counters' stripes. It stays here, tested, for a rollup design that does not stripe by
backend.

Why (measured in bench/README.md, "Issue 17 — PostgreSQL, third pass"): every message to
the server is a round trip that costs ~0.1 ms of the server process's CPU (asyncpg, the
event loop) and as much again in the PostgreSQL backend, and a unit's own BEGIN and
COMMIT are two of the six round trips of an event. In a group the boundary between two
units is one message (``RELEASE SAVEPOINT unit; SAVEPOINT unit`` in the simple
protocol), the group's BEGIN and COMMIT are shared, and so is the WAL flush.

How:

* ``write`` queues the unit; a lane (a task holding one pooled connection while the
  queue is not empty) takes groups from the queue. One lane by default: the rollup
  counters (``metrics_versions``, ``metrics_funnel_hourly``) are rows striped by backend
  (``pg_backend_pid() % 4``) for short transactions, and two lanes holding their groups'
  stripes deadlocked within seconds on the customer path (measured: 7 deadlocks in 400
  surveys with up to 9 lanes, 0 with one). Another lane starts, up to ``max_lanes``,
  only while no lane has made progress for ``STALL_SECONDS`` (a unit waiting on a lock
  another process holds). A unit that finds the queue
  empty and a lane free runs alone: ``BEGIN``, its statements, ``COMMIT`` — exactly one
  transaction, as before. Lanes end when the queue is empty, so an idle process holds no
  connection.
* The first unit of a group runs without a savepoint (if it fails, the group's
  transaction is rolled back and the rest start a new one); before each later unit a
  savepoint is set, and a unit that raises is rolled back to it alone. Its exception
  goes to its caller; the others commit.
* A unit that lost a deadlock or a serialization check is run again once, alone, after
  its group commits (the locks of a group — its own or another lane's — are held until
  the group's COMMIT, so units of two lanes can wait on each other); what the second run
  raises goes to its caller.
* A fault of the storage (connection lost, server shut down, disk full) fails every
  unit of the group with ``StorageUnavailable``: nothing of the group was committed.
* At most ``MAX_GROUP`` units per group: each writing savepoint takes a subtransaction
  id, and PostgreSQL keeps 64 per backend in shared memory before every other snapshot
  has to read ``pg_subtrans`` (the "suboverflow" slowdown).

Units run one after the other inside a lane, so a unit holds its row locks until its
group commits (a few milliseconds): like the SQLite writer, units must not wait on
anything but the database.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

from surveyor.db.database import StorageUnavailable, Tx

log = logging.getLogger("surveyor.db")
T = TypeVar("T")
MAX_GROUP = 32
# When no lane has started a unit for this long (a unit waiting on a lock that another
# process holds), the queue gets one more lane, up to ``max_lanes``.
STALL_SECONDS = 0.5
# Lost to another transaction, not wrong in itself: run again alone.
_RETRY_ALONE = (asyncpg.exceptions.DeadlockDetectedError, asyncpg.exceptions.SerializationError)

Unit = Callable[[Tx], Awaitable[Any]]
Item = tuple[Unit, "asyncio.Future[Any]"]


class _GroupLost(Exception):
    """The group's transaction or connection is gone: every unit of it fails."""


class GroupCommitter:
    """The write half of ``PostgresDatabase``: its queue and its lanes."""

    def __init__(
        self,
        acquire: Callable[[], Any],
        make_tx: Callable[[Any], Tx],
        storage_errors: tuple[type[BaseException], ...],
        unavailable: Callable[[BaseException], StorageUnavailable],
        lanes: int,
        max_lanes: int,
    ) -> None:
        self._acquire = acquire
        self._make_tx = make_tx
        self._storage_errors = storage_errors
        self._unavailable = unavailable
        self.lanes = max(1, lanes)
        self.max_lanes = max(self.lanes, max_lanes)
        self._progress = 0.0  # loop time a lane last started or finished a unit
        self._stall_timer: asyncio.TimerHandle | None = None
        self._queue: collections.deque[Item] = collections.deque()
        self._running = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.commits = 0  # transactions committed (observed by tests)

    async def write(self, unit: Callable[[Tx], Awaitable[T]]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((unit, future))
        if self._running < self.lanes:
            self._start_lane()
        elif self._stall_timer is None:
            self._stall_timer = asyncio.get_running_loop().call_later(STALL_SECONDS, self._unstall)
        return await future

    def _unstall(self) -> None:
        """A unit waits on a lock: the queue must not wait behind it."""
        self._stall_timer = None
        if not self._queue:
            return
        loop = asyncio.get_running_loop()
        if self._running < self.lanes or (
            self._running < self.max_lanes and loop.time() - self._progress >= STALL_SECONDS
        ):
            self._start_lane()
        self._stall_timer = loop.call_later(STALL_SECONDS, self._unstall)

    async def close(self, wait: float) -> None:
        """Let the lanes finish what is queued (for up to ``wait`` seconds), then fail the rest."""
        loop = asyncio.get_running_loop()
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        deadline = loop.time() + wait
        while self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=deadline - loop.time())
            if pending and loop.time() >= deadline:
                log.error("postgres writer did not finish within %s s; abandoning it", wait)
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending)
                break
        self._fail(self._queue, StorageUnavailable("database is shutting down"))
        self._queue.clear()

    @staticmethod
    def _fail(items: Any, exc: BaseException) -> None:
        for _, future in items:
            if not future.done():
                future.set_exception(exc)

    def _take(self) -> list[Item]:
        # Share what waits between the lanes, so a lane's group is not all of the queue.
        size = min(MAX_GROUP, max(1, -(-len(self._queue) // self._running)))
        batch = []
        while self._queue and len(batch) < size:
            unit, future = self._queue.popleft()
            if not future.cancelled():
                batch.append((unit, future))
        return batch

    async def _lane(self) -> None:
        in_hand: list[Item] = []  # the group being run: what a lost group fails
        try:
            async with self._acquire() as conn:
                try:
                    while self._queue:
                        in_hand = self._take()
                        while in_hand:
                            rest, alone = await self._group(conn, in_hand)
                            for item in alone:  # lost a deadlock: once more, alone
                                in_hand = [item]
                                await self._group(conn, in_hand, again=True)
                            in_hand = rest
                except Exception:
                    if not conn.is_closed() and conn.is_in_transaction():
                        with contextlib.suppress(Exception):
                            await conn.execute("ROLLBACK")
                    raise
        except BaseException as exc:
            error: BaseException = exc
            cause = exc.__cause__ if isinstance(exc, _GroupLost) and exc.__cause__ else exc
            if isinstance(cause, self._storage_errors):
                error = self._unavailable(cause)
            elif isinstance(exc, _GroupLost):
                error = cause
            self._fail(in_hand, error)
            if not isinstance(exc, Exception):
                raise
            log.error("postgres writer: a group of %d unit(s) failed: %r", len(in_hand), cause)
        finally:
            self._running -= 1
            if self._queue and self._running < self.lanes:
                # Units queued while this lane was failing or finishing: another lane takes them.
                self._start_lane()

    def _start_lane(self) -> None:
        self._running += 1
        task = asyncio.create_task(self._lane(), name="pg-writer")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _group(
        self, conn: Any, batch: list[Item], *, again: bool = False
    ) -> tuple[list[Item], list[Item]]:
        """Run ``batch`` in one transaction and answer its units. Returns the units still
        to run in a new transaction (the rest of the group, when its first unit failed) and
        those to run again alone (lost a deadlock or a serialization check to another
        transaction, maybe another lane's group holding its locks; ``again``: this is that
        second run, whose errors go to the caller)."""
        tx = self._make_tx(conn)
        results: list[tuple[asyncio.Future[Any], bool, Any]] = []
        alone: list[Item] = []
        await self._send(conn, "BEGIN")
        loop = asyncio.get_running_loop()
        for index, (unit, future) in enumerate(batch):
            self._progress = loop.time()
            try:
                value = await unit(tx)
            except Exception as exc:
                if isinstance(exc, self._storage_errors) or conn.is_closed():
                    raise _GroupLost() from exc
                retry = not again and isinstance(exc, _RETRY_ALONE)
                if retry:
                    alone.append((unit, future))
                else:
                    results.append((future, False, exc))
                if index == 0:  # no savepoint yet: the transaction goes, the rest start anew
                    await self._send(conn, "ROLLBACK")
                    self._answer(results)
                    return batch[1:], alone
                await self._send(conn, "ROLLBACK TO SAVEPOINT unit")  # the savepoint stays
                continue
            results.append((future, True, value))
            if index < len(batch) - 1:
                # One message: this unit's savepoint released (the first has none), the
                # next one's set.
                await self._send(
                    conn,
                    "SAVEPOINT unit" if index == 0 else "RELEASE SAVEPOINT unit; SAVEPOINT unit",
                )
        await self._send(conn, "COMMIT")
        self.commits += 1
        self._answer(results)
        return [], alone

    async def _send(self, conn: Any, statement: str) -> None:
        try:
            await conn.execute(statement)
        except Exception as exc:
            raise _GroupLost() from exc

    @staticmethod
    def _answer(results: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
        for future, ok, value in results:
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        results.clear()
