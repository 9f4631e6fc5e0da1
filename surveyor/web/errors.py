"""Error responses: JSON naming the field on the API, HTML pages (or fragments) for people.

No traceback or secret ever reaches a response; unexpected errors are logged with
their traceback on the server and answered with a plain 500.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    ValidationException,
)
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import Receive, Scope, Send

from surveyor.db.database import StorageUnavailable
from surveyor.i18n import DEFAULT_LOCALE, best_locale, parse_accept_language, say
from surveyor.logs import current_request_id
from surveyor.web.accesslog import loggable_path
from surveyor.web.templating import render, request_locale

log = logging.getLogger("surveyor.errors")
# The web shell knows no accounts: the app hands it the loader that puts the signed-in
# user on the request (``auth.guards.load_session``) under this key of ``app.state``.
SESSION_LOADER = "load_session"
SessionLoader = Callable[[Request[Any, Any, Any]], Awaitable[object]]
JSON_PATHS = ("/api/", "/healthz", "/readyz", "/-/")
_AT = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<name>[^`]+)`")
_MISSING = re.compile(r"Object missing required field `(?P<name>[^`]+)`")


class DeferredResponse(Response[Any]):
    """A response whose body is made when it is sent.

    Litestar calls exception handlers synchronously, but error pages go through the
    async ``render`` (it awaits plugin hooks); so a handler returns this, and the page
    is rendered inside the ASGI call. If rendering fails, a plain-text page is sent.
    """

    def __init__(self, make: Callable[[], Awaitable[Response[Any]]], status_code: int) -> None:
        super().__init__(content=None, status_code=status_code)
        self._make = make

    def to_asgi_response(self, app: Any, request: Request[Any, Any, Any], **kwargs: Any) -> Any:
        make, status = self._make, self.status_code

        async def send_rendered(scope: Scope, receive: Receive, send: Send) -> None:
            try:
                response = await make()
            except Exception:
                log.exception("error page failed to render")
                response = Response(
                    f"Error {status}", status_code=status, media_type=MediaType.TEXT
                )
            asgi = response.to_asgi_response(app, request, **kwargs)
            await asgi(scope=scope, receive=receive, send=send)

        return send_rendered


def wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith(JSON_PATHS)


def invalid(field: str, message: str) -> ValidationException:
    """A 400 naming ``field``, for checks a Struct cannot express (raise it)."""
    return ValidationException(
        detail=f"{field}: {message}", extra=[{"key": field, "message": message}]
    )


def field_errors(exc: ValidationException) -> list[dict[str, str]]:
    """Turn Litestar/msgspec validation details into ``[{"field": …, "message": …}]``."""
    errors = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        field = str(item.get("key") or "")
        match = _AT.search(message)
        if match:
            message = message[: match.start()]
            path = match.group("path")
            field = path or field
        for pattern in (_UNKNOWN, _MISSING):
            named = pattern.search(message)
            if named:
                field = (
                    f"{field}.{named.group('name')}"
                    if field and field != named.group("name")
                    else named.group("name")
                )
        if item.get("source") == "body" and (field == "data" or field.startswith("data.")):
            # Litestar names the handler's ``data`` argument; the client only knows its body.
            field = field[5:]
        errors.append({"field": field or "body", "message": message})
    return errors


def client_locale(request: Request[Any, Any, Any]) -> str:
    """The API client's language, from ``Accept-Language`` only (English without it)."""
    header = request.headers.get("accept-language", "")
    return best_locale(parse_accept_language(header)) if header else DEFAULT_LOCALE


def spoken(text: str, locale: str) -> str:
    """A detail in the reader's language: each ``; ``-separated ``field: message`` part
    is translated on its own (field names, values and codes stay as they are)."""
    whole = say(text, locale)
    if whole != text or locale == DEFAULT_LOCALE:
        return whole
    return "; ".join(say(part, locale) for part in text.split("; "))


PROBLEM_JSON = "application/problem+json"
# ``type`` URIs of the problems a client may want to tell apart (RFC 9457 §3.1.1); the
# others are ``about:blank``, whose ``title`` is the HTTP status phrase.
PROBLEM_TYPES = {
    400: "https://surveyor.invalid/problems/invalid-request",
    429: "https://surveyor.invalid/problems/rate-limited",
    503: "https://surveyor.invalid/problems/storage-unavailable",
}


def problem(
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    *,
    type_: str | None = None,
) -> Response[dict[str, Any]]:
    """An RFC 9457 problem document (``application/problem+json``).

    ``type``, ``title``, ``status``, ``detail``, ``errors`` (``[{"field", "message"}]``) and
    ``request_id``; ``status_code`` repeats ``status`` for clients of the earlier format.
    """
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": type_ or PROBLEM_TYPES.get(status, "about:blank"),
        "title": title,
        "status": status,
        "status_code": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    rid = current_request_id()
    if rid:
        body["request_id"] = rid
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else "request failed"
    errors = field_errors(exc) if isinstance(exc, ValidationException) else None
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    if wants_json(request):
        # ``detail`` is for people: in the client's language. ``errors`` is for programs.
        return problem(status, spoken(detail, client_locale(request)), errors, headers=exc.headers)
    if isinstance(exc, NotAuthorizedException):
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        location = "/login?next=" + _quote(target) if request.method == "GET" else "/login"
        if getattr(request, "htmx", None):
            return Response("", status_code=204, headers={"HX-Redirect": location})
        return Redirect(location, status_code=303)
    return DeferredResponse(
        lambda: error_page(
            request,
            status,
            {"status_code": status, "detail": detail, "errors": errors or []},
            headers=exc.headers,
        ),
        status,
    )


async def error_page(
    request: Request[Any, Any, Any],
    status: int,
    context: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """``errors/<status>.html`` (or ``errors/default.html``); the fragment for htmx.

    A request that matched no route never ran a guard, so the session is loaded here
    (with the loader the app put under ``SESSION_LOADER`` in its state): a signed-in
    user's 404 still shows their navigation.
    """
    load_session: SessionLoader | None = request.app.state.get(SESSION_LOADER)
    try:
        if load_session is not None:
            await load_session(request)
    except Exception:  # the error may be the database itself; the page must still render
        log.warning("error page: session not loaded", exc_info=True)
    locale = request_locale(request)
    if isinstance(context.get("detail"), str):
        context["detail"] = spoken(context["detail"], locale)
    context["errors"] = [
        {**e, "message": say(e["message"], locale)} for e in context.get("errors") or []
    ]
    return await render(
        request,
        [f"errors/{status}.html", "errors/default.html"],
        context,
        fragment="errors/_error.html",
        status_code=status,
        headers=headers,
    )


def nested_field(body: bytes, limit: int = 64) -> str:
    """The top-level field under which ``body`` (JSON) nests deeper than ``limit``.

    Only used after the decoder gave up with ``RecursionError``, so the client hears which
    field is at fault; ``body`` when the document itself is the deep array.
    """
    depth, in_string, escaped, start = 0, False, False, 0
    last_string, top_key = b"", b""
    for index, byte in enumerate(body):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string, last_string = False, body[start:index]
            continue
        if byte == 0x22:
            in_string, start = True, index + 1
        elif byte == 0x3A and depth == 1:  # ':' after a top-level key
            top_key = last_string
        elif byte in (0x5B, 0x7B):  # '[' '{'
            depth += 1
            if depth > limit:
                return top_key.decode("utf-8", "replace")[:100] or "body"
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return "body"


RETRY_DETAIL = (
    "storage temporarily unavailable; nothing was stored. Retry after the Retry-After "
    "seconds (with the same Idempotency-Key)"
)


def handle_storage_unavailable(
    request: Request[Any, Any, Any], exc: StorageUnavailable
) -> Response[Any]:
    """``503`` with ``Retry-After``: the request was fine, the storage could not take it."""
    log.warning(
        "storage unavailable on %s %s: %s",
        request.method,
        _safe_path(request),
        exc.__cause__ or exc,
    )
    status = HTTP_503_SERVICE_UNAVAILABLE
    headers = {"Retry-After": str(exc.retry_after)}
    if wants_json(request):
        return problem(status, spoken(RETRY_DETAIL, client_locale(request)), headers=headers)
    return DeferredResponse(
        lambda: error_page(
            request,
            status,
            {
                "status_code": status,
                "detail": "The service cannot store anything right now. Nothing was saved; "
                "please try again in a moment.",
                "errors": [],
            },
            headers=headers,
        ),
        status,
    )


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, StorageUnavailable):
        return handle_storage_unavailable(request, exc)
    if isinstance(exc, RecursionError) and wants_json(request):
        # The JSON decoder recurses per nesting level: a hostile body of 10,000 nested
        # arrays is the client's error, not ours.
        async def too_deep() -> Response[Any]:
            field = nested_field(await request.body())
            message = "JSON nested too deeply"
            detail = spoken(f"{field}: {message}", client_locale(request))
            return problem(400, detail, [{"field": field, "message": message}])

        return DeferredResponse(too_deep, 400)
    log.exception("unhandled error on %s %s", request.method, _safe_path(request))
    status = HTTP_500_INTERNAL_SERVER_ERROR
    if wants_json(request):
        return problem(status, spoken("internal server error", client_locale(request)))
    return DeferredResponse(
        lambda: error_page(
            request,
            status,
            {"status_code": status, "detail": "Something went wrong on our side.", "errors": []},
        ),
        status,
    )


def _quote(value: str) -> str:
    return quote(value, safe="/")


def _safe_path(request: Request[Any, Any, Any]) -> str:
    return loggable_path(request.scope)
