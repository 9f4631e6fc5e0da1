"""Built-in plugin: the mailbox, where email and SMS messages go when no delivery is
configured (``SURVEYOR_MAILBOX_MODE``: ``auto``, ``always`` or ``off``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from surveyor import hookimpl
from surveyor.services import services
from surveyor.web.templating import signed_in_user
from surveyor_mailbox.channel import CAUGHT, MailboxChannel, MailboxSettings

HERE = Path(__file__).resolve().parent


@hookimpl
def register_settings(register: Any) -> None:
    register("mailbox", MailboxSettings)


@hookimpl
def register_migrations(register: Any) -> None:
    register("mailbox", HERE / "migrations")


@hookimpl
def register_channels(register: Any) -> None:
    register(MailboxChannel())


@hookimpl
def register_template_dirs(register: Any) -> None:
    register(HERE / "templates")


@hookimpl
def register_routes(register: Any) -> None:
    from surveyor_mailbox.views import ROUTES

    for handler in ROUTES:
        register(handler)


@hookimpl
def menu_links(user: Any) -> list[dict[str, str]]:
    if getattr(user, "role", "") != "admin":
        return []
    return [{"href": "/mailbox", "label": "Mailbox"}]


def delivery_banner(registry: Any) -> str:
    """One sentence on where email and SMS go now, for the top of every staff page ("" when
    everything is delivered for real and nothing is copied)."""
    mailbox = registry.get("mailbox") if registry is not None else None
    if not isinstance(mailbox, MailboxChannel):
        return ""
    missing = [
        name
        for name in CAUGHT
        if (channel := registry.get(name)) is not None and not getattr(channel, "configured", True)
    ]
    names = " or ".join({"sms": "SMS"}.get(name, name) for name in missing)
    if mailbox.mode == "off":
        if not missing:
            return ""
        return (
            f"No {names} delivery is configured: such messages wait in the outbox until"
            " SURVEYOR_EMAIL_URL or SURVEYOR_SMS_URL is set."
        )
    if missing:
        return (
            f"No {names} delivery is configured, so those messages go to the built-in mailbox."
            " Set SURVEYOR_EMAIL_URL (and SURVEYOR_SMS_URL) to send them for real."
        )
    if mailbox.mode == "always":
        return "Messages are delivered and a copy of each is kept in the built-in mailbox."
    return ""


@hookimpl
def extra_template_vars(template: str, request: Any) -> dict[str, Any] | None:
    if signed_in_user(request) is None:  # base.html shows the banner to signed-in staff only
        return None
    svc = services(request)
    return {"delivery_banner": delivery_banner(svc.channels)}


__all__ = ["MailboxChannel", "MailboxSettings", "delivery_banner"]
