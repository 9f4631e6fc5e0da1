"""The API rate limit: ``api_rate_limit`` requests per minute per API key (per client
address for requests without a key), counted in the shared counters, with the
``RateLimit-Limit`` / ``RateLimit-Remaining`` / ``RateLimit-Reset`` headers on every API
answer and a 429 problem document with ``Retry-After`` past the limit."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from surveyor.logs import current_request_id
from surveyor.ops.ratelimit import counters_for

log = logging.getLogger("surveyor.ratelimit")
WINDOW = 60


def peer_address(scope: Scope, trusted: frozenset[str]) -> str:
    """The client's address; ``X-Forwarded-For`` counts only from a trusted proxy."""
    client = scope.get("client")
    peer = client[0] if client else ""
    if peer in trusted:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                for hop in reversed([p.strip() for p in value.decode("latin-1").split(",")]):
                    if hop and hop not in trusted:
                        return hop
    return peer


def api_key_of(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin-1")
            if text[:7].lower() == "bearer " and text[7:].strip():
                return hashlib.sha256(text[7:].strip().encode()).hexdigest()[:24]
    return None


def problem_429(retry: int) -> bytes:
    body: dict[str, Any] = {
        "type": "https://surveyor.invalid/problems/rate-limited",
        "title": "Too Many Requests",
        "status": 429,
        "status_code": 429,
        "detail": f"rate limit reached; retry after {retry} seconds",
    }
    rid = current_request_id()
    if rid:
        body["request_id"] = rid
    return json.dumps(body).encode()


def api_rate_limit_middleware(app: ASGIApp, svc: Any) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        limit = svc.settings.api_rate_limit
        if scope["type"] != "http" or not limit or not scope.get("path", "").startswith("/api/"):
            await app(scope, receive, send)
            return
        key = api_key_of(scope)
        name = (
            f"api:key:{key}"
            if key
            else f"api:ip:{peer_address(scope, svc.settings.trusted_proxy_list)}"
        )
        try:
            count, reset = await counters_for(svc).hit(name, WINDOW)
        except Exception as exc:  # the limiter's store is down: serve rather than refuse
            log.warning("rate limit not counted: %s", exc)
            await app(scope, receive, send)
            return
        headers = [
            (b"ratelimit-limit", str(limit).encode()),
            (b"ratelimit-remaining", str(max(0, limit - count)).encode()),
            (b"ratelimit-reset", str(reset).encode()),
        ]
        if count > limit:
            body = problem_429(reset)
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        *headers,
                        (b"retry-after", str(reset).encode()),
                        (b"content-type", b"application/problem+json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await app(scope, receive, with_headers)

    return middleware
