"""``POST /api/v1/events``: fire a checkpoint for a contact.

The busiest API route, served without Litestar's per-request machinery (issue 17): the
handler's signature below is the documented contract (OpenAPI, the generated clients),
but requests are answered by its ``before_request`` hook, :func:`accept_event`, which
checks the API key (:func:`surveyor.auth.guards.authorize_api_key`, as the guard would,
without the guard's per-request copy of the route handler), decodes the body with one
cached msgspec decoder, validates ``dry_run`` and ``Idempotency-Key`` as the signature
does and answers with the JSON the unit already encoded. Bad input gets the same 4xx,
naming the field, as through the signature (``tests/checkpoints/test_events_api.py``).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request, Response, post
from litestar.exceptions import ClientException, NotFoundException, ValidationException
from litestar.params import FromQuery, HeaderParameter, JSONBody

from surveyor.auth.guards import authorize_api_key, bearer_of
from surveyor.checkpoints import store
from surveyor.checkpoints.events import EventRejected, IdempotencyConflict, fire_event_encoded
from surveyor.checkpoints.models import EventIn, EventOut
from surveyor.services import Services
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
    """Serves ``POST /api/v1/events`` (the ``before_request`` of :func:`post_event`)."""
    scope = request.scope
    svc: Services = request.app.state["services"]
    key = await authorize_api_key(request, bearer_of(scope), "events:write")
    idempotency_key = _header_idempotency_key(scope)
    query = scope.get("query_string")
    dry_run = _query_dry_run(query) if query else False
    body = await request.body()
    try:
        data = _DECODE(body)
    except msgspec.ValidationError as exc:
        raise _field_error(exc) from None
    except msgspec.DecodeError as exc:
        raise ClientException(detail=str(exc)) from None
    return await answer_event(svc, key.id, data, dry_run, idempotency_key)


async def answer_event(
    svc: Services, api_key_id: str, data: EventIn, dry_run: bool, idempotency_key: str | None
) -> Response[Any]:
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
    return _Encoded(answer, 200 if dry_run else 202)


@post("/api/v1/events", tags=["events"], status_code=202, before_request=accept_event)
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
    # Never reached: ``accept_event`` answers every request before the signature is parsed.
    raise AssertionError("POST /api/v1/events is answered by accept_event")
