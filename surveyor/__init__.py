"""Surveyor: self-hosted customer feedback that closes the loop.

This module is the public plugin API. Plugin authors import from here and
nowhere else: ``hookimpl`` to mark hook implementations, ``Channel`` and
``DeliveryError`` for channel plugins, the domain events passed to hooks
(``ResponseCompleted``, ``InvitationSent``, ``InvitationFailed``, ``FollowupOpened``,
``FollowupChanged``, ``FollowupClosed``) and the read-only models they carry
(``Contact``, ``Response``, ``Answer``, ``Invitation``, ``Followup``, ``SurveyVersion``).
The events and models load on first use (``surveyor.events``), so importing
``surveyor`` stays light.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import msgspec
import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("surveyor")


class DeliveryError(Exception):
    """Raised by a channel when a message could not be delivered.

    ``permanent=True`` means retrying cannot help (a malformed address, a 5xx
    "no such user"): the delivery goes straight to the dead letters. Otherwise the
    worker retries with exponential back-off.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        # The receiver asked for this many seconds before the next try (``Retry-After``):
        # the worker waits at least that long (up to a day) instead of its own back-off.
        self.retry_after = retry_after
        # The HTTP status of a webhook receiver's answer, when there was one (410: gone).
        self.status = status


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """What a channel is asked to deliver: one invitation (or notification) to one person
    or endpoint. Each channel reads the fields it needs:

    * email: ``recipient`` (address), ``recipient_name``, ``subject``, ``text``, ``html``,
      ``headers``; when ``subject``/``text``/``html`` are empty they are rendered from the
      channel's templates for ``kind`` with ``context``, ``link`` and ``unsubscribe_url``.
    * SMS: ``recipient`` (E.164 phone) and ``text``, or the ``kind`` template.
    * webhook: ``recipient`` (the URL), ``secret`` (``whsec_…``) and ``payload`` (JSON body).

    ``id`` is stable across retries (the webhook-id, the email's Message-ID), so a
    receiver can recognise a message it has already seen.
    """

    kind: str = "notification"  # template family: invitation | reminder | notification | …
    id: str = ""
    recipient: str = ""
    recipient_name: str = ""
    subject: str = ""
    text: str = ""
    html: str = ""
    headers: dict[str, str] = {}
    reply_to: str = ""  # email: the Reply-To address (a reply to a customer from a case)
    link: str = ""  # the respondent's survey link, when there is one
    unsubscribe_url: str = ""
    locale: str = ""
    context: dict[str, Any] = {}  # template variables (brand, survey, first question…)
    secret: str = ""
    payload: dict[str, Any] = {}


@runtime_checkable
class Channel(Protocol):
    """A way to reach a person. ``send`` returns nothing on success and raises
    :class:`DeliveryError` on failure; it never returns ``False``."""

    name: str

    # Optional: ``configure(services)`` is called once when the channel registry is built
    # (read settings, templates); ``close()`` is awaited at shutdown.

    def address_for(self, contact: Any) -> str | None:
        """The contact's address on this channel, or ``None`` when there is none."""

    async def send(self, message: Message) -> None:
        """Deliver the message or raise :class:`DeliveryError`."""


# Names served lazily from ``surveyor.events`` (they import the domain models).
_EVENTS = frozenset(
    {
        "Answer",
        "Contact",
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
    }
)


def __getattr__(name: str) -> Any:
    if name in _EVENTS:
        from surveyor import events

        return getattr(events, name)
    raise AttributeError(f"module 'surveyor' has no attribute {name!r}")


__all__ = [
    "Answer",
    "Channel",
    "Contact",
    "DeliveryError",
    "Followup",
    "FollowupChanged",
    "FollowupClosed",
    "FollowupOpened",
    "Invitation",
    "InvitationFailed",
    "InvitationSent",
    "Message",
    "Response",
    "ResponseCompleted",
    "SurveyVersion",
    "__version__",
    "hookimpl",
]
