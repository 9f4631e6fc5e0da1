"""Signature presets: is this request really from Stripe, Shopify, Zendesk, …?

Pure code over (method, URL, headers, body, now): no I/O, no storage. Each preset
returns the provider's delivery id (for replay refusal) or raises
:class:`VerificationFailed`. Every comparison is constant-time (``hmac.compare_digest``);
a scheme with a timestamp refuses one further than ``tolerance`` seconds from now.

| preset   | header(s)                                              | signed content                       | encoding        |
|----------|--------------------------------------------------------|--------------------------------------|-----------------|
| stripe   | ``Stripe-Signature: t=…,v1=…``                         | ``{t}.{body}``                       | hex             |
| shopify  | ``X-Shopify-Hmac-Sha256``                              | ``body``                             | base64          |
| zendesk  | ``X-Zendesk-Webhook-Signature`` + ``…-Timestamp``      | ``{timestamp}{body}``                | base64          |
| hubspot  | ``X-HubSpot-Signature-v3`` + ``X-HubSpot-Request-Timestamp`` | ``{METHOD}{uri}{body}{timestamp}`` | base64     |
| github   | ``X-Hub-Signature-256: sha256=…``                      | ``body``                             | hex             |
| standard | ``webhook-id``/``-timestamp``/``-signature``           | ``{id}.{timestamp}.{body}``          | base64 (``v1,``) |
| hmac     | configurable                                           | ``body`` or ``{timestamp}.{body}``   | hex or base64   |

All of them are HMAC-SHA256 except the generic one, which may also use SHA-1 or SHA-512.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import unquote

import msgspec

from surveyor.net import signing

TOLERANCE_SECONDS = 5 * 60
PRESETS = ("stripe", "shopify", "zendesk", "hubspot", "github", "standard", "hmac")
Preset = Literal["stripe", "shopify", "zendesk", "hubspot", "github", "standard", "hmac"]
MAX_SIGNATURE_HEADER = 2048
HeaderName = Annotated[str, msgspec.Meta(max_length=100, pattern=r"^[A-Za-z0-9-]+$")]
OptionalHeader = Annotated[str, msgspec.Meta(max_length=100, pattern=r"^[A-Za-z0-9-]*$")]


class VerificationFailed(Exception):
    """The request is not genuine; ``reason`` is safe to log (it never holds the body)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HmacOptions(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The generic preset: which header carries what, and how it is encoded."""

    header: HeaderName = "X-Signature"
    algorithm: Literal["sha256", "sha1", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    # e.g. "sha256=" in front of the digest
    prefix: Annotated[str, msgspec.Meta(max_length=40, pattern=r"^[\x21-\x7e]*$")] = ""
    # When set, the signed content is f"{timestamp}{separator}{body}" and the timestamp
    # (Unix seconds) must be within the tolerance.
    timestamp_header: OptionalHeader = ""
    separator: Annotated[str, msgspec.Meta(max_length=10)] = "."
    delivery_id_header: OptionalHeader = ""


def _digest(algorithm: str, key: bytes, content: bytes) -> bytes:
    return hmac.new(key, content, getattr(hashlib, algorithm)).digest()


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower(), "")
    if not value:
        raise VerificationFailed(f"{name}: missing")
    if len(value) > MAX_SIGNATURE_HEADER:
        raise VerificationFailed(f"{name}: too long")
    return value


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _fresh(timestamp: float, now: float, tolerance: int, name: str) -> None:
    if abs(now - timestamp) > tolerance:
        raise VerificationFailed(f"{name}: outside the {tolerance} s tolerance (replay?)")


def _int_stamp(value: str, name: str) -> int:
    if not value.isdigit() or len(value) > 16:
        raise VerificationFailed(f"{name}: not a Unix timestamp")
    return int(value)


def verify(
    preset: str,
    secret: str,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
    options: HmacOptions | None = None,
) -> str | None:
    """Check the request; returns the provider's delivery id from a header (None when the
    scheme has none: the caller then uses the payload's event id). ``headers`` must have
    lower-case names; ``url`` is the public URL the provider called (HubSpot signs it)."""
    key = secret.encode()
    if preset == "stripe":
        parts: dict[str, list[str]] = {}
        for item in _header(headers, "Stripe-Signature").split(","):
            name, _, value = item.strip().partition("=")
            parts.setdefault(name, []).append(value)
        stamp = _int_stamp((parts.get("t") or [""])[0], "Stripe-Signature t")
        _fresh(stamp, now, tolerance, "Stripe-Signature t")
        expected = _digest("sha256", key, f"{stamp}.".encode() + body).hex()
        if not any(_same(given, expected) for given in parts.get("v1", [])):
            raise VerificationFailed("Stripe-Signature: no valid v1 signature")
        return None
    if preset == "shopify":
        given = _header(headers, "X-Shopify-Hmac-Sha256")
        expected = base64.b64encode(_digest("sha256", key, body)).decode()
        if not _same(given, expected):
            raise VerificationFailed("X-Shopify-Hmac-Sha256: wrong signature")
        return headers.get("x-shopify-webhook-id") or None
    if preset == "zendesk":
        given = _header(headers, "X-Zendesk-Webhook-Signature")
        stamp_text = _header(headers, "X-Zendesk-Webhook-Signature-Timestamp")
        try:
            moment = datetime.fromisoformat(stamp_text.replace("Z", "+00:00"))
        except ValueError:
            raise VerificationFailed(
                "X-Zendesk-Webhook-Signature-Timestamp: not ISO 8601"
            ) from None
        if moment.tzinfo is None:
            raise VerificationFailed("X-Zendesk-Webhook-Signature-Timestamp: no time zone")
        _fresh(moment.timestamp(), now, tolerance, "X-Zendesk-Webhook-Signature-Timestamp")
        expected = base64.b64encode(_digest("sha256", key, stamp_text.encode() + body)).decode()
        if not _same(given, expected):
            raise VerificationFailed("X-Zendesk-Webhook-Signature: wrong signature")
        return headers.get("x-zendesk-webhook-invocation-id") or None
    if preset == "hubspot":
        given = _header(headers, "X-HubSpot-Signature-v3")
        stamp_text = _header(headers, "X-HubSpot-Request-Timestamp")
        stamp = _int_stamp(stamp_text, "X-HubSpot-Request-Timestamp")  # milliseconds
        _fresh(stamp / 1000, now, tolerance, "X-HubSpot-Request-Timestamp")
        # HubSpot signs the URI with some characters URL-decoded; decoding it all is what
        # their own client libraries do for the URL we hand out (no query string).
        content = f"{method.upper()}{unquote(url)}".encode() + body + stamp_text.encode()
        expected = base64.b64encode(_digest("sha256", key, content)).decode()
        if not _same(given, expected):
            raise VerificationFailed("X-HubSpot-Signature-v3: wrong signature")
        return None
    if preset == "github":
        given = _header(headers, "X-Hub-Signature-256")
        expected = "sha256=" + _digest("sha256", key, body).hex()
        if not _same(given, expected):
            raise VerificationFailed("X-Hub-Signature-256: wrong signature")
        return headers.get("x-github-delivery") or None
    if preset == "standard":
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            _header(headers, name)
        try:
            signing.verify(secret, headers, body, now=int(now), tolerance=tolerance)
        except signing.SignatureError as exc:
            raise VerificationFailed(str(exc)) from None
        return headers["webhook-id"]
    if preset == "hmac":
        opts = options or HmacOptions()
        given = _header(headers, opts.header)
        content = body
        if opts.timestamp_header:
            stamp_text = _header(headers, opts.timestamp_header)
            _fresh(
                _int_stamp(stamp_text, opts.timestamp_header), now, tolerance, opts.timestamp_header
            )
            content = f"{stamp_text}{opts.separator}".encode() + body
        digest = _digest(opts.algorithm, key, content)
        encoded = digest.hex() if opts.encoding == "hex" else base64.b64encode(digest).decode()
        if not _same(given, opts.prefix + encoded):
            raise VerificationFailed(f"{opts.header}: wrong signature")
        if opts.delivery_id_header:
            return headers.get(opts.delivery_id_header.lower()) or None
        return None
    raise VerificationFailed(f"type: unknown preset {preset!r}")
