"""A contact as the rest of Surveyor sees it."""

from __future__ import annotations

from typing import Any

import msgspec


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    external_id: str
    email: str = ""
    phone: str = ""
    name: str = ""
    locale: str = ""
    timezone: str = ""
    attributes: dict[str, Any] = {}
    unsubscribed_at: str | None = None
    erased_at: str | None = None
    created_at: str
    updated_at: str

    @property
    def reachable(self) -> bool:
        """Neither unsubscribed nor erased: the contact policy may invite them."""
        return self.unsubscribed_at is None and self.erased_at is None
