"""The HTTP stack around Litestar's handler, in one pass (issue 17).

What four nested ASGI middlewares did, each with its own scope check, ``send`` wrapper
and ``try``/``finally``, is done here by one wrapper, in the same order as before:

1. the request id (``surveyor.web.requestid``): outermost, so the access-log line and
   every error document carry it, and ``X-Request-ID`` is on every answer;
2. the access-log line (``surveyor.web.accesslog``), written after the answer with the
   request id still set;
3. the Prometheus HTTP metrics (``surveyor.ops.prometheus.observe_http``);
4. the API rate limit (``surveyor.ops.apilimit``) on ``/api/`` paths: its headers on the
   answer, or a 429 before Litestar is asked.

Wrapped around Litestar's whole handler, not added as route middleware, so requests
that match no route (404, 405) are counted and logged too.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from surveyor.logs import REQUEST_ID
from surveyor.ops import apilimit
from surveyor.ops.prometheus import observe_http
from surveyor.web.accesslog import log, loggable_path
from surveyor.web.requestid import request_id_for

_INFO = logging.INFO
_X_REQUEST_ID = b"x-request-id"


class _Trusted:
    """``settings.trusted_proxy_list``, parsed again only when the setting changes."""

    __slots__ = ("parsed", "source")

    def __init__(self) -> None:
        self.source: str | None = None
        self.parsed: frozenset[str] = frozenset()

    def of(self, settings: Any) -> frozenset[str]:
        if settings.trusted_proxies != self.source:
            self.parsed = settings.trusted_proxy_list
            self.source = settings.trusted_proxies
        return self.parsed


def http_stack(app: ASGIApp, svc: Any) -> ASGIApp:
    """``app`` with the request id, access log, HTTP metrics and API rate limit."""
    trusted = _Trusted()
    perf_counter = time.perf_counter

    async def stack(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = perf_counter()
        settings = svc.settings
        proxies = trusted.of(settings)
        rid = request_id_for(scope, proxies)
        scope.setdefault("state", {})["request_id"] = rid  # type: ignore[typeddict-item]
        token = REQUEST_ID.set(rid)
        rid_header = (_X_REQUEST_ID, rid.encode("ascii"))
        status = 500
        extra: list[tuple[bytes, bytes]] | None = None

        async def wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != _X_REQUEST_ID
                ]
                if extra:
                    headers.extend(extra)
                headers.append(rid_header)
                message["headers"] = headers
            await send(message)

        try:
            limit = settings.api_rate_limit
            if limit and scope.get("path", "").startswith("/api/"):
                counted = await apilimit.count(scope, svc, limit, proxies)
                if counted is not None:
                    headers, reset, refused = counted
                    if refused:
                        for message in apilimit.refusal(headers, reset):
                            await wrapped(message)
                        return
                    extra = headers
            await app(scope, receive, wrapped)
        finally:
            # The route template, never the path (set by Litestar's router; "unmatched"
            # for a 404 or a 429 answered before routing).
            route = scope.get("path_template") or "unmatched"
            method = scope.get("method", "-")
            observe_http(method, route, status, perf_counter() - started)
            # Checked first: the masked path is built character by character, for a line
            # that a server run with SURVEYOR_LOG_LEVEL=WARNING never writes.
            if log.isEnabledFor(_INFO):
                log.info(
                    "%s %s %d %.1fms",
                    method,
                    loggable_path(scope),
                    status,
                    (perf_counter() - started) * 1000,
                )
            REQUEST_ID.reset(token)

    return stack
