"""What PostgreSQL hears for a write unit and a read (issue 17): every message asyncpg
sends is logged, so a round trip added around the store's statements (a reset query on
each release, a second transaction) fails here. With ``write_lanes`` (group commit,
``surveyor.db.pg_writer``, not the default) units queued together share one transaction:
one message between two units, one COMMIT."""

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


async def test_units_queued_together_share_one_transaction_a_savepoint_each(
    database_url,
) -> None:
    db = PostgresDatabase(database_url, pool_size=1, write_lanes=1)
    await db.connect()
    try:
        await db.write(lambda tx: tx.execute("CREATE TABLE t (id TEXT PRIMARY KEY)"))
        sent = await _logged(db)
        commits = db.writer.commits

        async def bad(tx):
            await tx.execute("INSERT INTO t (id) VALUES (?)", ("bad",))
            raise ValueError("boom")

        results = await asyncio.gather(
            *(
                db.write(lambda tx, key=key: tx.execute("INSERT INTO t (id) VALUES (?)", (key,)))
                for key in ("a", "b")
            ),
            db.write(bad),
            db.write(lambda tx: tx.execute("INSERT INTO t (id) VALUES (?)", ("a",))),  # dup
            db.write(lambda tx: tx.execute("INSERT INTO t (id) VALUES (?)", ("c",))),
            return_exceptions=True,
        )
        assert results[:2] == [1, 1] and results[4] == 1
        assert isinstance(results[2], ValueError)
        assert "duplicate" in str(results[3])
        assert db.writer.commits == commits + 1  # the five units: one COMMIT
        assert await db.fetch_all("SELECT id FROM t ORDER BY id") == [
            {"id": "a"},
            {"id": "b"},
            {"id": "c"},
        ]
        await asyncio.sleep(0)
        insert = "INSERT INTO t (id) VALUES ($1)"
        assert sent[:-1] == [
            "BEGIN",
            insert,
            "SAVEPOINT unit",
            insert,
            "RELEASE SAVEPOINT unit; SAVEPOINT unit",
            insert,
            "ROLLBACK TO SAVEPOINT unit",  # the ValueError: that unit alone
            insert,
            "ROLLBACK TO SAVEPOINT unit",  # the duplicate key: that unit alone
            insert,
            "COMMIT",
        ]
    finally:
        await db.close()


async def test_a_failing_first_unit_of_a_group_leaves_the_others_to_a_new_transaction(
    database_url,
) -> None:
    db = PostgresDatabase(database_url, pool_size=1, write_lanes=1)
    await db.connect()
    try:
        await db.write(lambda tx: tx.execute("CREATE TABLE t (id TEXT PRIMARY KEY)"))
        await db.write(lambda tx: tx.execute("INSERT INTO t (id) VALUES ('a')"))
        sent = await _logged(db)
        results = await asyncio.gather(
            db.write(lambda tx: tx.execute("INSERT INTO t (id) VALUES ('a')")),
            db.write(lambda tx: tx.execute("INSERT INTO t (id) VALUES ('b')")),
            db.write(lambda tx: tx.execute("INSERT INTO t (id) VALUES ('c')")),
            return_exceptions=True,
        )
        assert "duplicate" in str(results[0]) and results[1:] == [1, 1]
        assert await db.fetch_val("SELECT count(*) FROM t") == 3
        await asyncio.sleep(0)
        assert sent[:-1] == [
            "BEGIN",
            "INSERT INTO t (id) VALUES ('a')",
            "ROLLBACK",
            "BEGIN",
            "INSERT INTO t (id) VALUES ('b')",
            "SAVEPOINT unit",
            "INSERT INTO t (id) VALUES ('c')",
            "COMMIT",
        ]
    finally:
        await db.close()


async def test_close_writes_what_is_queued_then_refuses(database_url) -> None:
    db = PostgresDatabase(database_url, pool_size=2, write_lanes=1)
    await db.connect()
    await db.write(lambda tx: tx.execute("CREATE TABLE t (id TEXT PRIMARY KEY)"))
    pending = [
        asyncio.ensure_future(
            db.write(lambda tx, i=i: tx.execute("INSERT INTO t (id) VALUES (?)", (str(i),)))
        )
        for i in range(50)
    ]
    await asyncio.sleep(0)
    await db.close()
    assert await asyncio.gather(*pending) == [1] * 50
    again = PostgresDatabase(database_url, pool_size=1)
    await again.connect()
    try:
        assert await again.fetch_val("SELECT count(*) FROM t") == 50
    finally:
        await again.close()


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
