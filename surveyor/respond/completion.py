"""The moment a response completes: build ``ResponseCompleted`` once, hand it on.

The respondent pages (and the demo seeders) pass ``on_completion(...)`` to
``store.save_answers_tx``; it runs inside the completing unit, builds the event from
what the page already holds (version, contact, invitation) and the answers just
stored, and emits it: the in-transaction listeners (a follow-up case, a webhook) get
that same object, and plugins get it after the commit through the outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from surveyor.contacts.models import Contact
from surveyor.db import Tx
from surveyor.events import Answer, ResponseCompleted
from surveyor.hookjobs import emit
from surveyor.invitations.models import Invitation
from surveyor.respond.models import Response
from surveyor.surveys.models import SurveyVersion

if TYPE_CHECKING:
    from surveyor.services import Services

CompleteTx = Callable[[Tx, Response, dict[str, Any]], Awaitable[None]]
Listener = Callable[[Tx, ResponseCompleted], Awaitable[None]]


def completed_event(
    response: Response,
    answers: dict[str, Any],
    version: SurveyVersion,
    *,
    contact: Contact | None = None,
    invitation: Invitation | None = None,
) -> ResponseCompleted:
    """The event of a completed response: its answers with their questions, in order."""
    return ResponseCompleted(
        response=response,
        answers=[
            Answer(question=q, value=answers[q.id])
            for q in version.definition.questions
            if q.id in answers
        ],
        version=version,
        contact=contact,
        invitation=invitation,
        public_slug=response.public_slug,
        checkpoint_key=response.checkpoint_key,
    )


def on_completion(
    svc: Services,
    version: SurveyVersion,
    *,
    contact: Contact | None = None,
    invitation: Invitation | None = None,
    listeners: Sequence[Listener] | None = None,
) -> CompleteTx:
    """The ``on_complete`` callback of ``save_answers_tx``: emit ``ResponseCompleted``
    (``listeners`` replaces the app's listeners and plugin job, for tests and seeders)."""

    async def complete(tx: Tx, response: Response, answers: dict[str, Any]) -> None:
        event = completed_event(response, answers, version, contact=contact, invitation=invitation)
        if listeners is None:
            await emit(tx, svc, event)
            return
        for listener in listeners:
            await listener(tx, event)

    return complete
