"""Built-in plugin: signed webhooks (Standard Webhooks), with SSRF protection."""

from __future__ import annotations

from typing import Any

from surveyor import hookimpl
from surveyor_webhook.channel import WebhookChannel


@hookimpl
def register_channels(register: Any) -> None:
    register(WebhookChannel())


__all__ = ["WebhookChannel"]
