"""The personal link's secret, derived from the invitation id under the instance key."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from typing import Any


def invitation_token(key: bytes, invitation_id: str) -> str:
    """The personal link's secret, derived so that only its hash needs storing.

    The worker re-derives it to build the link (and a reminder's), so the raw token is
    never written anywhere; 256 bits from HMAC-SHA256 under the instance key.
    """
    digest = hmac.digest(key, f"invitation\x1f{invitation_id}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_key(svc: Any) -> bytes:
    """The instance key: from ``SURVEYOR_SECRET_KEY`` when set, else the stored secret."""
    if svc.settings.secret_key:
        return _key_of(svc.settings.secret_key)
    return svc.secret


@functools.lru_cache(maxsize=4)
def _key_of(secret_key: str) -> bytes:
    """Derived once per setting value, not once per invitation (an event makes one)."""
    return hashlib.sha256(secret_key.encode()).digest()
