"""What PostgreSQL hears for a write unit and a read (issue 17): every message asyncpg
sends is logged, so a round trip added around the store's statements (a reset query on
each release, a second transaction) fails here; ``write_one`` is one message."""

from __future__ import annotations

import asyncio

import pytest

from surveyor.db.postgres import PostgresDatabase


@pytest.fixture
def backend() -> str:
    return "postgresql"


async def test_a_write_unit_is_begin_its_statements_and_commit_and_a_read_is_one_query(
    database_url,
) -> None:
    db = PostgresDatabase(database_url, pool_size=1)
    await db.connect()
    try:
        await db.write(lambda tx: tx.execute("CREATE TABLE t (id TEXT PRIMARY KEY)"))
        sent: list[str] = []
        async with db.pool.acquire() as conn:  # the pool's only connection
            conn.add_query_logger(lambda record: sent.append(record.query))

        await db.write(lambda tx: tx.execute("INSERT INTO t (id) VALUES (?)", ("a",)))
        assert await db.fetch_val("SELECT count(*) FROM t WHERE id = ?", ("a",)) == 1
        await asyncio.sleep(0)  # asyncpg calls query loggers on the next loop turn
        assert sent == [
            "BEGIN;",
            "INSERT INTO t (id) VALUES ($1)",
            "COMMIT;",
            "SELECT count(*) FROM t WHERE id = $1",
        ]
    finally:
        await db.close()


async def test_a_connection_back_in_the_pool_has_no_transaction_left_open(database_url) -> None:
    db = PostgresDatabase(database_url, pool_size=1)
    await db.connect()
    try:
        await db.write(lambda tx: tx.execute("CREATE TABLE t (id TEXT PRIMARY KEY)"))

        async def fails(tx):
            await tx.execute("INSERT INTO t (id) VALUES ('x')")
            raise ValueError("boom")

        with pytest.raises(ValueError):
            await db.write(fails)
        # The unit's insert was rolled back, and the same connection serves the next unit.
        await db.write(lambda tx: tx.execute("INSERT INTO t (id) VALUES ('y')"))
        assert await db.fetch_all("SELECT id FROM t") == [{"id": "y"}]
    finally:
        await db.close()


async def _logged(db: PostgresDatabase) -> list[str]:
    sent: list[str] = []
    async with db.pool.acquire() as conn:  # the pool's only connection
        conn.add_query_logger(lambda record: sent.append(record.query))
    return sent


async def test_write_one_is_one_round_trip_and_durable(database_url) -> None:
    db = PostgresDatabase(database_url, pool_size=1)
    await db.connect()
    try:
        await db.write(lambda tx: tx.execute("CREATE TABLE t (id TEXT PRIMARY KEY, n INT)"))
        sent = await _logged(db)
        sql = "INSERT INTO t (id, n) VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET n = t.n + 1"
        assert await db.write_one(sql + " RETURNING n", ("a",)) == {"n": 1}
        assert await db.write_one(sql + " RETURNING n", ("a",)) == {"n": 2}
        await asyncio.sleep(0)
        assert len(sent) == 2 and not any(q.startswith(("BEGIN", "COMMIT")) for q in sent)
    finally:
        await db.close()
