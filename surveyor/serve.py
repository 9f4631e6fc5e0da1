"""``surveyor serve``: migrate, make sure someone can sign in, then run the ASGI server.

granian is the default: measured on this 2-core machine it is about twice uvicorn on
small JSON and keeps page p99 far lower with one worker (../shared/PERF-BASELINE.md);
uvicorn stays available with ``--server uvicorn``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from typing import Any

from surveyor.settings import Settings


async def prepare(settings: Settings) -> list[str]:
    """Migrate and, when no admin exists yet, make a one-time setup link. Returns lines to print."""
    from surveyor.app import build_services, start_services
    from surveyor.auth import store

    svc = build_services(settings)
    await start_services(svc)
    try:
        if await store.count_admins(svc.db) == 0:
            token = await store.create_setup_token(svc.db)
            return [
                "No administrator yet. Create one (the link works once, for 24 hours):",
                f"  {settings.url('/setup/' + token)}",
            ]
        return [f"Sign in at {settings.url('/login')}"]
    finally:
        await svc.db.close()


def serve(
    settings: Settings, *, host: str, port: int, workers: int, worker: bool, server: str
) -> None:
    from surveyor.cli import CommandError

    if workers < 1:
        raise CommandError("--workers: must be at least 1")
    if not 0 < port < 65536:
        raise CommandError("--port: must be between 1 and 65535")
    if workers > 1 and not settings.is_postgres:
        # SQLite has one writer per process; several processes would fight over the file lock.
        raise CommandError("--workers: SQLite serves from one process; use PostgreSQL for more")
    if server == "uvicorn" and importlib.util.find_spec("uvicorn") is None:
        raise CommandError("--server uvicorn: uvicorn is not installed (pip install uvicorn)")
    if not worker:
        os.environ["SURVEYOR_RUN_WORKER"] = "false"
    for line in asyncio.run(prepare(settings)):
        print(line, flush=True)
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
