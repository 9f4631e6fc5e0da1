"""Built-in plugin: invitations by SMS through any Apprise SMS service (``SURVEYOR_SMS_URL``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from surveyor import hookimpl
from surveyor_sms.channel import SmsChannel

TEMPLATES = Path(__file__).resolve().parent / "templates"


@hookimpl
def register_channels(register: Any) -> None:
    register(SmsChannel())


@hookimpl
def register_template_dirs(register: Any) -> None:
    register(TEMPLATES)


__all__ = ["SmsChannel"]
