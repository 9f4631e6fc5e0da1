"""``POST /api/v1/events``: fire a checkpoint for a contact."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromQuery, HeaderParameter, JSONBody

from surveyor.auth.guards import api_scope, current_api_key
from surveyor.checkpoints import store
from surveyor.checkpoints.events import EventRejected, IdempotencyConflict, fire_event
from surveyor.checkpoints.models import EventIn, EventOut
from surveyor.services import services
from surveyor.web.errors import invalid

MAX_PROPERTIES_BYTES = 64 * 1024


@post("/api/v1/events", guards=[api_scope("events:write")], tags=["events"], status_code=202)
async def post_event(
    request: Request[Any, Any, Any],
    data: JSONBody[EventIn],
    dry_run: FromQuery[bool] = False,
    idempotency_key: Annotated[
        str | None,
        HeaderParameter(name="Idempotency-Key", max_length=200, pattern=r"^[\x21-\x7e]+$"),
    ] = None,
) -> Response[EventOut]:
    """Fire ``checkpoint`` for ``contact``: 202 with the decision and its reason.

    The same idempotency key with the same body answers the first answer again; with
    another body, 409. ``?dry_run=true`` answers 200 with the decision and stores nothing.
    """
    svc = services(request)
    if idempotency_key and data.idempotency_key and idempotency_key != data.idempotency_key:
        raise invalid("idempotency_key", "the body and the Idempotency-Key header disagree")
    if idempotency_key and not data.idempotency_key:
        data = msgspec.structs.replace(data, idempotency_key=idempotency_key)
    if len(msgspec.json.encode(data.properties)) > MAX_PROPERTIES_BYTES:
        raise invalid("properties", f"larger than {MAX_PROPERTIES_BYTES} bytes")
    checkpoint = await store.cached_checkpoint(svc, data.checkpoint)
    if checkpoint is None:
        raise NotFoundException(detail=f"checkpoint: no checkpoint {data.checkpoint!r}")
    try:
        _, answer = await fire_event(
            svc, data, checkpoint, api_key_id=current_api_key(request).id, dry_run=dry_run
        )
    except EventRejected as rejected:
        raise invalid(rejected.field, rejected.message) from None
    except IdempotencyConflict as conflict:
        raise ClientException(detail=str(conflict), status_code=409) from None
    return Response(answer, status_code=200 if dry_run else 202)
