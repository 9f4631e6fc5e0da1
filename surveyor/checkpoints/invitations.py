"""One invitation, with the decision that made it and every delivery attempt:
``GET /api/v1/invitations/{id}`` and the staff page ``/invitations/{id}``."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from surveyor.auth.guards import api_scope, staff
from surveyor.delivery.store import jobs_for_subject, list_attempts
from surveyor.services import Services, services
from surveyor.web.templating import render


class AttemptOut(msgspec.Struct, frozen=True, kw_only=True):
    attempt: int
    outcome: str
    error: str
    started_at: str
    finished_at: str
    duration_ms: int


class DeliveryOut(msgspec.Struct, frozen=True, kw_only=True):
    job_id: str
    kind: str
    status: str
    run_at: str
    attempts: list[AttemptOut]
    last_error: str
    reminder: bool


class InvitationOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: str
    channel: str
    checkpoint: str | None
    survey_id: str
    survey_version_id: str
    contact_id: str
    send_at: str
    expires_at: str | None
    reminder_count: int
    created_at: str
    event: dict[str, Any] | None
    deliveries: list[DeliveryOut]


async def load_invitation(svc: Services, invitation_id: str) -> InvitationOut:
    row = await svc.db.fetch_one(
        "SELECT i.id, i.status, i.channel, i.checkpoint_key, i.survey_id, i.survey_version_id, i.send_at,"
        " i.expires_at, i.reminder_count, i.created_at, i.event_id, c.external_id"
        " FROM invitations i JOIN contacts c ON c.id = i.contact_id WHERE i.id = ?",
        (invitation_id,),
    )
    if row is None:
        raise NotFoundException(detail=f"invitation: no invitation {invitation_id!r}")
    event = None
    if row["event_id"]:
        event = await svc.db.fetch_one(
            "SELECT id, decision, reason, created_at FROM events WHERE id = ?", (row["event_id"],)
        )
    deliveries = []
    for job in await jobs_for_subject(svc.db, "invitation", invitation_id):
        attempts = await list_attempts(svc.db, job.id)
        deliveries.append(
            DeliveryOut(
                job_id=job.id,
                kind=job.kind,
                status=job.status,
                run_at=job.run_at,
                last_error=job.last_error,
                reminder=bool(job.payload.get("reminder")),
                attempts=[
                    AttemptOut(
                        attempt=a.attempt,
                        outcome=a.outcome,
                        error=a.error,
                        started_at=a.started_at,
                        finished_at=a.finished_at,
                        duration_ms=a.duration_ms,
                    )
                    for a in attempts
                ],
            )
        )
    return InvitationOut(
        id=row["id"],
        status=row["status"],
        channel=row["channel"],
        checkpoint=row["checkpoint_key"],
        survey_id=row["survey_id"],
        survey_version_id=row["survey_version_id"],
        contact_id=row["external_id"],
        send_at=row["send_at"],
        expires_at=row["expires_at"],
        reminder_count=row["reminder_count"],
        created_at=row["created_at"],
        event=event,
        deliveries=deliveries,
    )


@get("/api/v1/invitations/{invitation_id:str}", guards=[api_scope("read")], tags=["invitations"])
async def get_invitation(
    request: Request[Any, Any, Any], invitation_id: FromPath[str]
) -> InvitationOut:
    """An invitation's status, the decision behind it and every delivery attempt."""
    return await load_invitation(services(request), invitation_id)


@get("/invitations/{invitation_id:str}", guards=[staff()], include_in_schema=False)
async def invitation_page(
    request: Request[Any, Any, Any], invitation_id: FromPath[str]
) -> Response[str]:
    invitation = await load_invitation(services(request), invitation_id)
    return await render(request, "journey/invitation.html", {"invitation": invitation})
