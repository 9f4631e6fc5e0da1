"""The ``chat`` channel: every message goes to one chat room, through an Apprise URL.

Apprise knows about a hundred services (Slack, Mattermost, Teams, Matrix, ntfy…) and
plain ``json://`` / ``form://`` endpoints. Its ``notify`` blocks, so it runs in a thread.
The URL is the operator's (a setting, not something a user typed), so it is not checked
against private addresses; a channel that posts to URLs users type would use
``surveyor.net.client.GuardedClient`` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from typing import Any

import apprise

from surveyor import DeliveryError, Message
from surveyor_chat.settings import ChatSettings

with warnings.catch_warnings():
    # Apprise imports the deprecated imghdr module when it first sends; importing it once
    # here keeps that DeprecationWarning out of test suites that turn warnings into errors.
    warnings.simplefilter("ignore", DeprecationWarning)
    with contextlib.suppress(ImportError):  # Python 3.13 has no imghdr
        import imghdr  # noqa: F401

ROOM = "room"  # the "address" of every contact: there is one room


def _notify(url: str, title: str, body: str) -> None:
    service = apprise.Apprise.instantiate(url)
    if service is None:
        raise DeliveryError("SURVEYOR_CHAT_URL is not a URL Apprise can use", permanent=True)
    if not service.notify(title=title, body=body):
        raise DeliveryError("the chat service did not accept the message")  # retried


async def post(url: str, *, title: str, body: str) -> None:
    """Post one message to the room; raises :class:`surveyor.DeliveryError` on failure."""
    await asyncio.to_thread(_notify, url, title, body)


def invitation_text(message: Message) -> str:
    """Invitations and reminders carry no text of their own; say who and where."""
    if message.text:
        return message.text
    title = message.context.get("title") or message.context.get("brand") or "our survey"
    who = message.recipient_name or "a customer"
    verb = "Reminder for" if message.kind == "reminder" else "Survey for"
    return f"{verb} {who}: {title} {message.link}".strip()


class ChatChannel:
    """Follows ``surveyor.Channel``: ``name``, ``address_for``, ``async send``."""

    name = "chat"

    def __init__(self) -> None:
        self.url = ""

    def configure(self, services: Any) -> None:
        # Called once when the channel registry is built, after settings were validated.
        self.url = services.plugin_settings(ChatSettings).url

    def address_for(self, contact: Any) -> str | None:
        # Every contact is reachable once the room is configured. The address becomes
        # message.recipient (kept in the outbox by message.send jobs), so it is a name,
        # not the URL, which may hold a token.
        return ROOM if self.url else None

    async def send(self, message: Message) -> None:
        if not self.url:
            raise DeliveryError("the chat channel is not configured: set SURVEYOR_CHAT_URL")
        await post(self.url, title=message.subject or "Surveyor", body=invitation_text(message))
