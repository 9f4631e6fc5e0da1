"""The core's own routes: health, plugin list, the home page (which leads to /dashboard,
served by ``surveyor.metrics``)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.response import Redirect

from surveyor import hookimpl, hookjobs
from surveyor.auth.guards import load_session, staff
from surveyor.plugins import describe
from surveyor.services import services


@get("/healthz", include_in_schema=True, tags=["health"], opt={"public": True}, cache=False)
async def healthz(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """Liveness and a real database round trip (read and write paths)."""
    svc = services(request)
    try:
        await svc.db.fetch_val("SELECT 1")
        await svc.db.write(lambda tx: tx.fetch_val("SELECT 1"))
    except Exception:
        return Response({"status": "error", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": svc.db.backend})


@get("/-/plugins.json", guards=[staff("admin")], include_in_schema=False)
async def plugins_json(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    """Plugins and the hooks each implements (admins only)."""
    return describe(services(request).pm)


@get("/", include_in_schema=False, opt={"public": True})
async def home(request: Request[Any, Any, Any]) -> Redirect:
    found = await load_session(request)
    if found is None:
        return Redirect("/login", status_code=303)
    return Redirect("/dashboard", status_code=303)


@hookimpl
def register_routes(register: Any) -> None:
    register(healthz)
    register(plugins_json)
    register(home)


@hookimpl
def register_job_kinds(register: Any) -> None:
    # ``hook.<name>``: plugin reactions to domain events, run by the worker.
    for kind in hookjobs.JOB_KINDS:
        register(kind)
