"""Staff pages of the records room: the response feed (``/responses``, with htmx pages and
saved filters), one response with its context, the contacts list and a contact's
history, and the admin's erase button and subject access download.

Every page and fragment asks ``access`` first: a manager gets the same 404 for a record
of another account as for a missing one.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Stream

from surveyor.auth.guards import current_user
from surveyor.ids import utcnow
from surveyor.metrics.export import export_stream
from surveyor.metrics.filters import EPOCH, calendar_of
from surveyor.metrics.labels import nps_class
from surveyor.metrics.queries import Scope
from surveyor.records import access, history, store
from surveyor.records.api import erase_or_error
from surveyor.records.filters import BANDS, PARAMS, SEGMENT, clean_search, parse_filter, query_pairs
from surveyor.services import services
from surveyor.surveys.kinds import question_kinds
from surveyor.web.errors import invalid
from surveyor.web.forms import read_form
from surveyor.web.templating import render

Req = Request[Any, Any, Any]
PAGE = 25
MAX_SAVED = 50
EXPORT_BATCH = 2000


def _feed_params(request: Req) -> dict[str, str]:
    own = {name for ext in services(request).response_extensions for name in ext.params}
    return {k: v for k, v in request.query_params.items() if k in PARAMS or k in own}


@get("/responses", guards=[access.records_reader], include_in_schema=False, cache=False)
async def feed(
    request: Req, cursor: Annotated[str, QueryParameter(name="cursor", max_length=300)] = ""
) -> Response[str]:
    """Responses, newest first, with the feed's filters; htmx asks for the rows only."""
    user = current_user(request)
    f = parse_filter(
        _feed_params(request),
        strict=False,
        calendar=calendar_of(request),
        extensions=services(request).response_extensions,
    )
    if cursor and store.decode_cursor(cursor) is None:
        raise invalid("cursor", "not a cursor this page made")
    svc = services(request)
    viewer = access.viewer_for(user)
    items, next_cursor = await store.list_responses(svc.db, f, viewer, cursor=cursor, limit=PAGE)
    rows = await history.response_outputs(svc.db, items)
    return await render(
        request,
        "records/feed.html",
        {
            "rows": rows,
            "f": query_pairs(f),
            "query": f.query_string(),
            "next_cursor": next_cursor,
            "bands": BANDS,
            "saved": await store.saved_filters(svc.db, user.id),
            "nps_class": nps_class,
            "can_export": user.can("designer"),
        },
        fragment="records/_feed_rows.html",
    )


@get(
    "/responses/export",
    guards=[access.responses_exporter],
    include_in_schema=False,
    cache=False,
)
async def feed_export(
    request: Req, fmt: Annotated[str, QueryParameter(name="format")] = "csv"
) -> Stream:
    """The feed as it is filtered, as CSV or JSON (admins and designers), streamed."""
    if fmt not in ("csv", "json"):
        raise invalid("format", "expected 'csv' or 'json'")
    f = parse_filter(
        _feed_params(request),
        strict=False,
        calendar=calendar_of(request),
        extensions=services(request).response_extensions,
    )
    svc = services(request)
    viewer = access.viewer_for(current_user(request))
    scope = Scope(start=EPOCH, end=utcnow(), survey_id=f.survey or None)
    return export_stream(
        svc.db,
        scope,
        fmt,  # type: ignore[arg-type]
        question_kinds(svc),
        rows=lambda: store.export_rows(svc.db, f, viewer, EXPORT_BATCH),
    )


@post("/responses/filters", guards=[access.records_reader], include_in_schema=False)
async def save_filter(request: Req) -> Redirect:
    """Save the feed's current filter under a name, for this user only."""
    form = await read_form(request)
    name = str(form.get("name", "")).strip()
    if not name or len(name) > 80:
        raise invalid("name", "give the filter a name of 1 to 80 characters")
    query = str(form.get("query", ""))
    if len(query) > 2000:
        raise invalid("query", "too long")
    # Refuse what the feed would not take.
    f = parse_filter(
        dict(parse_qsl(query)), strict=True, extensions=services(request).response_extensions
    )
    user = current_user(request)
    db = services(request).db
    if len(await store.saved_filters(db, user.id)) >= MAX_SAVED:
        raise invalid("name", f"at most {MAX_SAVED} saved filters")
    await store.save_filter(db, user.id, name, f.query_string())
    return Redirect(path="/responses?" + f.query_string(), status_code=303)


@post(
    "/responses/filters/{filter_id:str}/delete",
    guards=[access.records_reader],
    include_in_schema=False,
)
async def delete_filter(request: Req, filter_id: FromPath[str]) -> Redirect:
    if not await store.delete_filter(services(request).db, current_user(request).id, filter_id):
        raise NotFoundException(detail=f"id: no saved filter {filter_id!r}")
    return Redirect(path="/responses", status_code=303)


@get(
    "/responses/{response_id:str}",
    guards=[access.records_reader],
    include_in_schema=False,
    cache=False,
)
async def response_page(request: Req, response_id: FromPath[str]) -> Response[str]:
    """One response with its context: contact, checkpoint, invitation, case and the
    contact's earlier responses."""
    svc = services(request)
    viewer = access.viewer_for(current_user(request))
    response = await access.require_response(svc.db, viewer, response_id)
    detail = await history.response_detail(svc.db, response, question_kinds(svc))
    contact = (
        await access.require_contact(svc.db, store.EVERYONE, response.contact_id)
        if response.contact_id
        else None
    )
    earlier = []
    if contact is not None:
        earlier = [
            r
            for r in await history.response_outputs(
                svc.db, await store.contact_responses(svc.db, contact.id)
            )
            if r.id != response.id and r.started_at <= response.started_at
        ]
    return await render(
        request,
        "records/response.html",
        {
            "r": detail,
            "contact": contact,
            "earlier": earlier,
            "nps_class": nps_class(response.nps),
        },
    )


@get("/contacts", guards=[access.records_reader], include_in_schema=False, cache=False)
async def contacts_page(
    request: Req,
    q: Annotated[str, QueryParameter(name="q", max_length=500)] = "",
    attribute: Annotated[str, QueryParameter(name="attribute", max_length=300)] = "",
    cursor: Annotated[str, QueryParameter(name="cursor", max_length=300)] = "",
) -> Response[str]:
    """Contacts this user may see, searchable by external id, email, name or attribute."""
    pair = None
    if attribute:
        match = SEGMENT.match(attribute)
        if match is None:
            raise invalid("attribute", "expected name:value, e.g. tier:gold")
        pair = (match.group(1), match.group(2))
    if cursor and store.decode_cursor(cursor) is None:
        raise invalid("cursor", "not a cursor this page made")
    viewer = access.viewer_for(current_user(request))
    rows, next_cursor = await store.list_contacts(
        services(request).db, viewer, q=clean_search(q), attribute=pair, cursor=cursor, limit=PAGE
    )
    return await render(
        request,
        "records/contacts.html",
        {"contacts": rows, "q": q, "attribute": attribute, "next_cursor": next_cursor},
        fragment="records/_contact_rows.html",
    )


@get("/contacts/{contact_id:str}", guards=[access.records_reader], include_in_schema=False)
async def contact_page(request: Req, contact_id: FromPath[str]) -> Response[str]:
    """The contact's timeline: why they were (not) surveyed, what came of it."""
    user = current_user(request)
    db = services(request).db
    contact = await access.require_contact(db, access.viewer_for(user), contact_id)
    return await render(
        request,
        "records/contact.html",
        {"c": await history.contact_history(db, contact), "can_erase": user.can("admin")},
    )


@get(
    "/contacts/{contact_id:str}/export",
    guards=[access.records_eraser],
    include_in_schema=False,
    cache=False,
)
async def contact_export(request: Req, contact_id: FromPath[str]) -> Response[dict[str, Any]]:
    """Everything held about the contact, as a JSON download (admins)."""
    svc = services(request)
    contact = await access.require_contact(svc.db, store.EVERYONE, contact_id)
    data = await history.subject_export(svc.db, contact, question_kinds(svc))
    return Response(
        data,
        headers={
            "Content-Disposition": f'attachment; filename="contact-{contact.id}.json"',
            "Cache-Control": "no-store",
        },
    )


@post("/contacts/{contact_id:str}/erase", guards=[access.records_eraser], include_in_schema=False)
async def erase_contact(request: Req, contact_id: FromPath[str]) -> Redirect:
    """The admin's erase button (the page asks for confirmation first)."""
    form = await read_form(request)
    if str(form.get("confirm", "")) != contact_id:
        raise invalid("confirm", "type the contact's id to confirm the erasure")
    await erase_or_error(request, contact_id, actor=current_user(request))
    return Redirect(path=f"/contacts/{contact_id}", status_code=303)


ROUTES = [
    feed,
    feed_export,
    save_filter,
    delete_filter,
    response_page,
    contacts_page,
    contact_page,
    contact_export,
    erase_contact,
]
