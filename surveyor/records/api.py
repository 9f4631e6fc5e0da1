"""The records API: ``/api/v1/responses`` (the feed, one response) and
``/api/v1/contacts`` (search, history, erasure, subject access export).

Reading needs the ``read`` scope; erasing a contact and exporting everything held about
one need ``admin``. An API key acts for the whole team (docs/permissions.md).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Response, Stream

from surveyor.auth.guards import api_scope, current_api_key
from surveyor.checkpoints.models import ExternalId
from surveyor.ids import utcnow
from surveyor.metrics.export import export_stream
from surveyor.metrics.filters import EPOCH, calendar_of
from surveyor.metrics.queries import Scope
from surveyor.records import access, erasure, history, store
from surveyor.records.filters import SEGMENT, clean_search, parse_filter
from surveyor.records.store import EVERYONE
from surveyor.services import services
from surveyor.surveys.kinds import question_kinds
from surveyor.web.errors import invalid

EXPORT_BATCH = 2000
Limit = Annotated[int, QueryParameter(name="limit", ge=1, le=200)]
Cursor = Annotated[str, QueryParameter(name="cursor", max_length=300)]


def check_cursor(cursor: str) -> None:
    if cursor and store.decode_cursor(cursor) is None:
        raise invalid("cursor", "not a cursor this API returned")


class ResponsesApi(Controller):
    path = "/api/v1/responses"
    tags = ["responses"]

    @get("/", guards=[api_scope("read")], cache=False)
    async def list_responses(
        self, request: Request[Any, Any, Any], cursor: Cursor = "", limit: Limit = 50
    ) -> history.ResponseList:
        """Responses, newest first. Filters: ``survey``, ``checkpoint``, ``from``/``to``
        (dates or UTC timestamps, on the start time), ``nps`` (promoter/passive/detractor),
        ``ces`` (easy/neutral/difficult), ``csat`` (satisfied/neutral/unsatisfied),
        ``emotion`` (positive/neutral/negative), ``segment`` (attribute:value),
        ``has_comment``, ``q`` (full-text search in comments), ``status``
        (complete/partial), ``channel``, ``locale``, ``contact_id``."""
        check_cursor(cursor)
        svc = services(request)
        f = parse_filter(
            dict(request.query_params),
            calendar=calendar_of(request),
            extensions=svc.response_extensions,
        )
        db = svc.db
        items, next_cursor = await store.list_responses(db, f, EVERYONE, cursor=cursor, limit=limit)
        return history.ResponseList(
            items=await history.response_outputs(db, items), next_cursor=next_cursor
        )

    @get("/export", guards=[api_scope("read")], cache=False)
    async def export_responses(self, request: Request[Any, Any, Any]) -> Stream:
        """The responses the feed would list, as ``format=csv`` (default) or ``json``,
        streamed: the same filters as ``GET /api/v1/responses`` (no cursor or limit)."""
        params = dict(request.query_params)
        fmt = params.pop("format", None) or "csv"
        if fmt not in ("csv", "json"):
            raise invalid("format", "expected 'csv' or 'json'")
        for name in ("cursor", "limit"):
            if name in params:
                raise invalid(name, "unknown parameter (an export has every matching row)")
        svc = services(request)
        f = parse_filter(params, calendar=calendar_of(request), extensions=svc.response_extensions)
        scope = Scope(start=EPOCH, end=utcnow(), survey_id=f.survey or None)
        return export_stream(
            svc.db,
            scope,
            fmt,  # type: ignore[arg-type]
            question_kinds(svc),
            rows=lambda: store.export_rows(svc.db, f, EVERYONE, EXPORT_BATCH),
            extras=history.export_extras(svc.response_extensions, svc.db),
        )

    @get("/{response_id:str}", guards=[api_scope("read")], cache=False)
    async def get_response(
        self, request: Request[Any, Any, Any], response_id: FromPath[str]
    ) -> history.ResponseDetail:
        """One response with its labelled answers, the contact's external id, the
        invitation and the follow-up case, if any, and the plugins' ``extras`` (e.g.
        ``text``: sentiment, language and themes of its comment)."""
        svc = services(request)
        response = await access.require_response(svc.db, EVERYONE, response_id)
        detail = await history.response_detail(svc.db, response, question_kinds(svc))
        extras = await history.response_extras(svc.response_extensions, svc.db, [response.id])
        return msgspec.structs.replace(detail, extras=extras.get(response.id, {}))


class RecreateIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    external_id: ExternalId


class ContactsApi(Controller):
    path = "/api/v1/contacts"
    tags = ["contacts"]

    @get("/", guards=[api_scope("read")], cache=False)
    async def list_contacts(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[str, QueryParameter(name="q", max_length=500)] = "",
        attribute: Annotated[str, QueryParameter(name="attribute", max_length=300)] = "",
        cursor: Cursor = "",
        limit: Limit = 50,
    ) -> history.ContactList:
        """Contacts, newest first. ``q`` matches the start of the external id or email,
        or part of the name; ``attribute`` is ``name:value`` (an exact attribute)."""
        check_cursor(cursor)
        unknown = sorted(set(request.query_params) - {"q", "attribute", "cursor", "limit"})
        if unknown:
            raise invalid(unknown[0], "unknown parameter")
        pair = None
        if attribute:
            match = SEGMENT.match(attribute)
            if match is None:
                raise invalid("attribute", "expected name:value, e.g. tier:gold")
            pair = (match.group(1), match.group(2))
        text = clean_search(q)
        rows, next_cursor = await store.list_contacts(
            services(request).db, EVERYONE, q=text, attribute=pair, cursor=cursor, limit=limit
        )
        return history.ContactList(
            items=[history.contact_out(r) for r in rows], next_cursor=next_cursor
        )

    @get("/{contact_id:str}", guards=[api_scope("read")], cache=False)
    async def get_contact(
        self, request: Request[Any, Any, Any], contact_id: FromPath[str]
    ) -> history.ContactHistory:
        """The contact with its history: events with their decisions and suppression
        reasons, invitations with delivery status, responses, cases, and one timeline."""
        db = services(request).db
        contact = await access.require_contact(db, EVERYONE, contact_id)
        return await history.contact_history(db, contact)

    @get("/{contact_id:str}/export", guards=[api_scope("admin")], cache=False)
    async def export_contact(
        self, request: Request[Any, Any, Any], contact_id: FromPath[str]
    ) -> Response[dict[str, Any]]:
        """Everything held about one contact, as JSON (a subject access request)."""
        svc = services(request)
        contact = await access.require_contact(svc.db, EVERYONE, contact_id)
        data = await history.subject_export(svc.db, contact, question_kinds(svc))
        return Response(
            data,
            headers={
                "Content-Disposition": f'attachment; filename="contact-{contact.id}.json"',
                "Cache-Control": "no-store",
            },
        )

    @delete("/{contact_id:str}", guards=[api_scope("admin")], status_code=200)
    async def erase_contact(
        self, request: Request[Any, Any, Any], contact_id: FromPath[str]
    ) -> erasure.ErasureReport:
        """Erase the contact's personal data in place (scores stay, so metrics do not
        change); 404 for an unknown contact, 409 when already erased."""
        return await erase_or_error(
            request, contact_id, actor_label=f"api:{current_api_key(request).prefix}"
        )

    @post("/recreate", guards=[api_scope("admin")], status_code=201)
    async def recreate_contact(
        self, request: Request[Any, Any, Any], data: JSONBody[RecreateIn]
    ) -> erasure.Recreation:
        """Explicitly re-create an erased contact's external id: the erased contact stays
        erased and anonymised, a new empty contact takes the id, and the next event for
        it is decided normally. 404 for an unknown external id, 409 when not erased."""
        return await recreate_or_error(
            request, data.external_id, actor_label=f"api:{current_api_key(request).prefix}"
        )


async def recreate_or_error(
    request: Request[Any, Any, Any], external_id: str, *, actor: Any = None, actor_label: str = ""
) -> erasure.Recreation:
    try:
        return await erasure.recreate_contact(
            services(request), external_id, actor=actor, actor_label=actor_label
        )
    except erasure.ContactNotFound:
        raise NotFoundException(detail=f"external_id: no contact {external_id!r}") from None
    except erasure.ContactNotErased as exc:
        raise ClientException(detail=str(exc), status_code=409) from None


async def erase_or_error(
    request: Request[Any, Any, Any], contact_id: str, *, actor: Any = None, actor_label: str = ""
) -> erasure.ErasureReport:
    try:
        return await erasure.erase_contact(
            services(request), contact_id, actor=actor, actor_label=actor_label
        )
    except erasure.ContactNotFound as exc:
        raise NotFoundException(detail=str(exc)) from None
    except erasure.ContactAlreadyErased as exc:
        raise ClientException(detail=str(exc), status_code=409) from None


ROUTES = [ResponsesApi, ContactsApi]
