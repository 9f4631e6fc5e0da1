"""The API rate limit: ``api_rate_limit`` requests per minute per API key (per client
address for requests without a key), counted in the shared counters, with the
``RateLimit-Limit`` / ``RateLimit-Remaining`` / ``RateLimit-Reset`` headers on every API
answer and a 429 problem document with ``Retry-After`` past the limit (applied by
``surveyor.ops.http_stack``)."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from litestar.types import Message, Scope

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


Header = tuple[bytes, bytes]


async def count(
    scope: Scope, svc: Any, limit: int, trusted: frozenset[str]
) -> tuple[list[Header], int, bool] | None:
    """Counts this API request: its ``RateLimit-*`` headers, the seconds to the window's
    reset and whether it is over the limit; None when the counters' store is down (the
    request is then served, uncounted: better than refusing every client)."""
    key = api_key_of(scope)
    name = f"api:key:{key}" if key else f"api:ip:{peer_address(scope, trusted)}"
    try:
        hits, reset = await counters_for(svc).hit(name, WINDOW)
    except Exception as exc:
        log.warning("rate limit not counted: %s", exc)
        return None
    headers = [
        (b"ratelimit-limit", str(limit).encode()),
        (b"ratelimit-remaining", str(max(0, limit - hits)).encode()),
        (b"ratelimit-reset", str(reset).encode()),
    ]
    return headers, reset, hits > limit


def refusal(headers: list[Header], reset: int) -> tuple[Message, Message]:
    """The 429 answer: the counted headers, ``Retry-After`` and a problem document."""
    body = problem_429(reset)
    start: Message = {
        "type": "http.response.start",
        "status": 429,
        "headers": [
            *headers,
            (b"retry-after", str(reset).encode()),
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body}
