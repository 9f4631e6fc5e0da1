"""Inbound sources and their payload log, as Structs at every boundary."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from surveyor.sources.mapping import MAX_EXPRESSION, Mapping
from surveyor.sources.verify import HmacOptions, Preset

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
Secret = Annotated[str, msgspec.Meta(min_length=8, max_length=500, pattern=r"^[\x21-\x7e]+$")]
AllowPath = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_EXPRESSION)]
Decision = Literal["scheduled", "suppressed", "filtered", "mapping_error", "duplicate"]


class MappingIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A mapping as sent by the API; every field is a JMESPath expression."""

    contact_id: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_EXPRESSION)]
    email: Annotated[str, msgspec.Meta(max_length=MAX_EXPRESSION)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=MAX_EXPRESSION)] = ""
    name: Annotated[str, msgspec.Meta(max_length=MAX_EXPRESSION)] = ""
    locale: Annotated[str, msgspec.Meta(max_length=MAX_EXPRESSION)] = ""
    timezone: Annotated[str, msgspec.Meta(max_length=MAX_EXPRESSION)] = ""
    attributes: Annotated[str, msgspec.Meta(max_length=MAX_EXPRESSION)] = ""
    properties: Annotated[str, msgspec.Meta(max_length=MAX_EXPRESSION)] = ""
    checkpoint: Annotated[str, msgspec.Meta(max_length=MAX_EXPRESSION)] = ""
    filter: Annotated[str, msgspec.Meta(max_length=MAX_EXPRESSION)] = ""
    idempotency_key: Annotated[str, msgspec.Meta(max_length=MAX_EXPRESSION)] = ""

    def to_mapping(self) -> Mapping:
        return Mapping(**msgspec.structs.asdict(self))


class SourceIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Name
    type: Preset
    checkpoint: Key
    # Pasted from the provider (Stripe, Shopify, Zendesk, HubSpot make their own);
    # generated when left out for the others.
    secret: Secret | None = None
    mapping: MappingIn | None = None  # None: the preset's default mapping
    options: HmacOptions | None = None  # the generic "hmac" preset only
    allow_list: Annotated[list[AllowPath], msgspec.Meta(max_length=50)] | None = None


class Source(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    type: str
    checkpoint: str
    url: str
    mapping: Mapping
    options: HmacOptions
    allow_list: list[str]
    active: bool
    failures: int
    last_failure_at: str | None
    created_at: str


class CreatedSource(Source, frozen=True, kw_only=True):
    """The answer to a create: the only time the secret is shown."""

    secret: str


class PayloadEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    delivery_id: str
    received_at: str
    payload: dict[str, Any]
    mapped: dict[str, Any]
    decision: Decision
    reason: str
    event_id: str | None = None


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What one delivery came to: the body of the answer to the provider."""

    decision: Decision
    reason: str = ""
    event_id: str | None = None
    mapped: dict[str, Any] = msgspec.field(default_factory=dict)
    dry_run: bool = False
