"""Surveyor: self-hosted customer feedback that closes the loop.

This module is the public plugin API. Plugin authors import from here and
nowhere else: ``hookimpl`` to mark hook implementations, ``Channel`` and
``DeliveryError`` for channel plugins, and the event types passed to hooks.
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

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """What a channel is asked to deliver: one invitation (or notification) to one person."""

    kind: str
    recipient: str
    subject: str = ""
    text: str = ""
    html: str = ""
    headers: dict[str, str] = {}
    payload: dict[str, Any] = {}


@runtime_checkable
class Channel(Protocol):
    """A way to reach a person. ``send`` returns nothing on success and raises
    :class:`DeliveryError` on failure; it never returns ``False``."""

    name: str

    def address_for(self, contact: Any) -> str | None:
        """The contact's address on this channel, or ``None`` when there is none."""

    async def send(self, message: Message) -> None:
        """Deliver the message or raise :class:`DeliveryError`."""


__all__ = ["Channel", "DeliveryError", "Message", "__version__", "hookimpl"]
