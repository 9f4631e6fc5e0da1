"""The core's own routes: health, plugin list, the home page (which leads to /dashboard,
served by ``surveyor.metrics``)."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from typing import Any

from litestar import Request, Response, get
from litestar.response import Redirect

from surveyor import hookimpl, hookjobs
from surveyor.app import migration_sources
from surveyor.auth.guards import load_session, staff
from surveyor.db.migrate import find_migrations
from surveyor.ids import now_iso, parse_iso, utcnow
from surveyor.ops import store as ops_store
from surveyor.plugins import BUILTIN_PLUGINS, describe
from surveyor.services import services
from surveyor.web.templating import render

log = logging.getLogger("surveyor.health")


@get("/healthz", include_in_schema=True, tags=["health"], opt={"public": True}, cache=False)
async def healthz(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """Liveness: the process answers and reaches its database (one read; writes nothing).

    It stays 200 while the disk is full: restarting the process would not help. Whether
    writes get through is ``/readyz``'s question."""
    svc = services(request)
    try:
        await svc.db.fetch_val("SELECT 1")
    except Exception:
        return Response({"status": "error", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": svc.db.backend})


@get("/readyz", include_in_schema=True, tags=["health"], opt={"public": True}, cache=False)
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """Readiness: a durable write of this process's heartbeat row, then a read of it.

    503 (with ``Retry-After``) while the database cannot take writes — a full disk, I/O
    errors, a read-only file, a lost connection — and 200 again as soon as it can.
    """
    svc = services(request)
    nonce = secrets.token_hex(8)
    now = now_iso()
    beat_id = f"{socket.gethostname()}:{os.getpid()}"  # one row per process

    async def beat(tx: Any) -> None:
        await tx.execute(
            "INSERT INTO health_heartbeat (id, beat_at, nonce) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at, nonce = excluded.nonce",
            (beat_id, now, nonce),
        )

    try:
        await svc.db.write(beat)
        stored = await svc.db.fetch_val(
            "SELECT nonce FROM health_heartbeat WHERE id = ?", (beat_id,)
        )
    except Exception as exc:
        log.warning("readiness: the database cannot take writes: %s", exc)
        return Response(
            {"status": "error", "database": "cannot take writes"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    if stored != nonce:
        return Response(
            {"status": "error", "database": "heartbeat not read back"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    pending = await pending_migrations(svc)
    if pending:
        return Response(
            {"status": "error", "database": "migrations pending", "pending": ", ".join(pending)},
            status_code=503,
            headers={"Retry-After": "30"},
        )
    stale = svc.settings.ready_worker_seconds
    if stale:
        beat = await ops_store.latest_worker_beat(svc.db)
        if beat is None or (utcnow() - parse_iso(beat)).total_seconds() > stale:
            return Response(
                {"status": "error", "database": svc.db.backend, "worker": "no recent heartbeat"},
                status_code=503,
                headers={"Retry-After": "5"},
            )
    return Response({"status": "ok", "database": svc.db.backend})


async def pending_migrations(svc: Any) -> list[str]:
    """Migration ids this code has that the database has not applied (a newer release
    started against an older schema before ``surveyor migrate`` ran)."""
    applied = {row["id"] for row in await svc.db.fetch_all("SELECT id FROM schema_migrations")}
    pending = []
    for namespace, folder in migration_sources(svc.pm):
        for migration in find_migrations(namespace, folder, svc.db.backend):  # type: ignore[arg-type]
            if migration.id not in applied:
                pending.append(migration.id)
    return pending


@get("/-/plugins.json", guards=[staff("admin")], include_in_schema=False)
async def plugins_json(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    """Plugins and the hooks each implements (admins only)."""
    return describe(services(request).pm)


@get("/settings/plugins", guards=[staff("designer")], include_in_schema=False)
async def plugins_page(request: Request[Any, Any, Any]) -> Response[str]:
    """Settings → Plugins: what is installed and the hooks each implements (designers see
    it too: which question kinds and channels exist is theirs to know)."""
    pm = services(request).pm
    hooks = {
        name: (getattr(pm.hook, name).spec.function.__doc__ or "").strip().split("\n")[0]
        for name in dir(pm.hook)
        if not name.startswith("_") and getattr(getattr(pm.hook, name), "spec", None)
    }
    return await render(
        request,
        "settings/plugins.html",
        {"plugins": describe(pm), "hook_docs": hooks, "builtin": BUILTIN_PLUGINS},
    )


@get("/", include_in_schema=False, opt={"public": True})
async def home(request: Request[Any, Any, Any]) -> Redirect:
    found = await load_session(request)
    if found is None:
        return Redirect("/login", status_code=303)
    return Redirect("/dashboard", status_code=303)


@hookimpl
def register_routes(register: Any) -> None:
    register(healthz)
    register(readyz)
    register(plugins_json)
    register(plugins_page)
    register(home)


@hookimpl
def register_job_kinds(register: Any) -> None:
    # ``hook.<name>``: plugin reactions to domain events, run by the worker.
    for kind in hookjobs.JOB_KINDS:
        register(kind)
