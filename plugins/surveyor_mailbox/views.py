"""The mailbox's page (``/mailbox``, admins) and API (``GET /api/v1/mailbox``, admin scope).

A message's HTML is shown in a sandboxed ``<iframe srcdoc>`` (no scripts, no same
origin: it cannot touch the staff page or its cookies; links open in a new tab), and its
text part is escaped with only its URLs turned into links.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from markupsafe import Markup, escape

from surveyor.auth.guards import api_scope, staff
from surveyor.services import services
from surveyor.web.templating import render
from surveyor_mailbox import store
from surveyor_mailbox.store import MailboxMessage

URL = re.compile(r"https?://[^\s<>\"']+")
# Every link of the shown HTML opens outside the sandboxed frame.
BASE_TARGET = '<base target="_blank">'


def linkify(text: str) -> Markup:
    """Escape ``text`` and turn each http(s) URL in it into a link."""
    out, last = [], 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        out.append(escape(text[last : match.start()]))
        out.append(Markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(url))
        last = match.start() + len(url)
    out.append(escape(text[last:]))
    return Markup("").join(out)


def framed(html: str) -> str:
    """The HTML part as the ``srcdoc`` of a sandboxed frame (Jinja escapes the attribute)."""
    return BASE_TARGET + html if html else ""


class MailboxList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[MailboxMessage]


class MailboxPages(Controller):
    path = "/mailbox"
    guards = [staff("admin")]
    include_in_schema = False

    @get("/")
    async def mailbox_page(
        self, request: Request[Any, Any, Any], recipient: Annotated[str, QueryParameter()] = ""
    ) -> Response[str]:
        db = services(request).db
        messages = await store.list_messages(db, recipient=recipient[:320], limit=100)
        context = {"messages": messages, "recipient": recipient, "linkify": linkify}
        return await render(request, "mailbox/list.html", context)

    @get("/{message_id:str}")
    async def mailbox_message(
        self, request: Request[Any, Any, Any], message_id: FromPath[str]
    ) -> Response[str]:
        message = await store.get_message(services(request).db, message_id[:64])
        if message is None:
            raise NotFoundException(detail="No such message.")
        context = {"message": message, "linkify": linkify, "srcdoc": framed(message.html)}
        return await render(request, "mailbox/message.html", context)


class MailboxApi(Controller):
    path = "/api/v1/mailbox"
    tags = ["mailbox"]

    @get("/", guards=[api_scope("admin")])
    async def list_mailbox(
        self,
        request: Request[Any, Any, Any],
        recipient: Annotated[str, QueryParameter(name="recipient", max_length=320)] = "",
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
    ) -> MailboxList:
        """Messages kept by the built-in mailbox, newest first, each with its recipient,
        subject, text and HTML parts (optionally for one ``recipient``)."""
        items = await store.list_messages(services(request).db, recipient=recipient, limit=limit)
        return MailboxList(items=items)


ROUTES = [MailboxPages, MailboxApi]
