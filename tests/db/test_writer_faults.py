"""The SQLite writer outlives storage errors: a failed group fails only its own units.

Real SQLite files; the faults are made by the engine itself (a unit that ends the
group's transaction, a connection closed under the writer, a file-size limit in a
subprocess) rather than by mocks of sqlite3.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import asyncpg
import pytest

from surveyor.db.database import StorageUnavailable
from surveyor.db.postgres import PostgresDatabase
from surveyor.db.sqlite import SQLiteDatabase, is_storage_error


async def _open(tmp_path: Path, **options) -> SQLiteDatabase:
    db = SQLiteDatabase(str(tmp_path / "faults.db"), **options)
    await db.connect()
    await db.write(lambda tx: tx.execute("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)"))
    return db


def _insert(key: str):
    async def unit(tx):
        await tx.execute("INSERT INTO t (id, n) VALUES (?, 1)", (key,))
        return key

    return unit


async def _group(db: SQLiteDatabase, *units) -> list:
    """Queue ``units`` before the writer runs, so they share one group."""
    return await asyncio.gather(*(db.write(u) for u in units), return_exceptions=True)


async def test_a_unit_that_ends_the_transaction_fails_its_group_and_the_writer_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue's first outage: the engine rolled the group back, then ``ROLLBACK TO
    unit`` raised "no such savepoint" and the writer task died without a word."""
    db = await _open(tmp_path)
    try:

        async def engine_rolls_back(tx):
            await tx.execute("INSERT INTO t (id, n) VALUES ('lost', 1)")
            await tx.execute("ROLLBACK")  # what SQLite does on SQLITE_FULL / IOERR
            raise sqlite3.OperationalError("database or disk is full")

        with caplog.at_level(logging.ERROR, logger="surveyor.db"):
            results = await _group(db, _insert("a"), engine_rolls_back, _insert("b"))
        assert all(isinstance(r, StorageUnavailable) for r in results), results
        assert "database or disk is full" in str(results[0])
        failed = [r for r in caplog.records if "group of 3 unit(s) failed" in r.getMessage()]
        assert len(failed) == 1  # logged once, with its cause
        assert db.failed_groups == 1

        # The next group is served, on the same writer task.
        assert await db.write(_insert("c")) == "c"
        assert await db.fetch_all("SELECT id FROM t ORDER BY id") == [{"id": "c"}]
    finally:
        await db.close()


async def test_a_vanished_savepoint_fails_the_group_not_the_writer(tmp_path: Path) -> None:
    db = await _open(tmp_path)
    try:

        async def releases_everything(tx):
            await tx.execute("COMMIT")  # the unit's savepoint is gone afterwards

        results = await _group(db, _insert("a"), releases_everything)
        assert all(isinstance(r, StorageUnavailable) for r in results), results
        assert await db.write(_insert("b")) == "b"
    finally:
        await db.close()


async def test_a_closed_connection_is_reopened_for_the_next_group(tmp_path: Path) -> None:
    db = await _open(tmp_path)
    try:
        assert db._writer is not None
        db._writer.close()  # the connection breaks under the writer
        results = await _group(db, _insert("a"), _insert("b"))
        assert all(isinstance(r, StorageUnavailable) for r in results), results
        assert await db.write(_insert("c")) == "c"
        assert await db.fetch_val("SELECT count(*) FROM t") == 1
    finally:
        await db.close()


async def test_an_ordinary_unit_error_still_fails_that_unit_alone(tmp_path: Path) -> None:
    db = await _open(tmp_path)
    try:
        results = await _group(db, _insert("a"), _insert("a"), _insert("b"))
        assert results[0] == "a" and results[2] == "b"
        assert isinstance(results[1], sqlite3.IntegrityError)
        assert db.failed_groups == 0
    finally:
        await db.close()


async def test_the_supervisor_restarts_a_writer_that_ended_and_fails_what_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = await _open(tmp_path)
    try:
        real_flush = db._flush
        calls = 0

        async def dies_once(batch):
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("writer bug")
            await real_flush(batch)

        monkeypatch.setattr(db, "_flush", dies_once)
        results = await _group(db, _insert("a"))
        # The unit in hand when the task died and every queued one: answered, not left waiting.
        assert all(isinstance(r, (StorageUnavailable, RuntimeError)) for r in results), results
        assert db.writer_restarts == 1
        assert await db.write(_insert("b")) == "b"
    finally:
        await db.close()


async def test_shutdown_completes_within_its_deadline_after_a_failed_group(
    tmp_path: Path,
) -> None:
    db = await _open(tmp_path, close_timeout=5)

    async def breaks(tx):
        await tx.execute("ROLLBACK")
        raise sqlite3.OperationalError("disk I/O error")

    results = await _group(db, _insert("a"), breaks)
    assert all(isinstance(r, StorageUnavailable) for r in results)
    started = time.monotonic()
    await db.close()
    assert time.monotonic() - started < 5
    with pytest.raises(StorageUnavailable):
        await db.write(_insert("b"))


def test_storage_errors_are_told_from_request_errors() -> None:
    assert not is_storage_error(sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert not is_storage_error(sqlite3.OperationalError("no such table: x"))
    assert not is_storage_error(ValueError("boom"))
    conn = sqlite3.connect(":memory:")
    conn.close()
    with pytest.raises(sqlite3.ProgrammingError) as closed:
        conn.execute("SELECT 1")
    assert is_storage_error(closed.value)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_postgresql_connection_loss_is_a_storage_error(database_url: str) -> None:
    db = PostgresDatabase(database_url, pool_size=1)
    await db.connect()
    try:

        async def killed(tx):
            await tx.execute("SELECT pg_terminate_backend(pg_backend_pid())")

        with pytest.raises(StorageUnavailable) as raised:
            await db.write(killed)
        assert isinstance(
            raised.value.__cause__, (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)
        )
        # The pool replaces the dead connection: the next write works.
        assert await db.write(lambda tx: tx.fetch_val("SELECT 1")) == 1
    finally:
        await db.close()


async def test_a_bad_postgresql_address_is_one_storage_error() -> None:
    db = PostgresDatabase("postgresql://user:secret@127.0.0.1:1/nowhere")
    with pytest.raises(StorageUnavailable) as raised:
        await db.connect()
    assert "127.0.0.1:1/nowhere" in str(raised.value)
    assert "secret" not in str(raised.value)


FSIZE_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, os, resource, signal, sys
    from surveyor.db.database import StorageUnavailable
    from surveyor.db.sqlite import SQLiteDatabase

    path = sys.argv[1]
    UNITS, SIZE = 300, 20_000

    def unit(key):
        async def run(tx):
            await tx.execute("INSERT INTO t (id, body) VALUES (?, ?)", (key, "x" * SIZE))
            return key
        return run

    async def main():
        db = SQLiteDatabase(path)
        await db.connect()
        await db.write(lambda tx: tx.execute("CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT)"))
        await db.write(unit("before"))
        # A file-size limit just above the WAL's size: the big group cannot fit.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a killed process
        biggest = max(os.path.getsize(path), os.path.getsize(path + "-wal"))
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (biggest + 64 * 1024, hard))
        results = await asyncio.gather(
            *(db.write(unit(f"u{i}")) for i in range(UNITS)), return_exceptions=True
        )
        acked = [r for r in results if isinstance(r, str)]
        storage = [r for r in results if isinstance(r, StorageUnavailable)]
        other = [repr(r) for r in results if not isinstance(r, (str, StorageUnavailable))]
        # Space returns: the same writer takes writes again, no restart.
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        after = await db.write(unit("after"))
        stored = {r["id"] for r in await db.fetch_all("SELECT id FROM t")}
        await db.close()
        print(json.dumps({
            "acked": acked, "storage": len(storage), "other": other, "after": after,
            "stored": sorted(stored), "failed_groups": db.failed_groups,
            "restarts": db.writer_restarts,
        }))

    asyncio.run(main())
    """
)


@pytest.mark.slow
def test_a_file_size_limit_fails_the_group_and_the_writer_recovers(tmp_path: Path) -> None:
    """The issue's burst on a nearly full disk, in-process: RLIMIT_FSIZE, no mount."""
    import json

    done = subprocess.run(
        [sys.executable, "-c", FSIZE_SCRIPT, str(tmp_path / "fsize.db")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["other"] == []
    assert report["storage"] > 0, "the limit did not bite"
    assert report["failed_groups"] >= 1
    assert report["restarts"] == 0
    assert report["after"] == "after"
    stored = set(report["stored"])
    assert set(report["acked"]) <= stored, "an acknowledged write was lost"
    assert {"before", "after"} <= stored
    # Nothing that was refused was stored either.
    assert stored - set(report["acked"]) == {"before", "after"}
    assert "Traceback" not in done.stderr
