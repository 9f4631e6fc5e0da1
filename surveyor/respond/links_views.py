"""The staff page of a survey's share links: ``/surveys/{id}/links`` (designers).

List with URL, QR, embed and email snippets; create (slug, hidden fields, expiry, cap,
checkpoint), pause/resume and delete. The designer's publish result loads the list part
(``_links.html``) with htmx, so publishing shows the links.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from surveyor.auth import store as auth_store
from surveyor.auth.guards import client_ip, current_user, staff
from surveyor.ids import iso
from surveyor.respond import links_store
from surveyor.respond.links_api import HIDDEN, SLUG, link_out
from surveyor.services import services
from surveyor.surveys import store as surveys
from surveyor.web.forms import read_form
from surveyor.web.templating import render

Req = Request[Any, Any, Any]


def parse_link_form(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The create form's values, and errors written as sentences (by field)."""
    errors: dict[str, str] = {}
    slug = str(form.get("slug", "")).strip() or None
    if slug is not None and not SLUG.match(slug):
        errors["slug"] = "The short name may use only letters, digits, - and _ (at most 64)."
    hidden = [h.strip() for h in str(form.get("hidden_fields", "")).split(",") if h.strip()]
    if any(not HIDDEN.match(h) for h in hidden):
        errors["hidden_fields"] = (
            "Hidden fields are names such as plan or order_id, separated by commas."
        )
    expires_at = None
    raw_expiry = str(form.get("expires_at", "")).strip()
    if raw_expiry:
        try:
            expires_at = iso(datetime.fromisoformat(raw_expiry).replace(tzinfo=UTC))
        except ValueError:
            errors["expires_at"] = "The end date is not a date we can read; pick one."
    cap = None
    raw_cap = str(form.get("max_responses", "")).strip()
    if raw_cap:
        if not raw_cap.isdigit() or int(raw_cap) < 1:
            errors["max_responses"] = "The response limit must be a whole number of at least 1."
        else:
            cap = int(raw_cap)
    checkpoint = str(form.get("checkpoint", "")).strip() or None
    values = {
        "slug": slug,
        "hidden_fields": hidden,
        "expires_at": expires_at,
        "max_responses": cap,
        "checkpoint_key": checkpoint,
    }
    return values, errors


class LinkPages(Controller):
    path = "/surveys/{survey_id:str}/links"
    guards = [staff("designer")]
    include_in_schema = False

    async def _context(self, request: Req, survey_id: str) -> dict[str, Any]:
        svc = services(request)
        survey = await surveys.get_survey(svc.db, survey_id)
        if survey is None:
            raise NotFoundException(detail="No such survey.")
        found = await links_store.public_links_for_survey(svc.db, survey_id)
        return {
            "survey": survey,
            "links": [await link_out(svc, request, link) for link in found],
            "checkpoints": await links_store.checkpoint_keys(svc.db),
            "errors": {},
            "values": {},
            "saved": "",
        }

    @get("/")
    async def links_page(self, request: Req, survey_id: FromPath[str]) -> Response[str]:
        context = await self._context(request, survey_id)
        context["saved"] = request.query_params.get("saved", "")[:64]
        return await render(request, "respond/links.html", context, fragment="respond/_links.html")

    @post("/", status_code=200)
    async def create_link_page(self, request: Req, survey_id: FromPath[str]) -> Response[Any]:
        svc = services(request)
        context = await self._context(request, survey_id)
        form = await read_form(request)
        values, errors = parse_link_form(form)
        key = values["checkpoint_key"]
        if key and key not in context["checkpoints"]:
            errors["checkpoint"] = f"There is no checkpoint called {key}."
        if not errors:
            try:
                link = await links_store.create_public_link(svc.db, survey_id, **values)
            except links_store.SlugTaken:
                errors["slug"] = f"Another link is already called {values['slug']}; pick another."
            else:
                await auth_store.audit(
                    svc.db,
                    "public_link.created",
                    actor=current_user(request),
                    target_type="public_link",
                    target_id=link.slug,
                    ip=client_ip(request),
                )
                return Redirect(f"/surveys/{survey_id}/links?saved={link.slug}", status_code=303)
        context.update(errors=errors, values=form)
        return await render(request, "respond/links.html", context, status_code=422)

    @post("/{slug:str}/toggle", status_code=303)
    async def toggle_link(
        self, request: Req, survey_id: FromPath[str], slug: FromPath[str]
    ) -> Response[Any]:
        svc = services(request)
        link = await links_store.get_public_link(svc.db, slug) if SLUG.match(slug) else None
        if link is None or link.survey_id != survey_id:
            raise NotFoundException(detail="No such link.")
        await links_store.update_public_link(svc.db, slug, {"active": not link.active})
        return Redirect(f"/surveys/{survey_id}/links", status_code=303)

    @post("/{slug:str}/delete", status_code=303)
    async def delete_link_page(
        self, request: Req, survey_id: FromPath[str], slug: FromPath[str]
    ) -> Response[Any]:
        svc = services(request)
        link = await links_store.get_public_link(svc.db, slug) if SLUG.match(slug) else None
        if link is None or link.survey_id != survey_id:
            raise NotFoundException(detail="No such link.")
        await links_store.delete_public_link(svc.db, slug)
        await auth_store.audit(
            svc.db,
            "public_link.deleted",
            actor=current_user(request),
            target_type="public_link",
            target_id=slug,
            ip=client_ip(request),
        )
        return Redirect(f"/surveys/{survey_id}/links", status_code=303)


ROUTES = [LinkPages]
