"""Domain events: what happened in the core loop, as typed, frozen values.

Each event is built ONCE by the code that made the change (the respondent pages build
``ResponseCompleted`` in the unit that completes the response; the follow-up domain
builds ``FollowupOpened`` in the unit that opens the case) and handed on whole:

* inside that unit, to the in-transaction listeners in ``services.tx_listeners``
  (open a case, queue a webhook): their writes commit with the change or not at all;
* after the commit, to plugins, through a durable outbox job ``hook.<name>``
  (``surveyor.hookjobs``) that the worker decodes back into the same event.

The models they carry are the public, read-only models of ``surveyor``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from surveyor.contacts.models import Contact
from surveyor.db import Tx
from surveyor.followups.models import Followup
from surveyor.invitations.models import Invitation
from surveyor.respond.models import Response
from surveyor.surveys.models import Question, SurveyVersion


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    """One answer with the question it answers (as worded in the version answered)."""

    question: Question
    value: Any


class ResponseCompleted(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A respondent finished a survey (exactly once per response).

    ``answers`` are in question order; ``invitation`` is set for a personal link,
    ``public_slug`` for a public link; ``checkpoint_key`` names the checkpoint whose
    event caused the invitation (None for public links).
    """

    response: Response
    answers: list[Answer]
    version: SurveyVersion
    contact: Contact | None = None
    invitation: Invitation | None = None
    public_slug: str | None = None
    checkpoint_key: str | None = None

    def values(self) -> dict[str, Any]:
        """The answers as ``{question_id: value}``."""
        return {answer.question.id: answer.value for answer in self.answers}


class InvitationSent(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A channel accepted an invitation (or its reminder); ``reminder`` says which."""

    invitation: Invitation
    reminder: bool = False


class InvitationFailed(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """An invitation could not be delivered for good; ``error`` is the last attempt's."""

    invitation: Invitation
    error: str


class FollowupOpened(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A response opened a follow-up case (owner and due date already chosen)."""

    followup: Followup
    contact: Contact | None = None


class FollowupChanged(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """An open case changed: status (not to resolved/closed), owner, or it was reopened.
    ``change`` is ``"status"``, ``"assign"`` or ``"reopen"``."""

    followup: Followup
    contact: Contact | None = None
    change: str


class FollowupClosed(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A case was resolved or closed (``followup.status`` says which)."""

    followup: Followup
    contact: Contact | None = None


class ContactErased(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A contact's personal data was erased (issue 12), inside the erasure's unit.

    Only ids travel: the data itself is gone. A room that keeps its own copy of answers or
    contact data (e.g. a text-analytics plugin) erases it in a ``contact_erased``
    in-transaction listener, so the erasure commits whole or not at all.
    """

    contact_id: str
    external_id: str
    response_ids: list[str]
    erased_at: str


DomainEvent = (
    ResponseCompleted
    | InvitationSent
    | InvitationFailed
    | FollowupOpened
    | FollowupChanged
    | FollowupClosed
)

# The hook that reports each event to plugins (``hookspecs``), by event type.
HOOK_FOR: dict[type[Any], str] = {
    ResponseCompleted: "response_completed",
    InvitationSent: "invitation_sent",
    InvitationFailed: "invitation_failed",
    FollowupOpened: "followup_opened",
    FollowupChanged: "followup_changed",
    FollowupClosed: "followup_closed",
}
EVENT_FOR: dict[str, type[Any]] = {name: kind for kind, name in HOOK_FOR.items()}


@dataclass
class TxListeners:
    """In-transaction reactions to domain events, added by domains at start-up.

    Each listener is awaited with ``(tx, event)`` inside the unit that made the change;
    if one raises, the whole unit (the change included) rolls back. Database work only:
    no network I/O, no waiting on anything outside the transaction.
    """

    response_completed: list[Callable[[Tx, ResponseCompleted], Awaitable[None]]] = field(
        default_factory=list
    )
    followup_opened: list[Callable[[Tx, FollowupOpened], Awaitable[None]]] = field(
        default_factory=list
    )
    followup_changed: list[Callable[[Tx, FollowupChanged], Awaitable[None]]] = field(
        default_factory=list
    )
    followup_closed: list[Callable[[Tx, FollowupClosed], Awaitable[None]]] = field(
        default_factory=list
    )
    contact_erased: list[Callable[[Tx, ContactErased], Awaitable[None]]] = field(
        default_factory=list
    )


__all__ = [
    "EVENT_FOR",
    "HOOK_FOR",
    "Answer",
    "Contact",
    "ContactErased",
    "DomainEvent",
    "Followup",
    "FollowupChanged",
    "FollowupClosed",
    "FollowupOpened",
    "Invitation",
    "InvitationFailed",
    "InvitationSent",
    "Response",
    "ResponseCompleted",
    "SurveyVersion",
    "TxListeners",
]
