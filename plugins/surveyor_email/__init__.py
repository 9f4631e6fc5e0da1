"""Built-in plugin: invitations by email, through any SMTP server (``SURVEYOR_EMAIL_URL``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from surveyor import hookimpl
from surveyor_email.channel import EmailChannel

TEMPLATES = Path(__file__).resolve().parent / "templates"


@hookimpl
def register_channels(register: Any) -> None:
    register(EmailChannel())


@hookimpl
def register_template_dirs(register: Any) -> None:
    register(TEMPLATES)


__all__ = ["EmailChannel"]
