"""One invitation, with the decision that made it and every delivery attempt:
``GET /api/v1/invitations/{id}`` and the staff page ``/invitations/{id}``."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from surveyor.auth.guards import api_scope, staff
from surveyor.invitations import store
from surveyor.invitations.models import InvitationDetail, InvitationNotFound
from surveyor.services import services
from surveyor.web.templating import render


async def _detail(request: Request[Any, Any, Any], invitation_id: str) -> InvitationDetail:
    try:
        return await store.load_detail(services(request).db, invitation_id)
    except InvitationNotFound as missing:
        raise NotFoundException(detail=str(missing)) from None


@get("/api/v1/invitations/{invitation_id:str}", guards=[api_scope("read")], tags=["invitations"])
async def get_invitation(
    request: Request[Any, Any, Any], invitation_id: FromPath[str]
) -> InvitationDetail:
    """An invitation's status, the decision behind it and every delivery attempt."""
    return await _detail(request, invitation_id)


@get("/invitations/{invitation_id:str}", guards=[staff()], include_in_schema=False)
async def invitation_page(
    request: Request[Any, Any, Any], invitation_id: FromPath[str]
) -> Response[str]:
    invitation = await _detail(request, invitation_id)
    return await render(request, "journey/invitation.html", {"invitation": invitation})
