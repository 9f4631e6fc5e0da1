"""``/u/{token}``: stop all future invitations to a contact, with one click and an undo.

GET only shows the question (a mail scanner prefetching the link unsubscribes no one);
the POST records the decision on the contact, where the contact policy reads it. A
form field ``List-Unsubscribe=One-Click`` (RFC 8058, sent by mail clients' own
unsubscribe buttons) counts as the confirmation. The token is an unsubscribe token or
the token of any invitation sent to the contact; the same guessing limit as ``/s/``
applies.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post, route
from litestar.enums import HttpMethod
from litestar.params import FromPath

from surveyor.auth.guards import client_ip
from surveyor.auth.store import audit
from surveyor.branding.resolve import brand_look
from surveyor.contacts import store as contacts
from surveyor.contacts.models import Contact
from surveyor.db import Tx
from surveyor.i18n import best_locale, parse_accept_language
from surveyor.invitations import store as invitations
from surveyor.respond.pages import PRIVATE_HEADERS, render_notice
from surveyor.respond.views import TOKEN, unavailable
from surveyor.services import services
from surveyor.web.forms import read_form
from surveyor.web.templating import render

Req = Request[Any, Any, Any]


def _locale(request: Req, contact: Contact) -> None:
    wanted = [contact.locale] if contact.locale else []
    wanted += parse_accept_language(request.headers.get("accept-language", ""))
    request.state.locale = best_locale(wanted or [services(request).settings.default_locale])


async def _contact(request: Req, token: str) -> Contact | None:
    if not TOKEN.match(token):
        return None
    db = services(request).db
    found = await contacts.contact_for_unsubscribe_token(db, token)
    return found or await invitations.contact_for_token(db, token)


async def _page(request: Req, token: str, contact: Contact, done: str = "") -> Response[str]:
    _locale(request, contact)
    return await render(
        request,
        "respond/unsubscribe.html",
        {
            "action": f"/u/{token}",
            "unsubscribed": contact.unsubscribed_at is not None,
            "done": done,
            "brand": await brand_look(services(request)),
        },
        fragment="respond/_unsubscribe.html",
        headers=PRIVATE_HEADERS,
    )


@route(
    "/u/{token:str}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    opt={"public": True},
    include_in_schema=False,
)
async def unsubscribe_page(request: Req, token: FromPath[str]) -> Response[Any]:
    contact = await _contact(request, token)
    page = (
        await unavailable(request, miss=True)
        if contact is None
        else await _page(request, token, contact)
    )
    if request.method == "HEAD":
        return Response(b"", status_code=page.status_code, headers=PRIVATE_HEADERS)
    return page


@post("/u/{token:str}", opt={"public": True}, include_in_schema=False, status_code=200)
async def unsubscribe(request: Req, token: FromPath[str]) -> Response[Any]:
    contact = await _contact(request, token)
    if contact is None:
        return await unavailable(request, miss=True)
    form = await read_form(request)
    one_click = form.get("List-Unsubscribe") == "One-Click"
    wanted = form.get("action", "unsubscribe")
    if wanted not in ("unsubscribe", "resubscribe") and not one_click:
        return await render_notice(request, "unavailable", status_code=400)
    stop = one_click or wanted == "unsubscribe"
    address = client_ip(request)

    async def unit(tx: Tx) -> str | None:
        at = await contacts.set_unsubscribed(tx, contact.id, stop)
        await audit(
            tx,
            "contact.unsubscribed" if stop else "contact.resubscribed",
            actor_label="respondent",
            target_type="contact",
            target_id=contact.id,
            ip=address,
        )
        return at

    at = await services(request).db.write(unit)
    changed = Contact(**{**_fields(contact), "unsubscribed_at": at})
    return await _page(request, token, changed, done="unsubscribed" if stop else "resubscribed")


def _fields(contact: Contact) -> dict[str, Any]:
    return {name: getattr(contact, name) for name in contact.__struct_fields__}


ROUTES = [unsubscribe_page, unsubscribe]
