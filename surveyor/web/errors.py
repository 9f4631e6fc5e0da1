"""Error responses: JSON naming the field on the API, HTML pages (or fragments) for people.

No traceback or secret ever reaches a response; unexpected errors are logged with
their traceback on the server and answered with a plain 500.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    ValidationException,
)
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from surveyor.web.templating import render

log = logging.getLogger("surveyor.errors")
JSON_PATHS = ("/api/", "/healthz", "/-/")
_AT = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<name>[^`]+)`")
_MISSING = re.compile(r"Object missing required field `(?P<name>[^`]+)`")


def wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith(JSON_PATHS)


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
        errors.append({"field": field or item.get("source", "body"), "message": message})
    return errors


def problem(
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"status_code": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


async def handle_http_exception(
    request: Request[Any, Any, Any], exc: HTTPException
) -> Response[Any]:
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else "request failed"
    errors = field_errors(exc) if isinstance(exc, ValidationException) else None
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    if wants_json(request):
        return problem(status, detail, errors, headers=exc.headers)
    if isinstance(exc, NotAuthorizedException):
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        location = "/login?next=" + _quote(target) if request.method == "GET" else "/login"
        if getattr(request, "htmx", None):
            return Response("", status_code=204, headers={"HX-Redirect": location})
        return Redirect(location, status_code=303)
    return await render(
        request,
        [f"errors/{status}.html", "errors/default.html"],
        {"status_code": status, "detail": detail, "errors": errors or []},
        fragment="errors/_error.html",
        status_code=status,
        headers=exc.headers,
    )


async def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, _safe_path(request))
    status = HTTP_500_INTERNAL_SERVER_ERROR
    if wants_json(request):
        return problem(status, "internal server error")
    try:
        return await render(
            request,
            ["errors/500.html", "errors/default.html"],
            {"status_code": status, "detail": "Something went wrong on our side.", "errors": []},
            fragment="errors/_error.html",
            status_code=status,
        )
    except Exception:
        log.exception("error page failed to render")
        return Response("Internal server error", status_code=status, media_type=MediaType.TEXT)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="/")


def _safe_path(request: Request[Any, Any, Any]) -> str:
    from surveyor.web.accesslog import loggable_path

    return loggable_path(request.scope)
