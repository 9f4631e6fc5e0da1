"""Migrations: numbered, forward-only, recorded, per-engine variants, safe to run at once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from surveyor.app import build_services, migration_sources, start_services
from surveyor.db.migrate import find_migrations, migrate


def _write(folder: Path, name: str, sql: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(sql)


async def _connected(settings: Any) -> Any:
    svc = build_services(settings)
    await svc.db.connect()
    return svc


async def test_two_processes_starting_at_once_apply_each_migration_once(settings: Any) -> None:
    first, second = build_services(settings), build_services(settings)
    try:
        # Both run to the end before anything is closed, even when one fails.
        outcomes = await asyncio.gather(
            start_services(first), start_services(second), return_exceptions=True
        )
        assert outcomes == [None, None]
        rows = await first.db.fetch_all("SELECT id FROM schema_migrations ORDER BY id")
    finally:
        await first.db.close()
        await second.db.close()
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids))
    expected = {m.id for m in find_migrations("core", migration_sources(first.pm)[0][1], "x")}
    assert expected <= set(ids)


async def test_a_dialect_file_replaces_the_portable_one(
    settings: Any, backend: str, tmp_path: Path
) -> None:
    folder = tmp_path / "extra"
    _write(
        folder,
        "0001_flag.sql",
        "CREATE TABLE flag (engine TEXT); INSERT INTO flag VALUES ('portable');",
    )
    _write(
        folder / backend,
        "0001_flag.sql",
        f"CREATE TABLE flag (engine TEXT); INSERT INTO flag VALUES ('{backend}');",
    )
    svc = await _connected(settings)
    try:
        assert await migrate(svc.db, [("extra", folder)]) == ["extra:0001_flag.sql"]
        assert await svc.db.fetch_val("SELECT engine FROM flag") == backend
    finally:
        await svc.db.close()


async def test_a_failing_migration_changes_nothing_and_is_not_recorded(
    settings: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "extra"
    _write(folder, "0001_good.sql", "CREATE TABLE good (id TEXT PRIMARY KEY);")
    _write(
        folder,
        "0002_bad.sql",
        "CREATE TABLE half (id TEXT); INSERT INTO no_such_table VALUES (1);",
    )
    svc = await _connected(settings)
    try:
        with pytest.raises(Exception, match=r"(?i)no_such_table|does not exist"):
            await migrate(svc.db, [("extra", folder)])
        ids = {r["id"] for r in await svc.db.fetch_all("SELECT id FROM schema_migrations")}
        assert "extra:0001_good.sql" in ids and "extra:0002_bad.sql" not in ids
        # The half-done migration rolled back with its own transaction.
        with pytest.raises(Exception, match=r"(?i)half"):
            await svc.db.fetch_val("SELECT count(*) FROM half")
        # Fixed, it applies on the next run; the good one is not run again.
        _write(folder, "0002_bad.sql", "CREATE TABLE half (id TEXT);")
        assert await migrate(svc.db, [("extra", folder)]) == ["extra:0002_bad.sql"]
    finally:
        await svc.db.close()


def test_a_badly_named_migration_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "1_first.sql", "SELECT 1;")
    with pytest.raises(ValueError, match=r"1_first\.sql"):
        find_migrations("extra", tmp_path, "sqlite")


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        find_migrations("extra", tmp_path / "nowhere", "sqlite")


@pytest.mark.parametrize(
    ("script", "statements"),
    [
        ("CREATE TABLE a (x);CREATE TABLE b (y);", ["CREATE TABLE a (x);", "CREATE TABLE b (y);"]),
        ("INSERT INTO a VALUES ('x;y'); -- done\n", ["INSERT INTO a VALUES ('x;y');"]),
        ("SELECT 1;\n-- trailing comment only\n", ["SELECT 1;"]),
        (
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = 1; END;",
            ["CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = 1; END;"],
        ),
    ],
)
def test_sqlite_scripts_split_where_statements_end(script: str, statements: list[str]) -> None:
    from surveyor.db.sqlite import split_script

    assert split_script(script) == statements


def test_an_unfinished_statement_is_refused() -> None:
    from surveyor.db.sqlite import split_script

    with pytest.raises(ValueError, match="incomplete"):
        split_script("SELECT 1; SELECT 'open")
