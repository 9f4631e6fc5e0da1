"""Checkpoints (points of the customer journey) and the API's request/answer Structs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from surveyor.checkpoints.policy import PolicyCheckpoint, QuietHours
from surveyor.invitations.models import Invitation

Key = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z][a-z0-9_]{0,63}$", description="lower_snake_case, ≤ 64 characters"
    ),
]
Channel = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Text = Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
HHMM = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class QuietHoursIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    start: HHMM
    end: HHMM


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    key: str
    name: str
    description: str = ""
    position: int = 0
    survey_id: str | None = None
    channels: list[str] = msgspec.field(default_factory=lambda: ["email"])
    delay_seconds: int = 0
    sample_rate: float = 1.0
    quiet_hours: QuietHoursIn | None = None
    recontact_days: int = 90
    reminder_days: int | None = None
    max_reminders: int = 1
    expires_days: int = 14
    active: bool = True
    created_at: str
    updated_at: str

    def for_policy(self) -> PolicyCheckpoint:
        quiet = (
            QuietHours(start=self.quiet_hours.start, end=self.quiet_hours.end)
            if self.quiet_hours
            else None
        )
        return PolicyCheckpoint(
            key=self.key,
            channels=list(self.channels),
            active=self.active and self.survey_id is not None,
            delay_seconds=self.delay_seconds,
            sample_rate=self.sample_rate,
            quiet_hours=quiet,
            recontact_days=self.recontact_days,
        )


class CheckpointIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/v1/checkpoints`` and ``PUT /api/v1/checkpoints/{key}``."""

    key: Key
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
    survey_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    channels: Annotated[list[Channel], msgspec.Meta(min_length=1, max_length=5)] = msgspec.field(
        default_factory=lambda: ["email"]
    )
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    position: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 0
    delay_seconds: Annotated[int, msgspec.Meta(ge=0, le=90 * 86400)] = 0
    sample_rate: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 1.0
    quiet_hours: QuietHoursIn | None = None
    recontact_days: Annotated[int, msgspec.Meta(ge=0, le=3650)] = 90
    reminder_days: Annotated[int, msgspec.Meta(ge=1, le=60)] | None = None
    max_reminders: Annotated[int, msgspec.Meta(ge=0, le=3)] = 1
    expires_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 14
    active: bool = True


# -- POST /api/v1/events --------------------------------------------------------

Email = Annotated[
    str,
    msgspec.Meta(
        max_length=254,
        pattern=r"^[^@\s\x00-\x1f\x7f<>,;:\"]+@[^@\s\x00-\x1f\x7f<>,;:\"]+\.[^@\s\x00-\x1f\x7f<>,;:\"]+$",
    ),
]
Phone = Annotated[
    str, msgspec.Meta(pattern=r"^\+[1-9]\d{6,14}$", description="E.164, e.g. +4915112345678")
]
ExternalId = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
]
AttrValue = str | int | float | bool | None


class ContactIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: ExternalId
    email: Email | None = None
    phone: Phone | None = None
    name: Text | None = None
    locale: (
        Annotated[
            str, msgspec.Meta(max_length=35, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
        ]
        | None
    ) = None
    timezone: Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$")] | None = (
        None
    )
    attributes: Annotated[
        dict[Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")], AttrValue],
        msgspec.Meta(max_length=50),
    ] = msgspec.field(default_factory=dict)


class EventIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    checkpoint: Key
    contact: ContactIn
    properties: dict[str, Any] = msgspec.field(default_factory=dict)
    idempotency_key: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")] | None
    ) = None


class EventOut(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str | None
    decision: Literal["scheduled", "suppressed"]
    reason: str
    invitations: list[Invitation]
    dry_run: bool = False
