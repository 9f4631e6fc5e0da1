"""The webhook channel: our own signed HTTP POST (Standard Webhooks).

The body is the message's ``payload`` as JSON, signed with its ``secret``
(``whsec_…``); ``webhook-id`` is the message id, the same on every retry. The URL must
resolve to public addresses only (unless ``SURVEYOR_ALLOW_PRIVATE_WEBHOOKS``), and the
connection goes to the address that was checked. Redirects are not followed, the
response is read up to a small cap, and the whole call has a timeout.

Outcomes: 2xx delivered; 410 Gone, a redirect, or another 4xx (but 408, 409, 425 and
429) fail for good; 408/409/425/429, 5xx, timeouts and network errors are retried.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import msgspec

from surveyor import DeliveryError, Message, __version__
from surveyor.net.client import GuardedClient
from surveyor.net.signing import SignatureError, signed_headers

TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
RETRYABLE_4XX = frozenset({408, 409, 425, 429})


MAX_RETRY_AFTER = 24 * 3600.0


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(delta, 0.0), MAX_RETRY_AFTER)


def outcome(status: int, snippet: str, retry_after: str | None = None) -> DeliveryError | None:
    """None when ``status`` means delivered, else the error to raise (pure, table-tested)."""
    if 200 <= status < 300:
        return None
    text = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    if 300 <= status < 400:
        return DeliveryError(f"{text} (redirects are not followed)", permanent=True, status=status)
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        return DeliveryError(text, permanent=True, status=status)
    return DeliveryError(text, retry_after=retry_after_seconds(retry_after), status=status)


class WebhookChannel:
    name = "webhook"

    def __init__(self) -> None:
        self.allow_private = False
        self._client: GuardedClient | None = None

    def configure(self, services: Any) -> None:
        self.allow_private = services.settings.allow_private_webhooks

    def address_for(self, contact: Any) -> str | None:
        attributes = (
            contact.get("attributes")
            if isinstance(contact, dict)
            else getattr(contact, "attributes", None)
        )
        url = (attributes or {}).get("webhook_url")
        return url if isinstance(url, str) and url else None

    def client(self) -> GuardedClient:
        if self._client is None or self._client.allow_private != self.allow_private:
            self._client = GuardedClient(
                allow_private=self.allow_private,
                timeout=TIMEOUT_SECONDS,
                max_response_bytes=MAX_RESPONSE_BYTES,
                user_agent=f"Surveyor-Webhooks/{__version__}",
            )
        return self._client

    async def send(self, message: Message) -> None:
        if not message.secret:
            raise DeliveryError("webhook: no signing secret", permanent=True)
        body = msgspec.json.encode(message.payload)
        try:
            headers = signed_headers(message.secret, message.id or "msg", body)
        except SignatureError as exc:
            raise DeliveryError(f"webhook: {exc}", permanent=True) from None
        try:
            answer = await self.client().post(
                message.recipient,
                content=body,
                headers={**headers, "Content-Type": "application/json"},
            )
        except DeliveryError as exc:
            if exc.permanent:  # refused by the guard: its message says why
                raise
            raise DeliveryError(f"webhook: {exc.message}") from None
        retry_after = next(
            (v for k, v in answer.headers.items() if k.lower() == "retry-after"), None
        )
        error = outcome(answer.status, answer.snippet(), retry_after)
        if error is not None:
            raise error

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
