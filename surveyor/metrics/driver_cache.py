"""Key drivers, cached per scope and data version (issue 17).

The key drivers are the one figure of a dashboard that reads rows into Python (up to
``drivers.MAX_ROWS`` responses, half a second of CPU at 20,000): here they are computed
once per change of the data they stand on, not once per view.

A cached result is served as current only when it is provably what
``drivers.drivers_for`` gives now:

* the scope's data version (migration 0100) is the one it was computed at: since then no
  completed response of its checkpoint or survey was written, changed or deleted, no
  answer of one was, no contact's attributes (erasure blanks them) and no survey version;
* the window moved only over empty time: no completed response between the old end and
  the new one, nor between the old start and the new one — or the result read its full
  ``MAX_ROWS`` newest responses and the new start is still at or before the oldest of
  them (older rows were not in it anyway). One index probe each.

Otherwise a result of the same scope (the same window slid on by less than
``STALE_SECONDS``: "the last 90 days" a little later) computed less than
``STALE_SECONDS`` ago may be served as it stood, marked with the time it was computed ("as of"), while it is
recomputed after the answer has been sent (``Cached.refresh``, a background task of
the response); with ``stale=False`` (the API) or no such result it is computed in the
request. The cache is per process and per database (at most ``MAX_ENTRIES`` scopes);
several server processes each keep their own, all exact by the same test. With
``metrics_rollups = false`` (every figure from the rows, for comparison) nothing is cached.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from surveyor.db import Database
from surveyor.ids import utcnow
from surveyor.metrics import read_store, rollups
from surveyor.metrics.drivers import MAX_ROWS, DriversResult, Outcome, drivers_read
from surveyor.metrics.queries import Scope
from surveyor.surveys.kinds import DEFAULT_KINDS, KindRegistry

MAX_ENTRIES = 256
STALE_SECONDS = 600  # how old a result may be shown (marked "as of") while recomputed


@dataclass
class _Entry:
    result: Any  # DriversResult, or what ``reuse``'s compute gave
    version: int
    start: datetime
    end: datetime
    full: bool  # read MAX_ROWS responses: rows older than ``oldest`` were left out
    oldest: datetime | None
    computed_at: datetime


@dataclass(frozen=True)
class Cached:
    result: Any  # DriversResult (``drivers``), or what ``reuse_as_of``'s compute gave
    as_of: datetime | None  # None: the rows' figure now; else when it was computed
    refresh: Callable[[], Awaitable[None]] | None = None  # run it after answering


_caches: weakref.WeakKeyDictionary[Any, OrderedDict[tuple[Any, ...], _Entry]] = (
    weakref.WeakKeyDictionary()
)
# The refreshes handed out and not yet finished: when each was handed out, and its end.
_refreshing: dict[tuple[int, tuple[Any, ...]], tuple[float, asyncio.Event]] = {}
ABANDONED_SECONDS = 120  # a refresh handed out this long ago and not run: hand out another


def _cache(db: Database) -> OrderedDict[tuple[Any, ...], _Entry]:
    found = _caches.get(db)
    if found is None:
        found = _caches[db] = OrderedDict()
    return found


def _key(scope: Scope, outcome: str, kinds: KindRegistry) -> tuple[Any, ...]:
    length = round((scope.end - scope.start).total_seconds() / 60)
    return (scope.survey_id, scope.checkpoint_key, scope.segment, outcome, id(kinds), length)


async def _current(db: Database, entry: _Entry, scope: Scope, version: int) -> bool:
    """Whether ``entry`` is exactly what the rows of ``scope`` give now."""
    if entry.version != version:
        return False
    low, high = sorted((entry.end, scope.end))
    if await read_store.completed_between(db, scope, low, high):
        return False
    if entry.full and entry.oldest is not None and scope.start <= entry.oldest:
        return True
    low, high = sorted((entry.start, scope.start))
    return not await read_store.completed_between(db, scope, low, high)


async def _compute(
    db: Database, scope: Scope, outcome: Outcome, kinds: KindRegistry, key: tuple[Any, ...]
) -> DriversResult:
    version = await read_store.data_version(db, scope)  # before the rows: never too new
    result, read, oldest = await drivers_read(db, scope, outcome, kinds)
    cache = _cache(db)
    cache[key] = _Entry(
        result=result,
        version=version,
        start=scope.start,
        end=scope.end,
        full=read >= MAX_ROWS,
        oldest=None if oldest is None else datetime.fromisoformat(oldest),
        computed_at=utcnow(),
    )
    cache.move_to_end(key)
    while len(cache) > MAX_ENTRIES:
        cache.popitem(last=False)
    return result


async def drivers(
    db: Database,
    scope: Scope,
    outcome: Outcome,
    kinds: KindRegistry = DEFAULT_KINDS,
    *,
    stale: bool = True,
) -> Cached:
    """The key drivers of ``scope``: cached when provably current, else (``stale``) a
    recent result marked "as of" with its recomputation to run, else computed now."""
    if not rollups.ENABLED:  # every figure from the rows (the benchmark's baseline)
        return Cached(result=(await drivers_read(db, scope, outcome, kinds))[0], as_of=None)
    key = _key(scope, outcome, kinds)
    cache = _cache(db)
    entry = cache.get(key)
    if entry is not None:
        version = await read_store.data_version(db, scope)
        if await _current(db, entry, scope, version):
            # The same rows: the entry now stands for this window (its edges stay near).
            entry.start, entry.end = scope.start, scope.end
            cache.move_to_end(key)
            return Cached(result=entry.result, as_of=None)
        recent = timedelta(seconds=STALE_SECONDS)
        # Only the same window slid on with time ("the last 90 days" a minute later).
        if stale and utcnow() - entry.computed_at < recent and abs(scope.end - entry.end) < recent:
            return Cached(
                result=entry.result,
                as_of=entry.computed_at,
                refresh=_refresher(db, scope, outcome, kinds, key),
            )
    return Cached(result=await _compute(db, scope, outcome, kinds, key), as_of=None)


def _refresher(
    db: Database, scope: Scope, outcome: Outcome, kinds: KindRegistry, key: tuple[Any, ...]
) -> Callable[[], Awaitable[None]] | None:
    """The recomputation of a stale entry, or None when one is already running."""

    async def compute() -> None:
        await _compute(db, scope, outcome, kinds, key)

    return _once(db, key, compute)


def _once(
    db: Database, key: tuple[Any, ...], compute: Callable[[], Awaitable[Any]]
) -> Callable[[], Awaitable[None]] | None:
    """``compute`` as a refresh to run after answering, or None when the same entry's
    refresh is already under way (one recomputation at a time per entry)."""
    token = (id(db), key)
    running = _refreshing.get(token)
    if running is not None and time.monotonic() - running[0] < ABANDONED_SECONDS:
        return None
    done = asyncio.Event()
    _refreshing[token] = (time.monotonic(), done)

    async def refresh() -> None:
        try:
            await compute()
        finally:
            if _refreshing.get(token, (0, None))[1] is done:
                del _refreshing[token]
            done.set()

    return refresh


async def settled() -> None:
    """Wait until the refreshes handed out so far have run (tests)."""
    for _, done in list(_refreshing.values()):
        await done.wait()


async def reuse(
    db: Database, scope: Scope, key: tuple[Any, ...], compute: Callable[[], Awaitable[Any]]
) -> Any:
    """Another figure read from the rows of ``scope`` (a plugin's: the themes panel),
    cached under ``key`` by the same test as the drivers and served only when current
    (else computed now). ``key`` names the figure and everything but the window's edges
    that its result depends on (its first item should name the figure)."""
    return (await reuse_as_of(db, scope, key, compute, stale=False)).result


async def reuse_as_of(
    db: Database,
    scope: Scope,
    key: tuple[Any, ...],
    compute: Callable[[], Awaitable[Any]],
    *,
    stale: bool = True,
) -> Cached:
    """``reuse`` with the drivers' "as of" mode: when the entry is no longer current
    but recent (the same window slid on by less than ``STALE_SECONDS``, computed less
    than ``STALE_SECONDS`` ago), it is served with its time and a ``refresh`` that
    recomputes it (run it after answering; None when one is already under way)."""
    if not rollups.ENABLED:
        return Cached(result=await compute(), as_of=None)
    cache = _cache(db)
    entry = cache.get(key)
    version = await read_store.data_version(db, scope)  # before the rows: never too new
    if entry is not None and await _current(db, entry, scope, version):
        entry.start, entry.end = scope.start, scope.end
        cache.move_to_end(key)
        return Cached(result=entry.result, as_of=None)
    recent = timedelta(seconds=STALE_SECONDS)
    if (
        stale
        and entry is not None
        and utcnow() - entry.computed_at < recent
        and abs(scope.end - entry.end) < recent
    ):

        async def again() -> None:
            await _store(db, scope, key, await read_store.data_version(db, scope), compute)

        return Cached(result=entry.result, as_of=entry.computed_at, refresh=_once(db, key, again))
    return Cached(result=await _store(db, scope, key, version, compute), as_of=None)


async def _store(
    db: Database,
    scope: Scope,
    key: tuple[Any, ...],
    version: int,
    compute: Callable[[], Awaitable[Any]],
) -> Any:
    """Compute a ``reuse`` figure (``version`` read before its rows) and keep it."""
    result = await compute()
    cache = _cache(db)
    cache[key] = _Entry(result, version, scope.start, scope.end, False, None, utcnow())
    cache.move_to_end(key)
    while len(cache) > MAX_ENTRIES:
        cache.popitem(last=False)
    return result


def clear() -> None:
    """Forget every cached result (tests; a repair)."""
    _caches.clear()
    _refreshing.clear()
