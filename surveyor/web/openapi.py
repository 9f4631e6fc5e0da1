"""The OpenAPI document, finished so that client generators can use it.

Litestar builds the document from the handlers; this render plugin completes it when it
is served (``/schema/openapi.json``):

* every schema has a unique name and ``title`` (two structs called ``EventOut`` in two
  modules became one model in generated clients);
* the ``bearer`` security scheme (API keys) on every ``/api/v1`` operation;
* every error answer documented with the ``Problem`` schema (RFC 9457) — 400, 401, 403,
  404, 409, 413, 422, 429 and 503 — under ``application/problem+json``;
* ``format: date-time`` on timestamps (fields named ``*_at``, ``timestamp``);
* an example on the problem document and the event body;
* the outgoing webhooks in the OpenAPI 3.1 ``webhooks`` section with their envelope.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin

ERROR_STATUSES = {
    "400": "The request is malformed or a field is invalid; `errors` names each field",
    "401": "No API key, or an unknown, expired or revoked one",
    "403": "The API key lacks the scope this operation needs",
    "404": "Not found",
    "409": "Conflicts with the current state (e.g. an idempotency key reused with another body)",
    "413": "The request body is larger than the server accepts",
    "422": "Understood but refused by a business rule",
    "429": "Rate limited: retry after `Retry-After` seconds",
    "503": "Storage temporarily unavailable; nothing was stored. Retry after `Retry-After`",
}
PROBLEM = {
    "title": "Problem",
    "type": "object",
    "description": "An RFC 9457 problem document (application/problem+json).",
    "properties": {
        "type": {"type": "string", "description": "a URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "status_code": {"type": "integer", "description": "the same as status (older clients)"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/FieldError"},
        },
        "request_id": {"type": "string", "description": "the X-Request-ID of the request"},
    },
    "required": ["type", "title", "status", "detail"],
    "examples": [
        {
            "type": "https://surveyor.invalid/problems/invalid-request",
            "title": "Bad Request",
            "status": 400,
            "status_code": 400,
            "detail": "contact.email: Expected `str` of length <= 254",
            "errors": [{"field": "contact.email", "message": "Expected `str` of length <= 254"}],
            "request_id": "5f0c6a1e2b7d4c3a9e8f1d2c",
        }
    ],
}
FIELD_ERROR = {
    "title": "FieldError",
    "type": "object",
    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
    "required": ["field", "message"],
}
RATE_HEADERS = {
    "Retry-After": {
        "description": "seconds to wait before retrying",
        "schema": {"type": "integer"},
    },
    "RateLimit-Limit": {"schema": {"type": "integer"}},
    "RateLimit-Remaining": {"schema": {"type": "integer"}},
    "RateLimit-Reset": {"schema": {"type": "integer"}},
}
EVENT_EXAMPLE = {
    "checkpoint": "order_delivered",
    "contact": {"id": "cus_1", "email": "ana@example.com", "name": "Ana"},
    "properties": {"order_id": "A-1"},
    "idempotency_key": "order-A-1-delivered",
}
_TIMESTAMP = re.compile(r"(_at|^timestamp|_until|_before|_after)$")


def _unique_names(doc: dict[str, Any]) -> None:
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    renames: dict[str, str] = {}
    for key in list(schemas):
        if "_" in key and not key.startswith("_"):
            *modules, name = key.split("_")
            if name and name[0].isupper() and modules:
                new = modules[0].capitalize().rstrip("s") + name
                while new in schemas or new in renames.values():
                    new = modules[0].capitalize() + new
                renames[key] = new
    if renames:
        text = json.dumps(doc)
        for old, new in renames.items():
            text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
        doc.clear()
        doc.update(json.loads(text))
        schemas = doc["components"]["schemas"]
        for old, new in renames.items():
            schemas[new] = schemas.pop(old)
    for key, schema in schemas.items():
        if isinstance(schema, dict):
            schema["title"] = key


def _date_times(node: Any) -> None:
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for name, prop in props.items():
                if _TIMESTAMP.search(name) and isinstance(prop, dict):
                    _mark_date_time(prop)
        for value in node.values():
            _date_times(value)
    elif isinstance(node, list):
        for value in node:
            _date_times(value)


def _mark_date_time(prop: dict[str, Any]) -> None:
    if prop.get("type") == "string" or prop.get("type") == ["string", "null"]:
        prop.setdefault("format", "date-time")
        if prop.get("default") == "":  # a struct default, never sent: not a date-time
            del prop["default"]
    for key in ("oneOf", "anyOf"):
        for option in prop.get(key, []):
            if isinstance(option, dict) and option.get("type") == "string":
                option.setdefault("format", "date-time")


def _problem_response(description: str, status: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    if status in ("429", "503"):
        response["headers"] = (
            RATE_HEADERS if status == "429" else {"Retry-After": RATE_HEADERS["Retry-After"]}
        )
    return response


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch") and isinstance(op, dict):
                found.append((path, method, op))
    return found


def _webhooks(event_types: tuple[str, ...]) -> dict[str, Any]:
    hooks = {}
    for event_type in event_types:
        name = "".join(part.capitalize() for part in re.split(r"[._]", event_type)) + "Webhook"
        hooks[event_type] = {
            "post": {
                "summary": f"{event_type}, POSTed to each subscribed URL",
                "description": (
                    "Signed with the subscription's secret (Standard Webhooks headers "
                    "webhook-id, webhook-timestamp, webhook-signature). Answer 2xx to "
                    "acknowledge; other answers are retried with back-off, and a "
                    "Retry-After header is honoured; 410 Gone disables the subscription."
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                    },
                },
                "responses": {"2XX": {"description": "delivered"}},
            }
        }
    return hooks


def _webhook_schemas(event_types: tuple[str, ...]) -> dict[str, Any]:
    schemas = {}
    for event_type in event_types:
        name = "".join(part.capitalize() for part in re.split(r"[._]", event_type)) + "Webhook"
        data: dict[str, Any] = {"response": {"type": "object", "additionalProperties": True}}
        required = ["response"] if event_type.startswith("response.") else ["followup"]
        if event_type.startswith("followup."):
            data["followup"] = {"type": "object", "additionalProperties": True}
        schemas[name] = {
            "title": name,
            "type": "object",
            "properties": {
                "type": {"type": "string", "const": event_type},
                "timestamp": {"type": "string", "format": "date-time"},
                "data": {"type": "object", "properties": data, "required": required},
            },
            "required": ["type", "timestamp", "data"],
        }
    return schemas


def finish(doc: dict[str, Any], webhook_events: tuple[str, ...] = ()) -> dict[str, Any]:
    """The completed document (a copy; Litestar's cached one is left alone)."""
    doc = copy.deepcopy(doc)
    _unique_names(doc)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM
    schemas["FieldError"] = FIELD_ERROR
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `Authorization: Bearer sk_…` (created under API keys)",
    }
    for path, _method, op in _operations(doc):
        responses = op.setdefault("responses", {})
        if not path.startswith("/api/v1/"):
            continue
        op["security"] = [{"bearer": []}]
        for status, description in ERROR_STATUSES.items():
            responses[status] = _problem_response(description, status)
    events = doc.get("paths", {}).get("/api/v1/events", {}).get("post")
    if events:
        content = events.get("requestBody", {}).get("content", {}).get("application/json")
        if content is not None:
            content["example"] = EVENT_EXAMPLE
    _date_times(doc)
    if webhook_events:
        schemas.update(_webhook_schemas(webhook_events))
        doc["webhooks"] = _webhooks(webhook_events)
    return doc


class FinishedJsonRenderPlugin(JsonRenderPlugin):
    """``/schema/openapi.json``, finished by :func:`finish` (computed once per app)."""

    def __init__(self, webhook_events: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.webhook_events = webhook_events
        self._cached: dict[str, Any] | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._cached is None:
            self._cached = finish(openapi_schema, self.webhook_events)
        return super().render(request, self._cached)
