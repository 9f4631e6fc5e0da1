"""Routes answered before Litestar's routing (issue 17): the busiest API route only.

A route handler may name, in ``opt={"direct": answer}``, a function that answers its
exact path and method without Litestar's per-request machinery (routing, the exception
middleware, the request and response objects): ``await answer(state, scope, body)``
returns ``(status, json_bytes)``. Whatever it raises goes to Litestar, which routes
the request to the same route handler; that handler's ``before_request`` starts with
:func:`raise_refusal`, so the exception is raised there and rendered by the app's
exception handlers exactly as before. A request whose body is over the route's limit,
whose client left, or whose Host header Litestar refuses is handed to Litestar whole.

``direct_routes(app)`` wraps Litestar's handler with the table of such routes; it is in
turn wrapped by ``surveyor.ops.http_stack``, so the request id, access log, metrics and
API rate limit apply to these routes as to any other.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Litestar, Request

# Litestar's own Host check (its router answers 400 to a bad one).
from litestar._asgi.utils import is_valid_host
from litestar.types import ASGIApp, Message, Receive, Scope, Send

Answer = Callable[[Any, Scope, bytes], Awaitable[tuple[int, bytes]]]
_REFUSAL = "surveyor.direct_refusal"
_JSON = (b"content-type", b"application/json")


def direct_table(app: Litestar) -> dict[tuple[str, str], tuple[Answer, float]]:
    """``{(method, path): (answer, body limit)}`` of the handlers that name one."""
    table: dict[tuple[str, str], tuple[Answer, float]] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            answer = handler.opt.get("direct")
            if answer is not None:
                limit = handler.resolve_request_max_body_size() or math.inf
                for method in handler.http_methods:
                    table[method, route.path] = (answer, limit)
    return table


def direct_routes(app: Litestar) -> ASGIApp:
    """Litestar's handler with the direct routes answered first (itself when none)."""
    litestar = app.asgi_handler
    table = direct_table(app)
    if not table:
        return litestar
    state = app.state

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            found = table.get((scope["method"], scope["path"]))
            if found is not None and _host_ok(scope):
                answer, limit = found
                messages, whole = await read_body(receive, limit)
                if whole:
                    try:
                        status, body = await answer(state, scope, body_of(messages))
                    except Exception as exc:  # rendered by Litestar, see raise_refusal
                        scope.setdefault("state", {})[_REFUSAL] = exc  # type: ignore[typeddict-item]
                    else:
                        scope["path_template"] = scope["path"]  # as Litestar's router sets it
                        await send(
                            {
                                "type": "http.response.start",
                                "status": status,
                                "headers": [_JSON, (b"content-length", b"%d" % len(body))],
                            }
                        )
                        await send({"type": "http.response.body", "body": body})
                        return
                receive = replayed(messages, receive)
        await litestar(scope, receive, send)

    return route


def raise_refusal(request: Request[Any, Any, Any]) -> None:
    """In the route handler's ``before_request``: raise what its direct answer raised."""
    refusal = request.scope.get("state", {}).pop(_REFUSAL, None)
    if refusal is not None:
        raise refusal


def _host_ok(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return is_valid_host(value)
    return True


async def read_body(receive: Receive, limit: float) -> tuple[list[Message], bool]:
    """The request's messages as received and whether they make a whole body of at most
    ``limit`` bytes (False: the client left, or the body is larger; reading stops)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, False
        size += len(message.get("body", b""))
        if size > limit:
            return messages, False
        if not message.get("more_body", False):
            return messages, True


def replayed(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives ``messages`` again, then what the client sends next."""
    pending = list(messages)

    async def again() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return again


def body_of(messages: list[Message]) -> bytes:
    if len(messages) == 1:
        return messages[0].get("body", b"")
    return b"".join(m.get("body", b"") for m in messages)
