"""Responses and public links as the respondent pages see them (an invitation is a
:class:`surveyor.invitations.models.Invitation`)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

ResponseStatus = Literal["partial", "complete"]
METRICS: tuple[str, ...] = ("nps", "ces", "csat", "emotion")


class Response(msgspec.Struct, frozen=True, kw_only=True):
    """One person's answers to one survey version; ``status`` turns complete exactly once."""

    id: str
    invitation_id: str | None = None
    public_slug: str | None = None
    survey_id: str
    survey_version_id: str
    contact_id: str | None = None
    checkpoint_key: str | None = None
    channel: str = ""
    locale: str = ""
    hidden: dict[str, Any] = {}
    status: ResponseStatus = "partial"
    current_step: str = ""
    started_at: str
    updated_at: str
    completed_at: str | None = None
    nps: int | None = None
    ces: int | None = None
    csat: int | None = None
    emotion: int | None = None


class PublicLink(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    survey_id: str
    hidden_fields: list[str] = []
    active: bool = True
    created_at: str
    # Share-link limits (issue 13): None means no end / no cap / not on the journey.
    expires_at: str | None = None
    max_responses: int | None = None
    checkpoint_key: str | None = None


class NewResponse(msgspec.Struct, frozen=True, kw_only=True):
    """What a response is created with, the first time an answer arrives.

    It is found again by ``invitation_id`` (personal links) or ``resume_hash`` (public).
    """

    invitation_id: str | None = None
    resume_hash: str | None = None
    public_slug: str | None = None
    survey_id: str
    survey_version_id: str
    contact_id: str | None = None
    checkpoint_key: str | None = None
    channel: str = ""
    locale: str = ""
    hidden: dict[str, Any] = {}


class ReadInUnit(msgspec.Struct, frozen=True, kw_only=True):
    """What the caller of ``save_answers_tx`` read earlier in the same unit of work: the
    response (None: not started), its answers and the invitation's status."""

    response: Response | None
    answers: dict[str, Any]
    invitation_status: str = ""


class SaveResult(msgspec.Struct, frozen=True, kw_only=True):
    """What one answer POST did: the response after it, and whether it completed now."""

    response: Response
    answers: dict[str, Any]
    completed_now: bool = False
    already_complete: bool = False
