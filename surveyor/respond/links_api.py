"""Share links in the API: ``/api/v1/surveys/{id}/links`` and ``/api/v1/links/{id}``;
and the public QR images ``/p/{slug}/qr.svg`` and ``/p/{slug}/qr.png``.

A link's id is its slug. Its JSON carries ``url``, ``qr_svg_url``, ``embed_html`` and an
``email_html`` snippet (see ``links.link_json``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, JSONBody

from surveyor.auth import store as auth_store
from surveyor.auth.guards import api_scope, current_api_key
from surveyor.ids import iso
from surveyor.respond import links, links_store
from surveyor.respond.pages import kinds_of
from surveyor.services import Services, services
from surveyor.surveys import store as surveys
from surveyor.web.errors import invalid

SLUG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
HIDDEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

Slug = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Hidden = Annotated[
    list[Annotated[str, msgspec.Meta(pattern=HIDDEN.pattern)]], msgspec.Meta(max_length=50)
]
Cap = Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class LinkIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    slug: Slug | None = None
    hidden_fields: Hidden = []
    expires_at: datetime | None = None
    max_responses: Cap | None = None
    checkpoint: Key | None = None


class LinkPatch(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    active: bool | msgspec.UnsetType = msgspec.UNSET
    hidden_fields: Hidden | msgspec.UnsetType = msgspec.UNSET
    expires_at: datetime | msgspec.UnsetType | None = msgspec.UNSET
    max_responses: Cap | msgspec.UnsetType | None = msgspec.UNSET
    checkpoint: Key | msgspec.UnsetType | None = msgspec.UNSET


def _when(value: datetime | None, field: str) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise invalid(field, "give a time zone, e.g. 2030-01-31T12:00:00Z")
    return iso(value.astimezone(UTC))


async def _check_checkpoint(svc: Services, key: str | None) -> None:
    if key is not None and not await links_store.checkpoint_exists(svc.db, key):
        raise invalid("checkpoint", f"no checkpoint {key!r}")


async def link_out(svc: Services, request: Any, link: Any) -> dict[str, Any]:
    counts = await links_store.link_response_counts(svc.db, [link.slug])
    version = await surveys.get_published_version(svc.db, link.survey_id)
    definition = version.definition if version is not None else None
    return links.link_json(
        svc.settings, link, counts.get(link.slug, 0), definition, kinds_of(request)
    )


async def _audit(request: Any, action: str, slug: str) -> None:
    key = current_api_key(request)
    await auth_store.audit(
        services(request).db,
        action,
        actor_label=f"api:{key.prefix}",
        target_type="public_link",
        target_id=slug,
    )


class SurveyLinksApi(Controller):
    path = "/api/v1/surveys/{survey_id:str}/links"
    tags = ["links"]

    @get("/", guards=[api_scope("read")])
    async def list_links(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str]
    ) -> dict[str, Any]:
        """The survey's share links, oldest first."""
        svc = services(request)
        if await surveys.get_survey(svc.db, survey_id) is None:
            raise NotFoundException(detail=f"survey_id: no survey {survey_id!r}")
        found = await links_store.public_links_for_survey(svc.db, survey_id)
        return {"items": [await link_out(svc, request, link) for link in found]}

    @post("/", guards=[api_scope("admin")], status_code=201)
    async def create_link(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str], data: JSONBody[LinkIn]
    ) -> dict[str, Any]:
        """A new share link (slug made up when not given; 409 when taken)."""
        svc = services(request)
        if await surveys.get_survey(svc.db, survey_id) is None:
            raise NotFoundException(detail=f"survey_id: no survey {survey_id!r}")
        await _check_checkpoint(svc, data.checkpoint)
        try:
            link = await links_store.create_public_link(
                svc.db,
                survey_id,
                slug=data.slug,
                hidden_fields=data.hidden_fields,
                expires_at=_when(data.expires_at, "expires_at"),
                max_responses=data.max_responses,
                checkpoint_key=data.checkpoint,
            )
        except links_store.SlugTaken:
            raise ClientException(
                detail=f"slug: a link {data.slug!r} exists already", status_code=409
            ) from None
        await _audit(request, "public_link.created", link.slug)
        return await link_out(svc, request, link)


class LinksApi(Controller):
    path = "/api/v1/links"
    tags = ["links"]

    @get("/{link_id:str}", guards=[api_scope("read")])
    async def get_link(
        self, request: Request[Any, Any, Any], link_id: FromPath[str]
    ) -> dict[str, Any]:
        svc = services(request)
        link = await links_store.get_public_link(svc.db, link_id) if SLUG.match(link_id) else None
        if link is None:
            raise NotFoundException(detail=f"id: no link {link_id!r}")
        return await link_out(svc, request, link)

    @patch("/{link_id:str}", guards=[api_scope("admin")])
    async def update_link(
        self, request: Request[Any, Any, Any], link_id: FromPath[str], data: JSONBody[LinkPatch]
    ) -> dict[str, Any]:
        """Pause (``active: false``), resume, or change a link's limits."""
        svc = services(request)
        if not SLUG.match(link_id) or await links_store.get_public_link(svc.db, link_id) is None:
            raise NotFoundException(detail=f"id: no link {link_id!r}")
        changes: dict[str, Any] = {}
        if data.active is not msgspec.UNSET:
            changes["active"] = data.active
        if data.hidden_fields is not msgspec.UNSET:
            changes["hidden_fields"] = data.hidden_fields
        if data.expires_at is not msgspec.UNSET:
            changes["expires_at"] = _when(data.expires_at, "expires_at")
        if data.max_responses is not msgspec.UNSET:
            changes["max_responses"] = data.max_responses
        if data.checkpoint is not msgspec.UNSET:
            await _check_checkpoint(svc, data.checkpoint)
            changes["checkpoint_key"] = data.checkpoint
        link = await links_store.update_public_link(svc.db, link_id, changes)
        if link is None:
            raise NotFoundException(detail=f"id: no link {link_id!r}")
        await _audit(request, "public_link.updated", link_id)
        return await link_out(svc, request, link)

    @delete("/{link_id:str}", guards=[api_scope("admin")], status_code=204)
    async def delete_link(self, request: Request[Any, Any, Any], link_id: FromPath[str]) -> None:
        """Delete a link; its responses stay."""
        svc = services(request)
        if not SLUG.match(link_id) or not await links_store.delete_public_link(svc.db, link_id):
            raise NotFoundException(detail=f"id: no link {link_id!r}")
        await _audit(request, "public_link.deleted", link_id)


class QrImages(Controller):
    path = "/p/{slug:str}"
    include_in_schema = False
    opt = {"public": True}

    async def _url(self, request: Request[Any, Any, Any], slug: str) -> str:
        svc = services(request)
        link = await links_store.get_public_link(svc.db, slug) if SLUG.match(slug) else None
        if link is None:
            raise NotFoundException(detail="No such link.")
        return links.link_url(svc.settings, slug)

    @get("/qr.svg")
    async def qr_svg(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[bytes]:
        url = await self._url(request, slug)
        return Response(links.qr_svg(url), media_type="image/svg+xml")

    @get("/qr.png")
    async def qr_png(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[bytes]:
        url = await self._url(request, slug)
        return Response(links.qr_png(url), media_type="image/png")


ROUTES = [SurveyLinksApi, LinksApi, QrImages]
