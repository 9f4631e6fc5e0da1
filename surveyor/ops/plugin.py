"""``/metrics`` (Prometheus), registered as a core plugin."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request, Response, get

from surveyor import hookimpl
from surveyor.ops import prometheus
from surveyor.services import services


@get("/metrics", include_in_schema=False, opt={"public": True}, cache=False)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text format. With ``metrics_token`` set, only ``Bearer <token>`` reads it."""
    svc = services(request)
    expected = svc.settings.metrics_token
    if expected:
        sent = request.headers.get("authorization", "")
        if not secrets.compare_digest(sent.encode(), f"Bearer {expected}".encode()):
            return Response(
                b"metrics token required\n",
                status_code=401,
                media_type="text/plain",
                headers={"WWW-Authenticate": "Bearer"},
            )
    body = await prometheus.render(svc)
    return Response(body, media_type=prometheus.CONTENT_TYPE)


@hookimpl
def register_routes(register: Any) -> None:
    register(metrics)


@hookimpl
async def startup(services: Any) -> None:
    if hasattr(services.db, "on_batch"):
        services.db.on_batch = prometheus.observe_batch
