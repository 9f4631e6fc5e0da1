"""The sources pages (admins only): list, create, and one source's page with its URL,
its mapping, the "test the mapping" box and the payload log with replay."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from surveyor.auth.guards import current_user, staff
from surveyor.checkpoints import store as checkpoints
from surveyor.services import services
from surveyor.sources import intake, store
from surveyor.sources.creation import SourceRejected, create_source
from surveyor.sources.mapping import Mapping, MappingError, check_mapping
from surveyor.sources.models import CreatedSource, SourceIn
from surveyor.sources.presets import DEFAULTS
from surveyor.sources.verify import PRESETS
from surveyor.web.forms import form_errors, read_form
from surveyor.web.templating import render

MAPPING_FIELDS = Mapping.__struct_fields__
MAX_SAMPLE_CHARS = 256 * 1024


class SourcesViews(Controller):
    path = "/sources"
    guards = [staff("admin")]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request[Any, Any, Any]) -> Response[str]:
        svc = services(request)
        sources = await store.list_sources(svc.db, svc.settings.base_url)
        return await render(request, "sources/index.html", {"sources": sources})

    async def _form(
        self,
        request: Request[Any, Any, Any],
        values: dict[str, Any],
        error: str = "",
        status: int = 200,
    ) -> Response[str]:
        return await render(
            request,
            "sources/new.html",
            {
                "values": values,
                "error": error,
                "presets": PRESETS,
                "checkpoints": await checkpoints.list_checkpoints(services(request).db),
            },
            status_code=status,
        )

    @get("/new")
    async def new(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await self._form(request, {"type": "stripe"})

    @post("/", status_code=200)
    async def create(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Creates the source and shows its page with the secret: the only time it shows."""
        raw = await read_form(request)
        svc = services(request)
        try:
            data = msgspec.convert(
                {
                    "name": raw.get("name", ""),
                    "type": raw.get("type", ""),
                    "checkpoint": raw.get("checkpoint", ""),
                    "secret": (raw.get("secret") or "").strip() or None,
                },
                SourceIn,
            )
            user = current_user(request)
            created = await create_source(
                svc.db, data, base_url=svc.settings.base_url, actor_label=user.email
            )
        except msgspec.ValidationError as exc:
            return await self._form(request, raw, form_errors(exc), status=422)
        except SourceRejected as rejected:
            return await self._form(request, raw, str(rejected), status=422)
        return await self._page(request, created.id, created=created, status=201)

    async def _page(
        self,
        request: Request[Any, Any, Any],
        source_id: str,
        *,
        created: CreatedSource | None = None,
        mapping_values: dict[str, str] | None = None,
        error: str = "",
        status: int = 200,
    ) -> Response[str]:
        svc = services(request)
        source = await store.get_source(svc.db, source_id, svc.settings.base_url)
        if source is None:
            raise NotFoundException(detail="No such source.")
        return await render(
            request,
            "sources/source.html",
            {
                "source": source,
                "secret": created.secret if created else "",
                "mapping_fields": MAPPING_FIELDS,
                "mapping": mapping_values or source.mapping.fields(),
                "defaults": DEFAULTS[source.type].mapping.fields(),
                "payloads": await store.recent_payloads(svc.db, source_id),
                "error": error,
                "keep_days": svc.settings.inbound_payload_days,
            },
            status_code=status,
        )

    @get("/{source_id:str}")
    async def show(
        self, request: Request[Any, Any, Any], source_id: FromPath[str]
    ) -> Response[str]:
        return await self._page(request, source_id)

    @post("/{source_id:str}/mapping", status_code=303)
    async def save_mapping(
        self, request: Request[Any, Any, Any], source_id: FromPath[str]
    ) -> Response[Any]:
        raw = await read_form(request)
        values = {field: str(raw.get(field, "")).strip() for field in MAPPING_FIELDS}
        try:
            mapping = msgspec.convert(values, Mapping)
            check_mapping(mapping)
        except msgspec.ValidationError as exc:
            return await self._page(
                request, source_id, mapping_values=values, error=form_errors(exc), status=422
            )
        except MappingError as error:
            return await self._page(
                request, source_id, mapping_values=values, error=str(error), status=422
            )
        if not await store.update_mapping(
            services(request).db, source_id, mapping, actor_label=current_user(request).email
        ):
            raise NotFoundException(detail="No such source.")
        return Redirect(f"/sources/{source_id}", status_code=303)

    @post("/{source_id:str}/test", status_code=200)
    async def test_mapping(
        self, request: Request[Any, Any, Any], source_id: FromPath[str]
    ) -> Response[str]:
        """The "test the mapping" box: a dry run on a pasted payload, storing nothing."""
        svc = services(request)
        source = await store.get_source(svc.db, source_id, svc.settings.base_url)
        if source is None:
            raise NotFoundException(detail="No such source.")
        sample = str((await read_form(request)).get("sample", ""))
        outcome, error = None, ""
        if len(sample) > MAX_SAMPLE_CHARS:
            error = f"sample: longer than {MAX_SAMPLE_CHARS} characters"
        else:
            try:
                payload = intake.decode_payload(sample.encode())
            except intake.PayloadRejected as rejected:
                error = str(rejected).replace("body:", "sample:", 1)
            else:
                outcome = await intake.dry_run(svc, source, payload)
        return await render(
            request, "sources/_test_result.html", {"outcome": outcome, "error": error}
        )

    @post("/{source_id:str}/payloads/{entry_id:str}/replay", status_code=303)
    async def replay(
        self, request: Request[Any, Any, Any], source_id: FromPath[str], entry_id: FromPath[str]
    ) -> Response[Any]:
        svc = services(request)
        source = await store.get_source(svc.db, source_id, svc.settings.base_url)
        entry = await store.get_payload(svc.db, source_id, entry_id) if source else None
        if source is None or entry is None:
            raise NotFoundException(detail="No such payload.")
        await intake.replay(svc, source, entry.payload)
        return Redirect(f"/sources/{source_id}#payloads", status_code=303)
