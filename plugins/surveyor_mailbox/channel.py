"""The mailbox channel: messages kept in the database instead of (or beside) being sent.

With no ``SURVEYOR_EMAIL_URL`` (or ``SURVEYOR_SMS_URL``) the email and SMS channels are
not configured; rather than fail, their messages land here, rendered exactly as the
channel would have sent them, and a person reads them on ``/mailbox``. Modes
(``SURVEYOR_MAILBOX_MODE``):

* ``auto`` (default): catch messages of email/SMS channels that are not configured;
* ``always``: keep a copy of every email/SMS message, also when it is really sent (staging);
* ``off``: no mailbox; messages for an unconfigured channel wait in the outbox.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import msgspec

from surveyor import DeliveryError, Message

log = logging.getLogger("surveyor.mailbox")
CAUGHT = ("email", "sms")


class MailboxSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    mode: Literal["auto", "always", "off"] = "auto"


def _field(contact: Any, name: str) -> str | None:
    value = contact.get(name) if isinstance(contact, dict) else getattr(contact, name, None)
    return value or None


class MailboxChannel:
    name = "mailbox"

    def __init__(self) -> None:
        self.db: Any = None
        self.mode = "auto"

    def configure(self, services: Any) -> None:
        self.db = services.db
        try:
            self.mode = services.plugin_settings(MailboxSettings).mode
        except (KeyError, LookupError):  # settings not registered (plugin list restricted)
            self.mode = "auto"

    def address_for(self, contact: Any) -> str | None:
        return _field(contact, "email") or _field(contact, "phone")

    def captures(self, channel: Any) -> str | None:
        """``"instead"`` of the channel, ``"beside"`` it, or None (leave it alone)."""
        if self.mode == "off" or self.db is None or channel.name not in CAUGHT:
            return None
        if not getattr(channel, "configured", True):
            return "instead"
        return "beside" if self.mode == "always" else None

    async def capture(self, channel: Any, message: Message) -> None:
        """Keep ``message`` as ``channel`` would have sent it."""
        subject, text, html = message.subject, message.text, message.html
        render = getattr(channel, "render", None)
        if render is not None:
            rendered = render(message)
            if isinstance(rendered, tuple):
                subject, text, html = rendered
            else:
                text = str(rendered)
        await self.keep(channel.name, message, subject, text, html)

    async def send(self, message: Message) -> None:
        """A checkpoint may name ``mailbox`` itself: the message is kept as given."""
        await self.keep(
            self.name, message, message.subject, message.text or message.link, message.html
        )

    async def keep(
        self, channel: str, message: Message, subject: str, text: str, html: str
    ) -> None:
        from surveyor_mailbox.store import store_message

        if self.db is None:
            raise DeliveryError("the mailbox is not ready")
        await store_message(
            self.db,
            message_key=f"{channel}:{message.id}" if message.id else None,
            channel=channel,
            kind=message.kind,
            recipient=message.recipient,
            recipient_name=message.recipient_name,
            subject=subject,
            text=text,
            html=html,
            link=message.link,
        )
        log.info("mailbox: kept %s message for %s", channel, message.recipient)
