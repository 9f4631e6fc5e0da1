"""The public links' pages: ``/p/{slug}`` (anonymous, rate-limited per address), with
the hidden fields a link allows, its expiry, response cap and checkpoint. They share
the answer flow of the personal pages in ``surveyor.respond.views``.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, post, route
from litestar.enums import HttpMethod
from litestar.params import FromPath

from surveyor.auth.guards import client_ip
from surveyor.ids import now_iso, token_hash
from surveyor.ops.ratelimit import counters_for
from surveyor.respond import flow, store
from surveyor.respond.links_store import link_response_counts
from surveyor.respond.models import NewResponse
from surveyor.respond.pages import (
    PRIVATE_HEADERS,
    Sheet,
    cached_version,
    choose_locale,
    kinds_of,
    render_notice,
    render_sheet,
)
from surveyor.respond.ratelimit import PUBLIC_STARTS, client_key
from surveyor.respond.views import (
    MAX_HIDDEN_VALUE,
    SLUG,
    TOKEN,
    Req,
    answer,
    refuse,
)
from surveyor.services import Services, services
from surveyor.surveys import store as surveys
from surveyor.web.forms import read_form


async def link_open(svc: Services, link: Any) -> bool:
    """May a new response start on this link (not past its expiry, not over its cap)?"""
    if link.expires_at and link.expires_at <= now_iso():
        return False
    if link.max_responses is not None:
        counts = await link_response_counts(svc.db, [link.slug])
        if counts.get(link.slug, 0) >= link.max_responses:
            return False
    return True


async def public_sheet(
    request: Req, slug: str, resume: str | None, given: dict[str, Any]
) -> Sheet | None:
    """The sheet of a public link; ``given`` holds the hidden-field values offered (the
    query string on GET, the ``h_*`` inputs on the first POST), kept only if whitelisted."""
    svc = services(request)
    if not SLUG.match(slug):
        return None
    link = await store.get_public_link(svc.db, slug)
    if link is None or not link.active:
        return None
    response = None
    if resume and TOKEN.match(resume):
        response = await store.response_for_resume_key(svc.db, resume)
        if response is not None and response.public_slug != slug:
            response = None
    if response is None and not await link_open(svc, link):
        return None  # expired or full: only responses already started may finish
    if response is not None:
        version = await cached_version(svc, response.survey_version_id)
    else:
        resume = None
        version = await surveys.get_published_version(svc.db, link.survey_id)
    if version is None:
        return None
    allowed = set(link.hidden_fields) | set(version.definition.settings.hidden_fields)
    hidden = {
        name: value[:MAX_HIDDEN_VALUE]
        for name, value in given.items()
        if name in allowed and isinstance(value, str)
    }
    locale = response.locale if response and response.locale else choose_locale(request, version)
    key = resume or store.new_resume_key()
    inputs = {"r": resume} if resume else {f"h_{name}": value for name, value in hidden.items()}
    return Sheet(
        action=f"/p/{slug}",
        version=version,
        response=response,
        answers=await store.get_answers(svc.db, response.id) if response else {},
        new=NewResponse(
            resume_hash=token_hash(key),
            public_slug=slug,
            survey_id=link.survey_id,
            survey_version_id=version.id,
            checkpoint_key=link.checkpoint_key,
            channel="public",
            locale=locale,
            hidden=hidden,
        ),
        locale=locale,
        properties=response.hidden if response else hidden,
        hidden_inputs=inputs,
        resume_key=key,
    )


@route(
    "/p/{slug:str}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    opt={"public": True},
    include_in_schema=False,
)
async def open_public(request: Req, slug: FromPath[str]) -> Response[Any]:
    """A public link's page; a ``?r=`` resume key continues an anonymous response."""
    query = {k: v for k, v in request.query_params.items() if k != "r"}
    query.pop("score", None)
    embed = query.pop("embed", "") == "1"
    sheet = await public_sheet(request, slug, request.query_params.get("r"), query)
    if sheet is None:
        page = await render_notice(request, "unavailable", status_code=404)
    else:
        preselected = {}
        if sheet.response is None:
            preselected = flow.preselect(
                sheet.definition, request.query_params.get("score"), kinds_of(request)
            )
        if embed:
            sheet.action = f"/p/{slug}?embed=1"
        page = await render_sheet(
            request,
            sheet,
            values={**sheet.answers, **preselected},
            preselected=bool(preselected),
            embed=embed,
        )
    if request.method == "HEAD":
        return Response(b"", status_code=page.status_code, headers=PRIVATE_HEADERS)
    return page


@post("/p/{slug:str}", opt={"public": True}, include_in_schema=False, status_code=200)
async def answer_public(request: Req, slug: FromPath[str]) -> Response[Any]:
    form = await read_form(request)
    resume = form.get("r") if isinstance(form.get("r"), str) else None
    given = {k[2:]: v for k, v in form.items() if k.startswith("h_")}
    sheet = await public_sheet(request, slug, resume, given)
    if sheet is None:
        return await render_notice(request, "unavailable", status_code=404)
    if sheet.response is None:
        # Only starting a response costs: continuing one is bounded by the survey itself.
        limit, window = PUBLIC_STARTS
        key = "p-start:" + client_key(client_ip(request))
        count, reset = await counters_for(services(request)).hit(key, int(window))
        if count > limit:
            return await refuse(request, reset)
    sheet.hidden_inputs = {"r": sheet.resume_key}
    if request.query_params.get("embed") == "1":
        sheet.action = f"/p/{slug}?embed=1"
    return await answer(request, sheet, form)


ROUTES = [open_public, answer_public]
