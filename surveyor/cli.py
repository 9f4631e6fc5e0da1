"""The ``surveyor`` command. Every sub-command honours ``--config`` and ``SURVEYOR_*``,
exits non-zero with a one-line reason on bad input, and has ``--help``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import msgspec

from surveyor import __version__
from surveyor.auth.models import MAX_PASSWORD, MIN_PASSWORD, ROLES, SCOPES, Email
from surveyor.cli_records import (
    _services,
    _with_services,
    add_demo_text_parsers,
    add_links_contacts_parsers,
    add_sources_parsers,
)
from surveyor.errors import CommandError
from surveyor.settings import Settings, SettingsError, load_settings


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from surveyor.app import migration_sources
    from surveyor.db.migrate import migrate

    async def run() -> list[str]:
        svc = _services(settings)
        await svc.db.connect()
        try:
            return await migrate(svc.db, migration_sources(svc.pm))  # type: ignore[arg-type]
        finally:
            await svc.db.close()

    applied = asyncio.run(run())
    print(f"applied {len(applied)} migration(s)" + "".join(f"\n  {m}" for m in applied))


def _read_password() -> str:
    password = os.environ.get("SURVEYOR_NEW_PASSWORD")
    if password is None:
        if sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if getpass.getpass("Repeat: ") != password:
                raise CommandError("password: the two entries differ")
        else:
            password = sys.stdin.readline().rstrip("\r\n")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise CommandError(f"password: must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def cmd_users_create(settings: Settings, args: argparse.Namespace) -> None:
    from surveyor.auth import store
    from surveyor.auth.passwords import hash_password

    try:
        email = msgspec.convert(args.email, Email)
    except msgspec.ValidationError:
        raise CommandError(f"--email: {args.email!r} is not an email address") from None
    password = _read_password()

    async def work(svc: Any) -> Any:
        if await store.get_user_by_email(svc.db, email):
            raise CommandError(f"--email: a user {email} already exists")
        user = await store.create_user(
            svc.db,
            email=email,
            role=args.role,
            name=args.name or "",
            password_hash=await hash_password(password),
        )
        await store.audit(
            svc.db,
            "user.created",
            actor_label="cli",
            target_type="user",
            target_id=user.id,
            detail={"role": args.role},
        )
        return user

    user = asyncio.run(_with_services(settings, work))
    print(f"created {user.role} {user.email} ({user.id})")


def cmd_apikeys_create(settings: Settings, args: argparse.Namespace) -> None:
    from surveyor.auth import store

    name = args.name.strip()
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise CommandError("--name: 1 to 100 printable characters")

    async def work(svc: Any) -> str:
        secret, key = await store.create_api_key(
            svc.db, name=name, scopes=args.scope, created_by=None
        )
        await store.audit(
            svc.db,
            "apikey.created",
            actor_label="cli",
            target_type="api_key",
            target_id=key.id,
            detail={"scopes": key.scopes, "name": name},
        )
        return secret

    secret = asyncio.run(_with_services(settings, work))
    print(
        f"API key {name!r} with scope(s) {', '.join(sorted(set(args.scope)))}; it is shown only once:",
        file=sys.stderr,
    )
    print(secret)


def cmd_apikeys_list(settings: Settings, args: argparse.Namespace) -> None:
    from surveyor.auth import store

    keys = asyncio.run(_with_services(settings, lambda svc: store.list_api_keys(svc.db)))
    for key in keys:
        state = (
            f"revoked {key.revoked_at}"
            if key.revoked_at
            else f"last used {key.last_used_at or 'never'}"
        )
        print(f"{key.id}  {key.prefix}…  {','.join(key.scopes):<20} {key.name}  ({state})")


def cmd_apikeys_revoke(settings: Settings, args: argparse.Namespace) -> None:
    from surveyor.auth import store

    async def work(svc: Any) -> bool:
        done = await store.revoke_api_key(svc.db, args.id)
        if done:
            await store.audit(
                svc.db,
                "apikey.revoked",
                actor_label="cli",
                target_type="api_key",
                target_id=args.id,
            )
        return done

    if not asyncio.run(_with_services(settings, work)):
        raise CommandError(f"id: no active API key {args.id}")
    print(f"revoked {args.id}")


def cmd_plugins(settings: Settings, args: argparse.Namespace) -> None:
    from surveyor.app import plugin_settings_for
    from surveyor.plugins import describe, make_plugin_manager

    pm = make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir)
    plugin_settings_for(settings, pm)  # the plugins' settings are checked here too
    rows = describe(pm)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        kind = "core" if row["core"] else "plugin"
        print(f"{row['name']} ({kind}): {', '.join(row['hooks']) or '-'}")


def cmd_backup(settings: Settings, args: argparse.Namespace) -> None:
    from surveyor.db.sqlite import SQLiteDatabase

    if settings.is_postgres:
        raise CommandError("database: backup copies SQLite files; use pg_dump for PostgreSQL")
    if not os.path.exists(settings.database):
        raise CommandError(f"database: {settings.database} does not exist")
    if os.path.exists(args.path):
        raise CommandError(f"path: {args.path} already exists")
    asyncio.run(SQLiteDatabase(settings.database).backup(args.path))
    print(f"backed up {settings.database} to {args.path}")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    from surveyor.serve import serve

    # The server's processes build their app from the environment (surveyor.asgi), so the
    # command-line choices travel there; other commands leave os.environ alone.
    if args.config:
        os.environ["SURVEYOR_CONFIG"] = args.config
    if args.plugins_dir:
        os.environ["SURVEYOR_PLUGINS_DIR"] = args.plugins_dir
    serve(
        settings,
        host=args.host,
        port=args.port,
        workers=args.workers,
        worker=not args.no_worker,
        server=args.server,
    )


WORKER_GRACE_SECONDS = 20.0


def _say(line: str) -> None:
    # Flushed: operators (and supervisors reading a pipe) see progress as it happens.
    print(line, flush=True)


async def run_worker(
    settings: Settings,
    *,
    concurrency: int = 16,
    once: bool = False,
    out: Callable[[str], None] = _say,
) -> int:
    """``surveyor worker``: the delivery worker as a process of its own.

    Runs until signalled (or, with ``once``, until nothing is due) and returns the jobs
    run. Several may run at once, on one machine or many (PostgreSQL): jobs are leased,
    so no two workers run the same job. SIGINT or SIGTERM stops claiming, lets in-flight
    jobs finish for a grace period and hands the rest back to the queue.
    """
    import signal

    from surveyor.app import build_services, start_services
    from surveyor.delivery.channels import channels
    from surveyor.delivery.worker import Worker

    svc = build_services(settings)
    await start_services(svc)
    registry = channels(svc)
    try:
        worker = Worker(svc, concurrency=concurrency)
        if once:
            ran = await worker.run_until_idle()
            out(f"ran {ran} job(s)")
            return ran
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        worker.start()
        out(
            f"delivery worker {worker.name} running ({concurrency} at a time; "
            f"channels: {', '.join(registry.names()) or 'none'}); Ctrl-C stops it"
        )
        await stop.wait()
        out(f"stopping: in-flight deliveries get {WORKER_GRACE_SECONDS:.0f} s to finish")
        await worker.stop(grace_seconds=WORKER_GRACE_SECONDS)
        out(f"stopped after {worker.processed} job(s)")
        return worker.processed
    finally:
        await registry.close()
        await svc.db.close()


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    if not 1 <= args.concurrency <= 256:
        raise CommandError("--concurrency: must be between 1 and 256")
    asyncio.run(run_worker(settings, concurrency=args.concurrency, once=args.once))


class Parser(argparse.ArgumentParser):
    """argparse, except that a usage error is one line naming the problem, like every other
    bad input; ``--help`` still prints the whole usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="surveyor", description="Customer feedback that closes the loop.")
    parser.add_argument("--version", action="version", version=f"surveyor {__version__}")
    parser.add_argument(
        "--config", metavar="FILE", help="TOML settings file (same keys as SURVEYOR_*)"
    )
    parser.add_argument("--plugins-dir", metavar="DIR", help="load single-file plugins from DIR")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the web server (and the delivery worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes (default 1; 2 uses both cores of a 2-core machine, SQLite too)",
    )
    serve.add_argument(
        "--no-worker", action="store_true", help="do not run the delivery worker in-process"
    )
    serve.add_argument("--server", choices=["granian", "uvicorn"], default="granian")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run a delivery worker alone (several may run at once)")
    worker.add_argument(
        "--concurrency", type=int, default=16, help="deliveries in flight at once (default 16)"
    )
    worker.add_argument(
        "--once", action="store_true", help="run what is due now, then exit (cron, tests)"
    )
    worker.set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="apply pending migrations").set_defaults(func=cmd_migrate)

    users = sub.add_parser("users", help="staff users").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser(
        "create", help="create a user; the password comes from stdin or SURVEYOR_NEW_PASSWORD"
    )
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name", default="")
    create.set_defaults(func=cmd_users_create)

    keys = sub.add_parser("apikeys", help="API keys").add_subparsers(
        dest="apikeys_command", required=True
    )
    key_create = keys.add_parser("create", help="create a key and print its secret once")
    key_create.add_argument("--name", required=True)
    key_create.add_argument("--scope", required=True, action="append", choices=SCOPES)
    key_create.set_defaults(func=cmd_apikeys_create)
    keys.add_parser("list", help="list keys (never their secrets)").set_defaults(
        func=cmd_apikeys_list
    )
    revoke = keys.add_parser("revoke", help="revoke a key")
    revoke.add_argument("id")
    revoke.set_defaults(func=cmd_apikeys_revoke)

    add_sources_parsers(sub)

    plugins = sub.add_parser("plugins", help="list plugins and the hooks they implement")
    plugins.add_argument("--json", action="store_true")
    plugins.set_defaults(func=cmd_plugins)

    add_links_contacts_parsers(sub)

    add_demo_text_parsers(sub)

    backup = sub.add_parser("backup", help="consistent copy of the live SQLite database")
    backup.add_argument("path")
    backup.set_defaults(func=cmd_backup)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    overrides = {"plugins_dir": args.plugins_dir} if args.plugins_dir else {}
    settings: Any = None
    try:
        settings = load_settings(args.config, for_plugins=True, **overrides)
        args.func(settings, args)
    except (SettingsError, CommandError) as exc:
        print(f"surveyor: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one line for operators; the traceback helps nobody at a prompt
        import sqlite3

        from surveyor.db.database import StorageUnavailable
        from surveyor.plugins import PluginError

        if isinstance(exc, PluginError | OSError | StorageUnavailable):
            print(f"surveyor: {exc}", file=sys.stderr)
            return 1
        if isinstance(exc, sqlite3.Error):  # e.g. a read-only database file or directory
            print(f"surveyor: database {settings.database}: {exc}", file=sys.stderr)
            return 1
        raise
    return 0


if __name__ == "__main__":
    # ``python -m surveyor.cli`` runs this file as __main__, a second copy of the module:
    # call the imported copy's main, so there is one module state whatever the entry.
    from surveyor.cli import main as surveyor_main

    sys.exit(surveyor_main())
