"""An invitation, and the detail the staff page and ``GET /api/v1/invitations/{id}`` show."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

# The job names of an invitation's outbox jobs (first send and reminders share SEND).
SEND = "invitation.send"
EXPIRE = "invitation.expire"

InvitationStatus = Literal["scheduled", "sent", "failed", "opened", "answered", "expired"]


class Invitation(msgspec.Struct, frozen=True, kw_only=True):
    """One personal survey link for one contact, and how far it got.

    The events API's answer lists the invitations it scheduled in this shape too (a dry
    run's have an empty ``id``: nothing was stored).
    """

    id: str
    event_id: str | None = None
    survey_id: str = ""
    survey_version_id: str = ""
    contact_id: str = ""
    checkpoint_key: str | None = None
    channel: str = ""
    status: InvitationStatus = "scheduled"
    send_at: str
    expires_at: str | None = None
    locale: str = ""
    properties: dict[str, Any] = {}
    reminder_count: int = 0
    created_at: str = ""
    updated_at: str = ""


class AttemptOut(msgspec.Struct, frozen=True, kw_only=True):
    attempt: int
    outcome: str
    error: str
    started_at: str
    finished_at: str
    duration_ms: int


class DeliveryOut(msgspec.Struct, frozen=True, kw_only=True):
    """One outbox job about the invitation (its send, a reminder, its expiry)."""

    job_id: str
    kind: str
    status: str
    run_at: str
    attempts: list[AttemptOut]
    last_error: str
    reminder: bool


class InvitationDetail(msgspec.Struct, frozen=True, kw_only=True):
    """An invitation with the decision that made it and every delivery attempt.

    ``contact_id`` is the contact's external id (the one the events API was given).
    """

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


class InvitationNotFound(LookupError):
    """No invitation has this id (the HTTP edge answers 404)."""

    def __init__(self, invitation_id: str) -> None:
        super().__init__(f"invitation: no invitation {invitation_id!r}")
        self.invitation_id = invitation_id
