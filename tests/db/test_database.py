"""The storage interface behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from surveyor.db.postgres import to_dollar_params
from surveyor.db.sqlite import SQLiteDatabase, split_script


async def _make_table(db) -> None:
    await db.write(
        lambda tx: tx.execute("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER NOT NULL)")
    )


async def test_writes_are_visible_to_readers_once_write_returns(db) -> None:
    await _make_table(db)
    await db.write(lambda tx: tx.execute("INSERT INTO t (id, n) VALUES (?, ?)", ("a", 1)))
    assert await db.fetch_one("SELECT id, n FROM t") == {"id": "a", "n": 1}


async def test_a_failing_unit_rolls_back_alone(db) -> None:
    await _make_table(db)

    async def good(tx, key):
        await tx.execute("INSERT INTO t (id, n) VALUES (?, 1)", (key,))

    async def bad(tx):
        await tx.execute("INSERT INTO t (id, n) VALUES ('bad', 1)")
        raise ValueError("boom")

    results = await asyncio.gather(
        db.write(lambda tx: good(tx, "x")),
        db.write(bad),
        db.write(lambda tx: good(tx, "y")),
        return_exceptions=True,
    )
    assert isinstance(results[1], ValueError)
    ids = [row["id"] for row in await db.fetch_all("SELECT id FROM t ORDER BY id")]
    assert ids == ["x", "y"]


async def test_constraint_violation_reaches_the_caller_and_keeps_existing_rows(db) -> None:
    await _make_table(db)
    await db.write(lambda tx: tx.execute("INSERT INTO t (id, n) VALUES ('a', 1)"))
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await db.write(lambda tx: tx.execute("INSERT INTO t (id, n) VALUES ('a', 2)"))
    assert await db.fetch_val("SELECT n FROM t WHERE id = 'a'") == 1


async def test_execute_returns_rowcount_and_on_conflict_is_portable(db) -> None:
    await _make_table(db)
    sql = "INSERT INTO t (id, n) VALUES (?, ?) ON CONFLICT (id) DO NOTHING"
    assert await db.write(lambda tx: tx.execute(sql, ("a", 1))) == 1
    assert await db.write(lambda tx: tx.execute(sql, ("a", 2))) == 0
    assert await db.write(lambda tx: tx.execute("UPDATE t SET n = n + 1")) == 1


async def test_stream_yields_every_row_in_batches(db) -> None:
    await _make_table(db)
    await db.write(
        lambda tx: tx.execute_many(
            "INSERT INTO t (id, n) VALUES (?, ?)", [(f"{i:04}", i) for i in range(250)]
        )
    )
    batches = [batch async for batch in db.stream("SELECT id, n FROM t ORDER BY id", (), size=100)]
    assert [len(b) for b in batches] == [100, 100, 50]
    assert batches[-1][-1] == {"id": "0249", "n": 249}


async def test_migrations_are_recorded_and_not_applied_twice(services) -> None:
    from surveyor.app import migration_sources
    from surveyor.db.migrate import migrate

    assert await migrate(services.db, migration_sources(services.pm)) == []
    applied = await services.db.fetch_all("SELECT id FROM schema_migrations")
    assert {"core:0001_foundation.sql"} <= {row["id"] for row in applied}


async def test_sqlite_group_commit_batches_concurrent_writes(tmp_path) -> None:
    db = SQLiteDatabase(str(tmp_path / "g.db"))
    await db.connect()
    try:
        await _make_table(db)
        before = db.commits
        await asyncio.gather(
            *(
                db.write(
                    lambda tx, i=i: tx.execute("INSERT INTO t (id, n) VALUES (?, ?)", (str(i), i))
                )
                for i in range(200)
            )
        )
        assert await db.fetch_val("SELECT count(*) FROM t") == 200
        # 200 units queued at once must not cost 200 fsyncs.
        assert db.commits - before < 200
    finally:
        await db.close()


async def test_sqlite_close_drains_queued_writes(tmp_path) -> None:
    path = str(tmp_path / "d.db")
    db = SQLiteDatabase(path)
    await db.connect()
    await _make_table(db)
    pending = [
        asyncio.ensure_future(
            db.write(lambda tx, i=i: tx.execute("INSERT INTO t VALUES (?, ?)", (str(i), i)))
        )
        for i in range(50)
    ]
    await asyncio.sleep(0)
    await db.close()
    await asyncio.gather(*pending)
    again = SQLiteDatabase(path)
    await again.connect()
    try:
        assert await again.fetch_val("SELECT count(*) FROM t") == 50
    finally:
        await again.close()


async def test_sqlite_pragmas_are_durable_by_default(tmp_path) -> None:
    db = SQLiteDatabase(str(tmp_path / "p.db"))
    await db.connect()
    try:
        assert await db.write(lambda tx: tx.fetch_val("PRAGMA synchronous")) == 2  # FULL
        assert await db.write(lambda tx: tx.fetch_val("PRAGMA journal_mode")) == "wal"
        assert await db.write(lambda tx: tx.fetch_val("PRAGMA foreign_keys")) == 1
    finally:
        await db.close()


async def test_sqlite_backup_is_a_consistent_copy(tmp_path) -> None:
    db = SQLiteDatabase(str(tmp_path / "live.db"))
    await db.connect()
    try:
        await _make_table(db)
        await db.write(lambda tx: tx.execute("INSERT INTO t VALUES ('a', 1)"))
        await db.backup(str(tmp_path / "copy.db"))
    finally:
        await db.close()
    copy = SQLiteDatabase(str(tmp_path / "copy.db"))
    await copy.connect()
    try:
        assert await copy.fetch_all("SELECT id, n FROM t") == [{"id": "a", "n": 1}]
    finally:
        await copy.close()


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT ? , ?", "SELECT $1 , $2"),
        ("SELECT '?' , ?", "SELECT '?' , $1"),
        ("SELECT 1 -- why?\n, ?", "SELECT 1 -- why?\n, $1"),
        ('SELECT "a?b", ?', 'SELECT "a?b", $1'),
    ],
)
def test_placeholders_become_dollar_params_outside_quotes(sql: str, expected: str) -> None:
    assert to_dollar_params(sql) == expected


def test_split_script_keeps_semicolons_inside_strings() -> None:
    script = "CREATE TABLE a (x TEXT DEFAULT ';');\n-- note;\nINSERT INTO a VALUES ('b;c');\n"
    assert split_script(script) == [
        "CREATE TABLE a (x TEXT DEFAULT ';');",
        "-- note;\nINSERT INTO a VALUES ('b;c');",
    ]


async def test_write_one_is_a_unit_of_one_statement(db) -> None:
    await _make_table(db)
    sql = "INSERT INTO t (id, n) VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET n = t.n + 1"
    assert await db.write_one(sql + " RETURNING n", ("a",)) == {"n": 1}
    assert await db.write_one(sql + " RETURNING n", ("a",)) == {"n": 2}
    assert await db.write_one("UPDATE t SET n = 5 WHERE id = 'none'") is None
    with pytest.raises(Exception, match=r"(?i)not null|constraint"):
        await db.write_one("INSERT INTO t (id, n) VALUES ('b', NULL)")
    assert await db.fetch_all("SELECT id, n FROM t") == [{"id": "a", "n": 2}]
