"""``surveyor serve``: migrate, make sure someone can sign in, then run the ASGI server.

granian is the default: measured on this 2-core machine it is about twice uvicorn on
small JSON and keeps page p99 far lower with one worker (../shared/PERF-BASELINE.md);
uvicorn stays available with ``--server uvicorn``.

The process model (docs/architecture.md, "The process model"): the ``serve`` process
only supervises. It migrates and makes the setup link in a short-lived child
(``prepare_in_child``), so it never imports or builds the application itself; the
server processes it starts each build their own app. On SQLite several server
processes share the file: each has its own group-commit writer, and their write
transactions take turns on SQLite's own write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import asyncio
import ctypes
import fcntl
import importlib.util
import os
import pickle
import signal
import sys
import traceback
from typing import Any

import msgspec

from surveyor.errors import CommandError
from surveyor.settings import Settings


async def prepare(settings: Settings) -> list[str]:
    """Migrate and, when no admin exists yet, make a one-time setup link. Returns lines to print."""
    from surveyor.app import build_services, start_services
    from surveyor.auth import store

    svc = build_services(settings)
    await start_services(svc)
    try:
        if await store.count_admins(svc.db) == 0:
            token = await store.ensure_setup_token(svc.db)
            if token is None:
                return [
                    "No administrator yet. Another process starting at the same time printed"
                    " the setup link; use that one (or restart later for a new link).",
                ]
            return [
                "No administrator yet. Create one (the link works once, for 24 hours):",
                f"  {settings.url('/setup/' + token)}",
            ]
        return [f"Sign in at {settings.url('/login')}"]
    finally:
        await svc.db.close()


def prepare_in_child(settings: Settings) -> None:
    """Run ``prepare`` in a forked child that exits when done, and print its lines.

    Migrating imports and builds the whole application (plugins, templates, every
    domain); done in the ``serve`` process itself, that memory stayed in the supervisor
    for its whole life (~64 MB of a 130 MB idle tree, issue 17). The child's error, if
    any, is raised here again, so the command fails with the same one line as before.
    """
    if not hasattr(os, "fork"):  # not on Linux/macOS: pay the memory, keep it simple
        for line in asyncio.run(prepare(settings)):
            print(line, flush=True)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: prepare, report, and leave without running the parent's code
        os.close(read_end)
        code = 0
        try:
            for line in asyncio.run(prepare(settings)):
                print(line, flush=True)
        except BaseException as exc:
            code = 1
            try:
                report = pickle.dumps(exc)
                pickle.loads(report)  # noqa: S301 (our own bytes) — some errors pickle one way only
            except Exception:
                traceback.print_exc()
                report = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
            os.write(write_end, report)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read()
    _, status = os.waitpid(pid, 0)
    if report:
        raise pickle.loads(report)  # noqa: S301 (written by our own child)
    if status != 0:
        raise CommandError(f"start-up failed (the preparing process ended with status {status})")


# Server processes without ``--workers`` (never more than the cores). Two processes on one
# SQLite file are safe and were measured (docs/architecture.md, "The process model"): on
# the customer path 1.23x completed surveys/s in the median of three pairs, but spread
# 0.52-1.72x, at ~1.36x the CPU per completed survey and ~+85 MB RSS (a second app and a
# second comment-analysis process). That gain is inside the noise of a shared machine and
# the memory is certain, so one stays the default; ``--workers 2`` is there.
DEFAULT_WORKERS = 1
MAX_WORKERS = 64


def default_workers() -> int:
    """How many server processes ``serve`` starts without ``--workers``."""
    return max(1, min(os.cpu_count() or 1, DEFAULT_WORKERS))


PARENT_ENV = "_SURVEYOR_SERVE_PID"  # not SURVEYOR_*: settings reject unknown names
PROCESSES_ENV = "_SURVEYOR_SERVE_PROCESSES"


def server_processes() -> int:
    """In a server process: how many server processes its ``serve`` runs (1 if unknown)."""
    try:
        return max(1, int(os.environ.get(PROCESSES_ENV, "1")))
    except ValueError:
        return 1


PR_SET_PDEATHSIG = 1
_held_locks: list[int] = []  # lock file descriptors, open for the life of the process


def lock_database(path: str) -> None:
    """Refuse a second server on one SQLite file: an exclusive ``flock`` on ``<db>.lock``.

    The kernel drops the lock when this process ends, however it ends (kill -9 too), so
    a stale lock file never blocks a restart. The file holds the owner's PID for the
    message."""
    lock_path = os.path.abspath(path) + ".lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise CommandError(f"database: cannot create {lock_path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        other = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise CommandError(
            f"database: {path} is in use by another surveyor serve (pid {other}); stop it first"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _held_locks.append(fd)


def die_with_parent() -> None:
    """In a server worker process: end when the ``serve`` process that started it ends.

    Linux delivers SIGKILL to this process when its parent dies (``PR_SET_PDEATHSIG``),
    so a kill -9 of ``serve`` never leaves a worker holding the port and the database.
    Everything a worker acknowledged is already durable, so SIGKILL loses nothing.
    """
    parent = os.environ.get(PARENT_ENV)
    if not parent or int(parent) == os.getpid() or not sys.platform.startswith("linux"):
        return  # not started by ``surveyor serve``, or serving in the serve process itself
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return
    if os.getppid() != int(parent):  # the parent died before the signal was armed
        os._exit(1)


DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def follow_address(settings: Settings, host: str, port: int) -> Settings:
    """With no base URL configured, links (the setup link, invitations, share links) follow
    the address the server really listens on, not the default port 8000 (issue 13)."""
    if settings.base_url != DEFAULT_BASE_URL or os.environ.get("SURVEYOR_BASE_URL"):
        return settings
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 (a name, not a bind)
    shown = f"[{shown}]" if ":" in shown else shown
    base_url = f"http://{shown}:{port}"
    # The server's processes read their settings from the environment (surveyor.asgi).
    os.environ["SURVEYOR_BASE_URL"] = base_url
    return msgspec.structs.replace(settings, base_url=base_url)


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int | None,
    worker: bool,
    server: str,
) -> None:
    if workers is None:
        workers = default_workers()
    if workers < 1:
        raise CommandError("--workers: must be at least 1")
    if workers > MAX_WORKERS:
        raise CommandError(f"--workers: at most {MAX_WORKERS}")
    if not 0 < port < 65536:
        raise CommandError("--port: must be between 1 and 65535")
    if server == "uvicorn" and importlib.util.find_spec("uvicorn") is None:
        raise CommandError("--server uvicorn: uvicorn is not installed (pip install uvicorn)")
    if not settings.is_postgres:
        lock_database(settings.database)
    os.environ[PARENT_ENV] = str(os.getpid())
    os.environ[PROCESSES_ENV] = str(workers)
    settings = follow_address(settings, host, port)
    if not worker:
        os.environ["SURVEYOR_RUN_WORKER"] = "false"
    if server == "uvicorn" and workers == 1:
        # uvicorn serves in this very process: nothing to keep light, and preparing here
        # saves importing the app twice.
        for line in asyncio.run(prepare(settings)):
            print(line, flush=True)
    else:
        prepare_in_child(settings)
    print(
        f"Surveyor {settings.base_url} (listening on {host}:{port}, {server}, {workers} worker(s))",
        flush=True,
    )
    if server == "uvicorn":
        import uvicorn

        uvicorn.run(
            "surveyor.asgi:make_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
        return
    from granian import Granian
    from granian.constants import Interfaces, Loops

    options: dict[str, Any] = {
        "address": host,
        "port": port,
        "interface": Interfaces.ASGI,
        "workers": workers,
        "factory": True,
        "loop": Loops.uvloop,
        "log_access": False,
    }
    Granian("surveyor.asgi:make_app", **options).serve()
