"""``/api/v1/sources`` (scope ``admin``) and the public ``POST /hooks/in/{source_id}``."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody

from surveyor.auth.guards import api_scope, current_api_key
from surveyor.services import services
from surveyor.sources import intake, store
from surveyor.sources.creation import SourceRejected, create_source
from surveyor.sources.mapping import MappingError, check_mapping
from surveyor.sources.models import (
    CreatedSource,
    MappingIn,
    Outcome,
    PayloadEntry,
    Source,
    SourceIn,
)
from surveyor.sources.verify import VerificationFailed
from surveyor.web.errors import invalid

MAX_SAMPLE_BYTES = 256 * 1024


class SourcesApi(Controller):
    path = "/api/v1/sources"
    guards = [api_scope("admin")]
    tags = ["sources"]

    @post("/", status_code=201)
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[SourceIn]
    ) -> CreatedSource:
        """Create an inbound source. The answer holds its ``url`` and its ``secret``: the
        secret is shown this once."""
        svc = services(request)
        key = current_api_key(request)
        try:
            return await create_source(
                svc.db,
                data,
                base_url=svc.settings.base_url,
                actor_label=f"api key {key.prefix} ({key.name})",
            )
        except SourceRejected as rejected:
            raise invalid(rejected.field, rejected.message) from None

    @get("/")
    async def list_all(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """Every source (without its secret), in the API's list shape."""
        svc = services(request)
        return {
            "items": await store.list_sources(svc.db, svc.settings.base_url),
            "next_cursor": None,
        }

    @get("/{source_id:str}")
    async def get_one(self, request: Request[Any, Any, Any], source_id: FromPath[str]) -> Source:
        return await _source(request, source_id)

    @put("/{source_id:str}/mapping")
    async def set_mapping(
        self, request: Request[Any, Any, Any], source_id: FromPath[str], data: JSONBody[MappingIn]
    ) -> Source:
        """Replace the mapping (every expression is compiled first)."""
        svc = services(request)
        mapping = data.to_mapping()
        try:
            check_mapping(mapping)
        except MappingError as error:
            raise invalid(error.field, error.message) from None
        key = current_api_key(request)
        if not await store.update_mapping(
            svc.db, source_id, mapping, actor_label=f"api key {key.prefix} ({key.name})"
        ):
            raise NotFoundException(detail="source_id: no such source")
        return await _source(request, source_id)

    @get("/{source_id:str}/payloads")
    async def payloads(
        self, request: Request[Any, Any, Any], source_id: FromPath[str]
    ) -> dict[str, Any]:
        """The last payloads received (redacted), each with its mapping and decision."""
        await _source(request, source_id)
        items: list[PayloadEntry] = await store.recent_payloads(services(request).db, source_id)
        return {"items": items, "next_cursor": None}

    @post("/{source_id:str}/test", status_code=200)
    async def test_mapping(
        self, request: Request[Any, Any, Any], source_id: FromPath[str], data: JSONBody[Any]
    ) -> Outcome:
        """A dry run of the mapping and the contact policy on a sample payload: stores nothing."""
        source = await _source(request, source_id)
        if len(msgspec.json.encode(data)) > MAX_SAMPLE_BYTES:
            raise invalid("body", f"larger than {MAX_SAMPLE_BYTES} bytes")
        return await intake.dry_run(services(request), source, data)

    @post("/{source_id:str}/payloads/{entry_id:str}/replay", status_code=200)
    async def replay(
        self, request: Request[Any, Any, Any], source_id: FromPath[str], entry_id: FromPath[str]
    ) -> Outcome:
        """Map a logged payload again with the current mapping and fire it."""
        source = await _source(request, source_id)
        entry = await store.get_payload(services(request).db, source_id, entry_id)
        if entry is None:
            raise NotFoundException(detail="entry_id: no such payload in this source's log")
        return await intake.replay(services(request), source, entry.payload)


async def _source(request: Request[Any, Any, Any], source_id: str) -> Source:
    svc = services(request)
    found = await store.get_source(svc.db, source_id, svc.settings.base_url)
    if found is None:
        raise NotFoundException(detail="source_id: no such source")
    return found


class _TooLarge(Exception):
    pass


async def _read_body(request: Request[Any, Any, Any], limit: int) -> bytes:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _problem(status: int, detail: str) -> Response[Any]:
    # Answered as JSON here, not through the web shell's error pages: this path has no
    # browser behind it (a 401 must not turn into a sign-in page).
    return Response({"status_code": status, "detail": detail}, status_code=status)


@post("/hooks/in/{source_id:str}", status_code=200, include_in_schema=False, tags=["sources"])
async def receive_hook(request: Request[Any, Any, Any], source_id: FromPath[str]) -> Response[Any]:
    """A provider's webhook. 200 for every payload taken in (scheduled, suppressed,
    filtered out, mapping error, duplicate: none of them is worth a provider's retry),
    401 when the signature fails, 404 for an unknown source, 413 for a body over the
    limit, 400 for a verified body that is not JSON."""
    svc = services(request)
    if len(source_id) > 64:
        return _problem(404, "source_id: no such source")
    limit = svc.settings.inbound_max_body_bytes
    try:
        body = await _read_body(request, limit)
    except _TooLarge:
        return _problem(413, f"body: larger than {limit} bytes")
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        outcome = await intake.receive(
            svc, source_id, method=request.method, headers=headers, body=body, now=time.time()
        )
    except intake.SourceNotFound:
        return _problem(404, "source_id: no such source")
    except VerificationFailed as failed:
        return _problem(401, f"signature: {failed.reason}")
    except intake.PayloadRejected as rejected:
        return _problem(400, str(rejected))
    return Response(outcome, status_code=200)


ROUTES = (SourcesApi, receive_hook)
