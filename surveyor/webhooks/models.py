"""Webhook subscriptions and the API's request Struct."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

EventType = Literal["response.completed", "followup.opened", "followup.closed", "response.analyzed"]
EVENT_TYPES: tuple[str, ...] = (
    "response.completed",
    "followup.opened",
    "followup.closed",
    "response.analyzed",  # surveyor_text, when a comment's analysis lands
)


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    """A subscription as listed: never with its secret."""

    id: str
    url: str
    description: str = ""
    event_types: list[str]
    active: bool
    created_at: str
    revoked_at: str | None = None


class CreatedSubscription(Subscription, frozen=True, kw_only=True):
    """The answer to a creation: the only time the signing secret is shown."""

    secret: str


class SubscriptionIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(min_length=8, max_length=2000)]
    event_types: Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=4)]
    description: Annotated[str, msgspec.Meta(max_length=200)] = ""
