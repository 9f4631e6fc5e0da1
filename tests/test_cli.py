"""The ``surveyor`` command: one-line errors, secrets never on argv, idempotent migrations,
consistent backups of a live database, and ``--help`` everywhere."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from surveyor.app import build_services, start_services
from surveyor.auth import store
from surveyor.auth.passwords import verify_password
from surveyor.cli import build_parser, main
from surveyor.settings import load_settings

GOOD_PASSWORD = "a long enough password"
SURVEYOR = [sys.executable, "-m", "surveyor.cli"]


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SQLite file named by SURVEYOR_DATABASE, in a clean environment."""
    for name in list(os.environ):
        if name.startswith("SURVEYOR_"):
            monkeypatch.delenv(name)
    path = tmp_path / "cli.db"
    monkeypatch.setenv("SURVEYOR_DATABASE", str(path))
    monkeypatch.chdir(tmp_path)
    return path


def _in_db(work: Any) -> Any:
    async def run() -> Any:
        svc = build_services(load_settings())
        await start_services(svc)
        try:
            return await work(svc)
        finally:
            await svc.db.close()

    return asyncio.run(run())


def _one_line_error(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    for word in words:
        assert word in err
    return err


# ---------------------------------------------------------------------------
# users create
# ---------------------------------------------------------------------------


def test_users_create_reads_the_password_from_stdin(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD_PASSWORD + "\n"))
    assert main(["users", "create", "--email", "Ada@Example.com", "--role", "admin"]) == 0
    assert "created admin" in capsys.readouterr().out

    async def check(svc: Any) -> bool:
        user, stored = await store.password_hash_for(svc.db, "ada@example.com")
        assert user is not None and user.role == "admin"
        return await verify_password(stored, GOOD_PASSWORD)

    assert _in_db(check)


def test_users_create_reads_surveyor_new_password(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEYOR_NEW_PASSWORD", GOOD_PASSWORD)
    monkeypatch.setattr("sys.stdin", io.StringIO("ignored because the variable is set\n"))
    assert main(["users", "create", "--email", "m@example.com", "--role", "manager"]) == 0

    async def check(svc: Any) -> bool:
        _, stored = await store.password_hash_for(svc.db, "m@example.com")
        return await verify_password(stored, GOOD_PASSWORD)

    assert _in_db(check)


def test_a_password_is_never_accepted_on_the_command_line(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["users", "create", "--email", "a@example.com", "--role", "admin", "--password", "x"])
    assert stopped.value.code == 2
    _one_line_error(capsys, "--password")


@pytest.mark.parametrize(
    ("argv", "stdin", "named"),
    [
        (["--email", "not-an-email", "--role", "admin"], GOOD_PASSWORD, "--email"),
        (["--email", "a@example.com", "--role", "boss"], GOOD_PASSWORD, "--role"),
        (["--email", "a@example.com", "--role", "admin"], "short", "password"),
        (["--email", "a@example.com", "--role", "admin"], "", "password"),
        (["--role", "admin"], GOOD_PASSWORD, "--email"),
    ],
)
def test_users_create_refuses_bad_input_with_one_line(
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    stdin: str,
    named: str,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin + "\n"))
    try:
        code = main(["users", "create", *argv])
    except SystemExit as stopped:  # argparse's own refusals
        code = stopped.code  # type: ignore[assignment]
    assert code != 0
    _one_line_error(capsys, named)


def test_users_create_refuses_a_second_user_with_the_same_email(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SURVEYOR_NEW_PASSWORD", GOOD_PASSWORD)
    assert main(["users", "create", "--email", "a@example.com", "--role", "admin"]) == 0
    capsys.readouterr()
    assert main(["users", "create", "--email", "A@example.com", "--role", "designer"]) != 0
    _one_line_error(capsys, "already exists")


def test_users_create_in_a_real_process_with_a_piped_password(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "SURVEYOR_DATABASE": str(tmp_path / "p.db")}
    result = subprocess.run(
        [*SURVEYOR, "users", "create", "--email", "p@example.com", "--role", "designer"],
        input=GOOD_PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert GOOD_PASSWORD not in result.stdout + result.stderr
    bad = subprocess.run(
        [*SURVEYOR, "users", "create", "--email", "nope", "--role", "designer"],
        input=GOOD_PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0
    assert bad.stderr.count("\n") == 1 and "--email" in bad.stderr


# ---------------------------------------------------------------------------
# apikeys
# ---------------------------------------------------------------------------


def test_apikeys_create_prints_the_secret_alone_on_the_last_line(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["apikeys", "create", "--name", "CRM", "--scope", "events:write"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    secret = lines[-1]
    assert secret == secret.strip() and " " not in secret and len(secret) >= 32
    assert "shown only once" in captured.err

    async def check(svc: Any) -> Any:
        return await store.api_key_for_secret(svc.db, secret)

    key = _in_db(check)
    assert key is not None and key.scopes == ["events:write"] and key.name == "CRM"
    # Listing shows the prefix, never the secret.
    assert main(["apikeys", "list"]) == 0
    listing = capsys.readouterr().out
    assert key.prefix in listing and secret not in listing


def test_apikeys_create_refuses_a_bad_scope_or_name(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["apikeys", "create", "--name", "x", "--scope", "everything"])
    _one_line_error(capsys, "--scope")
    assert main(["apikeys", "create", "--name", "bad\nname", "--scope", "read"]) != 0
    _one_line_error(capsys, "--name")


def test_apikeys_revoke(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apikeys", "create", "--name", "old", "--scope", "read"]) == 0
    secret = capsys.readouterr().out.splitlines()[-1]
    key = _in_db(lambda svc: store.api_key_for_secret(svc.db, secret))
    assert main(["apikeys", "revoke", key.id]) == 0
    assert _in_db(lambda svc: store.api_key_for_secret(svc.db, secret)).revoked_at is not None
    capsys.readouterr()
    assert main(["apikeys", "revoke", key.id]) != 0
    _one_line_error(capsys, key.id)


# ---------------------------------------------------------------------------
# migrate
# ---------------------------------------------------------------------------


def test_migrate_is_idempotent(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("applied ") and "core:0001_foundation.sql" in first
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out.strip() == "applied 0 migration(s)"
    with sqlite3.connect(db_path) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM schema_migrations")]
    assert len(ids) == len(set(ids)) >= 1


# ---------------------------------------------------------------------------
# backup
# ---------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from surveyor.db import open_database

    async def main(path, stop):
        db = open_database(path)
        await db.connect()
        async def setup(tx):
            await tx.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY)")
            await tx.execute("CREATE TABLE IF NOT EXISTS order_lines (order_id INTEGER NOT NULL)")
        await db.write(setup)
        n = 0
        while not Path(stop).exists() and n < 200000:
            n += 1
            async def unit(tx, n=n):
                # One order and its two lines in one transaction: a consistent copy never
                # holds an order without both of its lines.
                await tx.execute("INSERT INTO orders (id) VALUES (?)", (n,))
                await tx.execute_many(
                    "INSERT INTO order_lines (order_id) VALUES (?)", [(n,), (n,)]
                )
            await db.write(unit)
            if n == 200:
                print("ready", flush=True)
        await db.close()
        print(n, flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


def test_backup_of_a_database_being_written_is_consistent(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    stop = tmp_path / "stop"
    copy = tmp_path / "copy.db"
    env = {"PATH": os.environ["PATH"], "SURVEYOR_DATABASE": str(live)}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(live), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        result = subprocess.run(
            [*SURVEYOR, "backup", str(copy)], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("backed up ")
    finally:
        stop.touch()
        written = int(writer.communicate(timeout=60)[0].strip().splitlines()[-1])
    assert writer.returncode == 0
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        orders = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        lines = conn.execute("SELECT count(*) FROM order_lines").fetchone()[0]
        orphans = conn.execute(
            "SELECT count(*) FROM orders o WHERE"
            " (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id) != 2"
        ).fetchone()[0]
    assert 200 <= orders <= written
    assert lines == 2 * orders
    assert orphans == 0


def test_backup_refuses_to_overwrite_and_names_the_path(
    db_path: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["migrate"]) == 0
    target = tmp_path / "exists.db"
    target.write_text("precious")
    capsys.readouterr()
    assert main(["backup", str(target)]) != 0
    _one_line_error(capsys, str(target))
    assert target.read_text() == "precious"


def test_backup_of_postgresql_points_to_pg_dump(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SURVEYOR_DATABASE", "postgresql://nobody@127.0.0.1:1/none")
    assert main(["backup", "x.db"]) != 0
    _one_line_error(capsys, "pg_dump")


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["serve", "--workers", "0"], "--workers"),
        (["serve", "--workers", "1000"], "--workers"),
        (["serve", "--port", "70000"], "--port"),
        (["serve", "--port", "http"], "--port"),
        (["serve", "--server", "gunicorn"], "--server"),
    ],
)
def test_serve_refuses_bad_options_before_touching_anything(
    db_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], named: str
) -> None:
    try:
        code = main(argv)
    except SystemExit as stopped:
        code = stopped.code  # type: ignore[assignment]
    assert code != 0
    _one_line_error(capsys, named)
    assert not db_path.exists()


@pytest.mark.parametrize("module", ["surveyor.cli", "surveyor"])
def test_errors_raised_deep_inside_a_command_are_one_line_in_a_real_process(
    tmp_path: Path, module: str
) -> None:
    # ``python -m surveyor.cli`` once printed a traceback here: __main__ is a second copy of
    # the module, whose main() did not catch surveyor.cli.CommandError raised by serve.py.
    result = subprocess.run(
        [sys.executable, "-m", module, "serve", "--workers", "0"],
        env={"PATH": os.environ["PATH"], "SURVEYOR_DATABASE": str(tmp_path / "x.db")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--workers" in result.stderr, result.stderr


# ---------------------------------------------------------------------------
# --help everywhere
# ---------------------------------------------------------------------------


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[list[str]]:
    found = [list(prefix)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.extend(_commands(sub, (*prefix, name)))
    return found


COMMANDS = _commands(build_parser())


def test_the_documented_commands_exist() -> None:
    names = {" ".join(c) for c in COMMANDS}
    for command in (
        "serve",
        "worker",
        "migrate",
        "users create",
        "apikeys create",
        "plugins",
        "demo",
        "backup",
    ):
        assert command in names


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: " ".join(argv) or "surveyor")
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: surveyor")
    assert len(out.splitlines()) >= 3


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from surveyor import __version__

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"surveyor {__version__}"
