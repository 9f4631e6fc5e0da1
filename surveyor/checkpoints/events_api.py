"""``POST /api/v1/events``: fire a checkpoint for a contact.

The busiest API route, served without Litestar's per-request machinery (issue 17): the
handler's signature below is the documented contract (OpenAPI, the generated clients),
but requests are answered before Litestar routes them, by :func:`answer_direct`
(``opt={"direct": ...}``, see ``surveyor.web.direct``), which checks the API key
(:func:`surveyor.auth.guards.check_api_key`, as the guard would), decodes the body with
one cached msgspec decoder, validates ``dry_run`` and ``Idempotency-Key`` as the
signature does and answers with the JSON the unit already encoded. What it refuses is
raised again in the route's ``before_request`` hook, :func:`accept_event`, so Litestar's
exception handlers render it: bad input gets the same 4xx, naming the field, as through
the signature (``tests/checkpoints/test_events_api.py``). ``accept_event`` also answers
the requests handed to Litestar whole (a body over the limit, an app under a root path).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request, Response, post
from litestar.exceptions import ClientException, NotFoundException, ValidationException
from litestar.params import FromQuery, HeaderParameter, JSONBody

from surveyor.auth.guards import bearer_of, check_api_key
from surveyor.checkpoints import store
from surveyor.checkpoints.events import EventRejected, IdempotencyConflict, fire_event_encoded
from surveyor.checkpoints.models import EventIn, EventOut
from surveyor.services import Services
from surveyor.web.direct import raise_refusal
from surveyor.web.errors import invalid

MAX_PROPERTIES_BYTES = 64 * 1024
IDEMPOTENCY_PATTERN = r"^[\x21-\x7e]+$"
IdempotencyKey = Annotated[str, msgspec.Meta(max_length=200, pattern=IDEMPOTENCY_PATTERN)]

_DECODE = msgspec.json.Decoder(EventIn).decode
_ENCODE = msgspec.json.Encoder().encode


class _Encoded(Response[Any]):
    """A JSON answer already encoded: handed to the server as it is."""

    def __init__(self, body: bytes, status_code: int) -> None:  # no Response.__init__ work
        self.body = body
        self.status_code = status_code

    def to_asgi_response(self, app: Any, request: Any, **kwargs: Any) -> Any:
        start = {
            "type": "http.response.start",
            "status": self.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(self.body)).encode()),
            ],
        }
        end = {"type": "http.response.body", "body": self.body}

        async def answer(scope: Any, receive: Any, send: Any) -> None:
            await send(start)
            await send(end)

        return answer


def _field_error(exc: msgspec.ValidationError, key: str = "") -> ValidationException:
    """msgspec's message as the signature model reports it (``field_errors`` turns the
    ``- at `$.contact` `` suffix and "unknown/missing field" into the field's name)."""
    return ValidationException(detail=str(exc), extra=[{"message": str(exc), "key": key}])


def _query_dry_run(query: bytes) -> bool:
    for name, value in parse_qsl(query.decode("latin-1")):
        if name == "dry_run":
            try:
                return msgspec.convert(value, bool, strict=False)
            except msgspec.ValidationError as exc:
                raise _field_error(exc, "dry_run") from None
    return False


def _header_idempotency_key(scope: Any) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"idempotency-key":
            try:
                return msgspec.convert(value.decode("latin-1"), IdempotencyKey)
            except msgspec.ValidationError as exc:
                raise _field_error(exc, "idempotency_key") from None
    return None


async def accept_event(request: Request[Any, Any, Any]) -> Response[Any]:
    """Answers ``POST /api/v1/events`` when :func:`answer_direct` did not: the route's
    ``before_request``, so it runs instead of the handler's signature."""
    raise_refusal(request)  # what answer_direct raised, rendered as from here
    scope = request.scope
    svc: Services = request.app.state["services"]
    key = await check_api_key(svc, bearer_of(scope), "events:write")
    idempotency_key = _header_idempotency_key(scope)
    status, body = await _answer(svc, key, idempotency_key, scope, await request.body())
    return _Encoded(body, status)


async def answer_direct(state: Any, scope: Any, body: bytes) -> tuple[int, bytes]:
    """Answers ``POST /api/v1/events`` before Litestar routes it (``surveyor.web.direct``):
    the checks in the order of :func:`accept_event`, whose answer it gives."""
    svc: Services = state["services"]
    key = await check_api_key(svc, bearer_of(scope), "events:write")
    idempotency_key = _header_idempotency_key(scope)
    return await _answer(svc, key, idempotency_key, scope, body)


async def _answer(
    svc: Services, key: Any, idempotency_key: str | None, scope: Any, body: bytes
) -> tuple[int, bytes]:
    query = scope.get("query_string")
    dry_run = _query_dry_run(query) if query else False
    try:
        data = _DECODE(body)
    except msgspec.ValidationError as exc:
        raise _field_error(exc) from None
    except msgspec.DecodeError as exc:
        raise ClientException(detail=str(exc)) from None
    return await answer_event(svc, key.id, data, dry_run, idempotency_key)


async def answer_event(
    svc: Services, api_key_id: str, data: EventIn, dry_run: bool, idempotency_key: str | None
) -> tuple[int, bytes]:
    if idempotency_key and data.idempotency_key and idempotency_key != data.idempotency_key:
        raise invalid("idempotency_key", "the body and the Idempotency-Key header disagree")
    if idempotency_key and not data.idempotency_key:
        data = msgspec.structs.replace(data, idempotency_key=idempotency_key)
    properties = _ENCODE(data.properties)
    if len(properties) > MAX_PROPERTIES_BYTES:
        raise invalid("properties", f"larger than {MAX_PROPERTIES_BYTES} bytes")
    checkpoint = await store.cached_checkpoint(svc, data.checkpoint)
    if checkpoint is None:
        raise NotFoundException(detail=f"checkpoint: no checkpoint {data.checkpoint!r}")
    try:
        _, _, answer = await fire_event_encoded(
            svc,
            data,
            checkpoint,
            api_key_id=api_key_id,
            dry_run=dry_run,
            properties_json=properties.decode(),
        )
    except EventRejected as rejected:
        raise invalid(rejected.field, rejected.message) from None
    except IdempotencyConflict as conflict:
        raise ClientException(detail=str(conflict), status_code=409) from None
    return (200 if dry_run else 202), answer


@post(
    "/api/v1/events",
    tags=["events"],
    status_code=202,
    before_request=accept_event,
    opt={"direct": answer_direct},
)
async def post_event(
    request: Request[Any, Any, Any],
    data: JSONBody[EventIn],
    dry_run: FromQuery[bool] = False,
    idempotency_key: Annotated[
        str | None,
        HeaderParameter(name="Idempotency-Key", max_length=200, pattern=IDEMPOTENCY_PATTERN),
    ] = None,
) -> Response[EventOut]:
    """Fire ``checkpoint`` for ``contact``: 202 with the decision and its reason.

    The same idempotency key with the same body answers the first answer again; with
    another body, 409. ``?dry_run=true`` answers 200 with the decision and stores nothing.
    Needs an API key with the ``events:write`` scope.
    """
    # Never reached: ``answer_direct`` or ``accept_event`` answers every request first.
    raise AssertionError("POST /api/v1/events is answered by answer_direct or accept_event")
