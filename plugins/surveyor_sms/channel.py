"""The SMS channel: one short message through any Apprise SMS service.

``SURVEYOR_SMS_URL`` is an Apprise URL with ``{phone}`` where the recipient goes, e.g.
``twilio://SID:TOKEN@+15550001111/{phone}`` or ``vonage://KEY:SECRET@SENDER/{phone}``.
The text comes from ``sms/<kind>.txt``; when it is longer than one SMS (160 GSM-7
characters, or 70 when some character is outside GSM-7), ``sms/<kind>_short.txt`` is
tried; if that is too long too, the delivery fails for good and says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import warnings
from typing import Any
from urllib.parse import quote

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from surveyor import DeliveryError, Message
from surveyor.i18n import best_locale, translations
from surveyor_sms.gsm import fits_one_sms

with warnings.catch_warnings():
    # Apprise imports the deprecated imghdr module the first time it sends; importing it
    # here, once, keeps that DeprecationWarning out of every send (and out of tests that
    # turn warnings into errors). Python 3.13 has no imghdr; Apprise shims it then.
    warnings.simplefilter("ignore", DeprecationWarning)
    with contextlib.suppress(ImportError):
        import imghdr  # noqa: F401

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class _ThreadLog(logging.Handler):
    """Apprise logs why a notification failed instead of raising; keep this thread's lines."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(record.getMessage())


def notify(url: str, body: str) -> None:
    """Send through Apprise (blocking); raises DeliveryError with Apprise's own reason."""
    import apprise  # here: ~4.5 MB, only for a server that sends text messages

    logger = logging.getLogger("apprise")
    capture = _ThreadLog()
    logger.addHandler(capture)
    try:
        # The service object itself, not apprise.Apprise(): its notify() runs in this
        # thread, so the log lines captured are this message's own.
        service = apprise.Apprise.instantiate(url)
        if service is None:
            raise DeliveryError(
                "SURVEYOR_SMS_URL is not a URL Apprise can use (or the phone is refused)"
            )
        if not service.notify(body=body):
            reason = "; ".join(capture.lines[-3:]) or "the SMS service refused the message"
            raise DeliveryError(f"SMS not sent: {reason}")
    finally:
        logger.removeHandler(capture)


def message_gettext(locale: str) -> Any:
    """``_("…%(brand)s…", brand=x)`` in the message's language (plain text)."""
    catalog = translations(best_locale([locale]) if locale else "en")

    def gettext(text: str, **variables: Any) -> str:
        translated = catalog.pgettext("message", text)  # see surveyor_email.channel
        return translated % variables if variables else translated

    return gettext


class SmsChannel:
    name = "sms"

    def __init__(self) -> None:
        self.url_template = ""
        self.env = ImmutableSandboxedEnvironment(
            loader=jinja2.PackageLoader("surveyor_sms", "templates"), autoescape=False
        )
        self.brand = ""  # the brand's name comes in each message's context

    def configure(self, services: Any) -> None:
        self.url_template = services.settings.sms_url
        self.env = ImmutableSandboxedEnvironment(loader=services.templates.loader, autoescape=False)

    # Without SURVEYOR_SMS_URL its messages go to the mailbox, or wait in the outbox.
    problem = "SMS is not configured: set SURVEYOR_SMS_URL"

    @property
    def configured(self) -> bool:
        return bool(self.url_template)

    def address_for(self, contact: Any) -> str | None:
        phone = (
            contact.get("phone") if isinstance(contact, dict) else getattr(contact, "phone", None)
        )
        return phone or None

    def render(self, message: Message) -> str:
        """The first candidate text that fits one SMS."""
        if message.text:
            candidates = [message.text]
        else:
            kind = message.kind if re.fullmatch(r"[a-z0-9_]+", message.kind) else "invitation"
            context = {
                "brand": self.brand,
                **message.context,
                "link": message.link,
                "message": message,
                "_": message_gettext(message.locale),
            }
            candidates = []
            for names in (
                [f"sms/{kind}.txt", "sms/invitation.txt"],
                [f"sms/{kind}_short.txt", "sms/invitation_short.txt"],
            ):
                try:
                    text = self.env.select_template(names).render(context)
                except jinja2.TemplateError as exc:
                    raise DeliveryError(f"SMS template {names[0]}: {exc}", permanent=True) from None
                candidates.append(" ".join(text.split()))
        why = ""
        for text in candidates:
            ok, why = fits_one_sms(text)
            if ok:
                return text
        raise DeliveryError(
            f"SMS too long: {why}; shorten the sms/ templates, the brand or the link",
            permanent=True,
        )

    async def send(self, message: Message) -> None:
        if not self.url_template:
            raise DeliveryError("SMS is not configured: set SURVEYOR_SMS_URL")
        if "{phone}" not in self.url_template:
            raise DeliveryError("SURVEYOR_SMS_URL must contain {phone}")
        phone = message.recipient.strip()
        if not E164.match(phone):
            raise DeliveryError(f"not an E.164 phone number: {phone!r}", permanent=True)
        body = self.render(message)
        url = self.url_template.replace("{phone}", quote(phone, safe="+"))
        await asyncio.to_thread(notify, url, body)
