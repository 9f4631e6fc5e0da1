"""A shorter way through Litestar for the respondent's link (issue 17).

A customer's ``GET /s/{token}`` and answer ``POST`` are most of a server's requests, and
for each Litestar's router looked the path up in its trie (its routing cache never hits:
every link is a new path), built the handler's keyword arguments through its signature
model and entered an exit stack for dependencies the handler does not have. A route
handler marked ``opt={"fast_lane": True}`` is called here directly instead, with the
same ``Request`` (the app's request class, htmx included), the same scope entries the
router sets (``route_handler``, ``path_template``, ``path_params``, the exception
handlers) and the same conversion of its answer (``to_response``); it runs inside
Litestar's exception middleware and the HTTP stack, so errors, request ids, metrics
and the access log are those of any other route.

Only handlers for which that is the whole of Litestar's work are taken (checked when the
lane is built, and ``ValueError`` otherwise): one ``str`` path parameter as the path's
last segment, nothing else in the signature but ``request``, and no guards,
dependencies, middleware, hooks or response cache. Anything else — another method
(405), a trailing slash, an invalid ``Host``, a path a plain route owns — goes the
usual way through the router.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar._asgi.utils import is_valid_host
from litestar.datastructures.multi_dicts import FormMultiDict
from litestar.handlers.http_handlers import HTTPRouteHandler
from litestar.middleware._internal.exceptions import ExceptionHandlerMiddleware
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

OPT = "fast_lane"
PROBE = "fast-lane-probe"


class _Lane:
    """One route handler taken the short way."""

    __slots__ = ("exception_handlers", "fn", "handler", "param", "request_class", "template")

    def __init__(self, handler: HTTPRouteHandler, template: str, param: str) -> None:
        self.handler = handler
        self.template = template
        self.param = param
        self.fn = handler.fn
        self.request_class = handler.resolve_request_class()
        self.exception_handlers = handler.resolve_exception_handlers()


def _lane_for(app: Litestar, route: HTTPRoute, handler: HTTPRouteHandler) -> _Lane:
    """The lane of ``handler``, or ``ValueError`` saying why Litestar's own path is needed."""
    params = list(route.path_parameters.values())
    if len(params) != 1 or params[0].type is not str or not route.path.endswith("}"):
        raise ValueError(f"{route.path}: one str path parameter, last, is needed")
    name = params[0].name
    signature = set(handler.parsed_fn_signature.parameters)
    if signature != {"request", name}:
        raise ValueError(f"{handler}: takes {sorted(signature)}, not only request and {name}")
    if (
        handler.resolve_guards()
        or handler.resolve_middleware()
        or handler.resolve_before_request()
        or handler.resolve_after_response()
        or handler.cache
        or handler.has_sync_callable
        or handler.resolve_return_dto()
    ):
        raise ValueError(f"{handler}: Litestar has more to do than call it")
    # Ask the router where a path of this shape goes: to this handler, with its template.
    probe = route.path.rsplit("/", 1)[0] + "/" + PROBE
    method = sorted(handler.http_methods)[0]
    _app, found, _path, values, template = app.asgi_router._handle_routing(probe, method)
    if found is not handler or values != {name: PROBE}:
        raise ValueError(f"{route.path}: the router sends {probe} elsewhere")
    return _Lane(handler, template, name)


def fast_lane(app: Litestar, router: ASGIApp) -> ASGIApp:
    """``router`` (Litestar's), with the handlers marked ``fast_lane`` called directly."""
    lanes: dict[str, dict[str, _Lane]] = {}  # the path before the parameter → method → lane
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.opt.get(OPT):
                prefix = route.path.rsplit("/", 1)[0]
                lane = _lane_for(app, route, handler)
                for method in handler.http_methods:
                    lanes.setdefault(prefix, {})[method] = lane
    plain = {route.path for route in app.routes if not route.path_parameters}

    async def lane_or_router(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        prefix, _, value = path.rpartition("/")
        by_method = lanes.get(prefix) if value and not scope.get("root_path") else None
        lane = by_method.get(scope["method"]) if by_method else None  # type: ignore[typeddict-item]
        if lane is None or path in plain or not _host_ok(scope):
            await router(scope, receive, send)
            return
        handler = lane.handler
        scope["route_handler"] = handler
        scope["path_template"] = lane.template  # type: ignore[typeddict-unknown-key]
        scope["path_params"] = {lane.param: value}
        state = ScopeState.from_scope(scope)
        state.exception_handlers = lane.exception_handlers
        request = lane.request_class(scope=scope, receive=receive, send=send)
        try:
            data = await lane.fn(request=request, **{lane.param: value})
            response = await handler.to_response(
                app=scope["litestar_app"],  # type: ignore[typeddict-item]
                data=data,
                request=request,
            )
            await response(scope, receive, send)
        finally:
            # As the router's route does: close uploaded files (a url-encoded form has none).
            if (form := state.form) is not Empty and not _text_only(form):
                await FormMultiDict.from_form_data(form).close()  # type: ignore[arg-type]

    return lane_or_router


def _text_only(form: Any) -> bool:
    return all(
        type(value) is str or (type(value) is list and all(type(v) is str for v in value))
        for value in form.values()
    )


def _host_ok(scope: Scope) -> bool:
    # The router answers an invalid Host with 400: leave such a request to it.
    for name, value in scope["headers"]:
        if name == b"host":
            return is_valid_host(value)
    return True


def with_fast_lane(app: Litestar) -> ASGIApp:
    """``app.asgi_handler`` (the router in Litestar's exception middleware) with the lane
    in front of the router; unchanged when Litestar put anything else around the router
    (CORS, OpenTelemetry), since the lane would skip it."""
    outer = app.asgi_handler
    if isinstance(outer, ExceptionHandlerMiddleware) and outer.app is app.asgi_router:
        outer.app = fast_lane(app, app.asgi_router)
    return outer
