"""The storage interface every domain store is written against.

Store code writes portable SQL with ``?`` placeholders and calls:

* ``await db.fetch_one / fetch_all / fetch_val(sql, params)`` for reads (reader connections);
* ``await db.write(unit)`` for writes, where ``unit`` is ``async def unit(tx) -> T``. The
  unit runs inside its own transaction (SQLite: a SAVEPOINT inside a group commit;
  PostgreSQL: a transaction) and ``write`` returns its value only once it is durable.
  If the unit raises, its changes are rolled back and the exception propagates.

If the database cannot take the request at all (disk full, I/O error, read-only file,
connection lost), ``write`` and the reads raise ``StorageUnavailable``: nothing of the
unit was stored and the same request may be retried later. The web layer answers it
with ``503`` and ``Retry-After``.

A unit must only talk to the database through ``tx``: no network I/O and no nested
``db.write`` (the single SQLite writer would wait on itself).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

Row = dict[str, Any]
Params = Sequence[Any]
T = TypeVar("T")


class StorageUnavailable(Exception):
    """The database cannot take this request now; nothing of it was stored. Retry later.

    Raised for faults of the storage, never of the request: a full disk, an I/O error, a
    read-only file, a lost connection, a writer that had to restart. ``__cause__`` holds
    the engine's own error.
    """

    retry_after = 5  # seconds a client should wait before retrying


class Tx(Protocol):
    """The handle a unit of work gets: statements inside one transaction."""

    backend: str

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement; returns the number of rows changed."""

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None: ...

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_val(self, sql: str, params: Params = ()) -> Any: ...

    async def execute_script(self, script: str) -> None:
        """Run several ``;``-separated statements (migrations)."""


class Database(Protocol):
    backend: str  # "sqlite" or "postgresql"

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def write(self, unit: Callable[[Tx], Awaitable[T]]) -> T: ...

    async def write_one(self, sql: str, params: Params = ()) -> Row | None:
        """One statement as a unit of its own, durable on return: its first row (e.g. of
        ``RETURNING``) or ``None``. Same as ``write(lambda tx: tx.fetch_one(sql, params))``;
        PostgreSQL runs it outside an explicit transaction (one round trip, not three, and
        its row locks held for the statement only)."""

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_val(self, sql: str, params: Params = ()) -> Any: ...

    def stream(self, sql: str, params: Params = (), size: int = 1000) -> AsyncIterator[list[Row]]:
        """Rows in batches from a connection of its own, for exports of any size."""

    async def lock_for_migrations(self, tx: Tx) -> None:
        """Serialise migrations between processes (inside ``tx``)."""


def open_database(dsn: str, **options: Any) -> Database:
    """A backend for ``dsn``: a ``postgresql://`` URL or a SQLite file path."""
    if dsn.startswith(("postgresql://", "postgres://")):
        from surveyor.db.postgres import PostgresDatabase

        return PostgresDatabase(dsn, pool_size=options.get("pool_size", 10))
    from surveyor.db.sqlite import SQLiteDatabase

    return SQLiteDatabase(
        dsn,
        synchronous=options.get("synchronous", "FULL"),
        readers=options.get("readers", 2),
    )
