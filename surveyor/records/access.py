"""Who may see which response and contact: the one guard of each resource, used by the
feed and contact pages, their htmx fragments, the response page and the API alike.

Admins and designers see every response and contact; a manager sees the ones of their
own cases and of the accounts they manage (contact attribute ``account_manager`` equal
to their user id or email). An API key acts for the whole team (like an admin), its
scopes checked by the route guard. A record a viewer may not see is answered exactly
like a missing one (404), so ids cannot be probed. See docs/permissions.md.
"""

from __future__ import annotations

from typing import Any

from litestar.exceptions import NotFoundException

from surveyor.auth.guards import staff
from surveyor.auth.models import User
from surveyor.contacts.models import Contact
from surveyor.contacts.store import get_contact
from surveyor.db import Database
from surveyor.records import store
from surveyor.records.store import EVERYONE, Viewer
from surveyor.respond.models import Response

# Route guards by resource (docs/permissions.md): reading records is for any staff
# member (what they see is narrowed by ``viewer_for``); erasing is for admins; exports
# of many responses are for admins and designers.
records_reader = staff()
records_eraser = staff("admin")
responses_exporter = staff("designer")


def viewer_for(user: User | None) -> Viewer:
    """Whose records ``user`` sees (``None``: an API key, which acts for the whole team)."""
    if user is None or user.role in ("admin", "designer"):
        return EVERYONE
    return Viewer(all=False, user_id=user.id, email=user.email)


async def require_response(db: Database, viewer: Viewer, response_id: str) -> Response:
    response = await store.get_response(db, response_id) if len(response_id) <= 100 else None
    if response is None or not await store.viewer_sees_response(db, viewer, response_id):
        raise NotFoundException(detail=f"id: no response {response_id!r}")
    return response


async def require_contact(db: Database, viewer: Viewer, contact_id: str) -> Contact:
    contact = await get_contact(db, contact_id) if len(contact_id) <= 100 else None
    if contact is None or not await store.viewer_sees_contact(db, viewer, contact_id):
        raise NotFoundException(detail=f"id: no contact {contact_id!r}")
    return contact


def request_user(request: Any) -> User | None:
    return request.state.get("user")
