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

from typing import Any

import httpx
import msgspec

from surveyor import DeliveryError, Message, __version__
from surveyor.delivery.signing import SignatureError, signed_headers
from surveyor.delivery.ssrf import check_url

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_RESPONSE_BYTES = 64 * 1024
RETRYABLE_4XX = frozenset({408, 409, 425, 429})


def outcome(status: int, snippet: str) -> DeliveryError | None:
    """None when ``status`` means delivered, else the error to raise (pure, table-tested)."""
    if 200 <= status < 300:
        return None
    text = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    if 300 <= status < 400:
        return DeliveryError(f"{text} (redirects are not followed)", permanent=True)
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        return DeliveryError(text, permanent=True)
    return DeliveryError(text)


class WebhookChannel:
    name = "webhook"

    def __init__(self) -> None:
        self.allow_private = False
        self._client: httpx.AsyncClient | None = None

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

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            # trust_env=False: an HTTP(S)_PROXY variable must not route around the SSRF check.
            self._client = httpx.AsyncClient(
                timeout=TIMEOUT, follow_redirects=False, trust_env=False
            )
        return self._client

    async def send(self, message: Message) -> None:
        if not message.secret:
            raise DeliveryError("webhook: no signing secret", permanent=True)
        target = await check_url(message.recipient, allow_private=self.allow_private)
        body = msgspec.json.encode(message.payload)
        try:
            headers = signed_headers(message.secret, message.id or "msg", body)
        except SignatureError as exc:
            raise DeliveryError(f"webhook: {exc}", permanent=True) from None
        default_port = 443 if target.scheme == "https" else 80
        host = f"[{target.host}]" if ":" in target.host else target.host
        host_header = host if target.port == default_port else f"{host}:{target.port}"
        url = httpx.URL(target.url).copy_with(host=target.ip, port=target.port)
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = self.client().build_request(
            "POST",
            url,
            content=body,
            headers={
                **headers,
                "Host": host_header,
                "Content-Type": "application/json",
                "User-Agent": f"Surveyor-Webhooks/{__version__}",
            },
            extensions=extensions,
        )
        try:
            response = await self.client().send(request, stream=True)
            try:
                received = bytearray()
                async for chunk in response.aiter_raw():
                    received += chunk
                    if len(received) >= MAX_RESPONSE_BYTES:
                        break  # enough to show in the log; the rest is not our business
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            raise DeliveryError(f"webhook: no answer from {target.host} in time") from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}") from None
        snippet = " ".join(bytes(received[:200]).decode(errors="replace").split())
        error = outcome(response.status_code, snippet)
        if error is not None:
            raise error

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
