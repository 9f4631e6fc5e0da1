"""The email channel: one multipart message (plain text + HTML) per invitation.

Bodies come from templates the operator may override (``SURVEYOR_TEMPLATES_DIR``
searched first): ``email/<kind>.html``, ``email/<kind>.txt`` and
``email/<kind>_subject.txt``, falling back to the ``notification`` templates. They are
rendered in Jinja's sandbox, HTML autoescaped, so a contact named
``<script>`` stays text.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from surveyor import DeliveryError, Message
from surveyor.i18n import best_locale, translations
from surveyor_email import mime
from surveyor_email.smtp import SmtpPool, parse_email_url

ADDRESS = re.compile(
    r"^[^@\s<>\"(),;:\x00-\x1f\x7f]+@[^@\s<>\"(),;:\x00-\x1f\x7f]+\.[^@\s<>\"(),;:\x00-\x1f\x7f]+$"
)
HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 field name: printable, no colon
# Headers the channel sets itself; a message may not replace them.
RESERVED = frozenset(
    {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "bcc",
        "cc",
        "sender",
        "reply-to",
    }
)
THREADS = 8
log = logging.getLogger("surveyor.email")


def make_environment(
    loader: jinja2.BaseLoader, *, auto_reload: bool = False
) -> ImmutableSandboxedEnvironment:
    # Compiled templates are kept; like the pages' templates they are only re-read from
    # disk in debug mode (a stat per template per email was a tenth of the worker's CPU).
    return ImmutableSandboxedEnvironment(
        loader=loader,
        auto_reload=auto_reload,
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def score_link(link: str, score: int) -> str:
    return f"{link}{'&' if '?' in link else '?'}score={score}"


# Characters with a meaning in an address header. The standard library's folding of a
# long quoted display name can drop its quotes when it wraps (a name with a comma and
# "<x@y>" in it then reads as two recipients), so names lose these and stay short enough
# to need no quoting at all; the address itself is always exact.
_NAME_SPECIALS = re.compile(r'[\x00-\x1f"\\<>,;:()@\[\]\x7f]+')
MAX_DISPLAY_NAME = 64


def display_name(name: str) -> str:
    """A contact's name as an address header's display name: no specials, one line."""
    return " ".join(_NAME_SPECIALS.sub(" ", name).split())[:MAX_DISPLAY_NAME].strip()


# The look of a message whose context names no brand (the core always adds one).
DEFAULT_LOOK = {
    "name": "",
    "logo_src": "",
    "primary": "#0b5cad",
    "on_primary": "#ffffff",
    "link": "#0b5cad",
    "font_stack": "",
}


@functools.lru_cache(maxsize=64)
def message_gettext(locale: str, *, html: bool) -> Any:
    """``_("Hello %(name)s", name=x)`` in the message's language. In HTML templates the
    catalog text is trusted and the variables escaped; in text templates both are plain."""
    catalog = translations(best_locale([locale]) if locale else "en")

    def gettext(text: str, **variables: Any) -> Any:
        # Message strings carry the context "message" in the catalogs, so they never
        # collide with a page's string of the same words.
        translated = catalog.pgettext("message", text)
        if html:
            translated = Markup(translated)  # noqa: S704 - our own catalog
        return translated % variables if variables else translated

    return gettext


class EmailChannel:
    name = "email"

    def __init__(self) -> None:
        self.pool: SmtpPool | None = None
        self.problem = "email is not configured: set SURVEYOR_EMAIL_URL"
        self.env = make_environment(jinja2.PackageLoader("surveyor_email", "templates"))
        self._threads: ThreadPoolExecutor | None = None
        self.brand = ""  # the brand's name comes in each message's context

    def configure(self, services: Any) -> None:
        settings = services.settings
        # The app's loader: the operator's folder, then plugin folders (ours among them).
        self.env = make_environment(
            services.templates.loader, auto_reload=bool(getattr(settings, "debug", False))
        )
        if settings.email_url:
            try:
                self.pool = SmtpPool(parse_email_url(settings.email_url, settings.email_from))
            except ValueError as exc:
                self.problem = str(exc)
                log.warning("email channel: %s", exc)

    @property
    def configured(self) -> bool:
        """Without a working SURVEYOR_EMAIL_URL its messages go to the mailbox, or wait."""
        return self.pool is not None

    def address_for(self, contact: Any) -> str | None:
        email = (
            contact.get("email") if isinstance(contact, dict) else getattr(contact, "email", None)
        )
        return email or None

    # -- rendering ----------------------------------------------------------------

    def _render(self, names: list[str], context: dict[str, Any], locale: str = "") -> str:
        gettext = message_gettext(locale, html=names[0].endswith(".html"))
        try:
            return self.env.select_template(names).render({**context, "_": gettext})
        except jinja2.TemplateError as exc:
            raise DeliveryError(f"email template {names[0]}: {exc}", permanent=True) from None

    def render(self, message: Message) -> tuple[str, str, str]:
        """Subject, plain text and HTML of ``message``, in the message's locale."""
        kind = message.kind if re.fullmatch(r"[a-z0-9_]+", message.kind) else "notification"
        context = {
            "brand": self.brand,
            "brand_look": DEFAULT_LOOK,
            **message.context,
            "message": message,
            "recipient_name": message.recipient_name,
            "link": message.link,
            "unsubscribe_url": message.unsubscribe_url,
            "score_link": score_link,
        }
        locale = message.locale
        subject = message.subject or self._render(
            [f"email/{kind}_subject.txt", "email/notification_subject.txt"], context, locale
        )
        text = message.text or self._render(
            [f"email/{kind}.txt", "email/notification.txt"], context, locale
        )
        html = message.html or self._render(
            [f"email/{kind}.html", "email/notification.html"], {**context, "text": text}, locale
        )
        return " ".join(subject.split()), text, html

    def build(self, message: Message) -> bytes:
        """The message's bytes as they go on the wire (see :mod:`surveyor_email.mime`)."""
        if self.pool is None:
            raise DeliveryError(self.problem)
        recipient = message.recipient.strip()
        if not ADDRESS.match(recipient):
            raise DeliveryError(f"not an email address: {recipient!r}", permanent=True)
        subject, text, html = self.render(message)
        config = self.pool.config
        # display_name() drops CR/LF and specials: a contact's name cannot add a header.
        try:
            fields = {
                "from": mime.address_header("From", config.from_name, config.from_addr),
                "to": mime.address_header("To", display_name(message.recipient_name), recipient),
                "subject": mime.header("Subject", subject),
            }
        except ValueError as exc:
            raise DeliveryError(f"bad address or subject: {exc}", permanent=True) from None
        if message.reply_to:
            reply_to = message.reply_to.strip()
            if not ADDRESS.match(reply_to):
                raise DeliveryError(f"not a Reply-To address: {reply_to!r}", permanent=True)
            fields["reply-to"] = mime.address_header("Reply-To", "", reply_to)
        fields["date"] = mime.date_header()
        if message.id:
            # The same Message-ID on every retry, so a receiving server can drop a repeat.
            domain = config.from_addr.rpartition("@")[2]
            fields["message-id"] = f"Message-ID: <{message.id}@{domain}>\r\n"
        if message.unsubscribe_url:
            fields["list-unsubscribe"] = mime.header(
                "List-Unsubscribe", f"<{message.unsubscribe_url}>"
            )
            # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the URL.
            fields["list-unsubscribe-post"] = (
                "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            )
        for name, value in message.headers.items():
            if not HEADER_NAME.match(name) or name.lower() in RESERVED:
                raise DeliveryError(f"header {name!r} is not allowed", permanent=True)
            if "\r" in value or "\n" in value:
                raise DeliveryError(f"header {name}: line breaks are not allowed", permanent=True)
            # One of each: a header the channel already set (List-Unsubscribe) is replaced.
            fields.pop(name.lower(), None)
            fields[name.lower()] = mime.header(name, value)
        return mime.compose(list(fields.values()), text, html)

    # -- sending ----------------------------------------------------------------

    async def send(self, message: Message) -> None:
        data = self.build(message)
        assert self.pool is not None
        if self._threads is None:
            # Our own threads: a slow SMTP server must not starve the default executor.
            self._threads = ThreadPoolExecutor(THREADS, thread_name_prefix="smtp")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._threads, self.pool.send, data, message.recipient.strip())

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        if self._threads is not None:
            self._threads.shutdown(wait=False)
            self._threads = None
