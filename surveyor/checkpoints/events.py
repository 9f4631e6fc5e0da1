"""Firing a checkpoint: ``POST /api/v1/events`` from validation to the committed outbox job.

Everything an event causes — the contact upsert, the policy decision, the event row,
the invitation and its delivery job — is written in ONE unit of work, so a ``202``
means all of it is durable and a crash after it loses nothing. The worker sends later.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from surveyor.checkpoints import store
from surveyor.checkpoints.models import Checkpoint, EventIn, EventOut
from surveyor.checkpoints.policy import PolicyContact, PolicyDecision, decide
from surveyor.contacts.models import Contact
from surveyor.contacts.store import upsert_contact_created
from surveyor.db import Tx
from surveyor.delivery.channels import channels
from surveyor.i18n import normalize_locale
from surveyor.ids import iso, new_id, parse_iso, utcnow
from surveyor.invitations import store as invitations
from surveyor.invitations.jobs import schedule_invitation, schedule_latest_invitation
from surveyor.invitations.models import Invitation
from surveyor.services import Services

_encode = msgspec.json.Encoder().encode

# Fallback addresses for channels whose plugin does not say (``Channel.address_for``).
FIELD_FOR_CHANNEL = {"email": "email", "sms": "phone"}


NO_SURVEY = PolicyDecision(
    decision="suppressed", reason="no_survey: the checkpoint has no published survey"
)


class EventRejected(ValueError):
    """A field of the event is wrong in a way its Struct cannot say (the API answers 400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class IdempotencyConflict(Exception):
    """The idempotency key was used before with another body (the API answers 409)."""


class _DryRun(Exception):
    def __init__(self, result: EventOut) -> None:
        self.result = result


def check_contact(data: EventIn) -> EventIn:
    """What a pattern cannot say: a locale Babel knows, a time zone that exists."""
    contact = data.contact
    changes: dict[str, Any] = {}
    if contact.locale is not None:
        normal = normalize_locale(contact.locale)
        if normal is None:
            raise EventRejected("contact.locale", f"{contact.locale!r} is not a known locale")
        changes["locale"] = normal
    if contact.timezone is not None:
        try:
            ZoneInfo(contact.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise EventRejected(
                "contact.timezone", f"{contact.timezone!r} is not an IANA time zone"
            ) from None
    if changes:
        return msgspec.structs.replace(data, contact=msgspec.structs.replace(contact, **changes))
    return data


def request_fingerprint(data: EventIn) -> str:
    """Same body (whatever the key order) → same fingerprint; the key itself is left out."""
    body = msgspec.to_builtins(msgspec.structs.replace(data, idempotency_key=None))
    return hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()


def reachable_channels(svc: Services, contact: Contact, names: list[str]) -> dict[str, bool]:
    registry = channels(svc)
    result = {}
    for name in names:
        channel = registry.get(name)
        if channel is not None and hasattr(channel, "address_for"):
            result[name] = bool(channel.address_for(contact))
        else:
            result[name] = bool(getattr(contact, FIELD_FOR_CHANNEL.get(name, ""), ""))
    return result


def _policy_contact(contact: Contact, last_any: str | None, last_here: str | None) -> PolicyContact:
    return PolicyContact(
        id=contact.id,
        timezone=contact.timezone,
        unsubscribed=contact.unsubscribed_at is not None,
        erased=contact.erased_at is not None,
        last_surveyed_at=parse_iso(last_any) if last_any else None,
        last_surveyed_here_at=parse_iso(last_here) if last_here else None,
    )


async def _decide_and_schedule(
    tx: Tx,
    svc: Services,
    data: EventIn,
    checkpoint: Checkpoint,
    contact: Contact,
    created: bool,
    *,
    now: datetime,
    stamp: str,
    event_id: str | None,
    properties_json: str,
) -> tuple[PolicyDecision, list[Invitation]]:
    """The policy decision and, when it schedules, the invitation with its send job.

    Statements are few: a contact this event created was never invited, so nothing is
    read for it and the survey's newest version is found by the invitation's INSERT; a
    known contact's invitation history and the newest version come in one query.
    """
    survey_id = checkpoint.survey_id
    if not survey_id:
        return NO_SURVEY, []
    last_any = last_here = version_id = None
    if not created:
        last_any, last_here, version_id = await invitations.last_invited(
            tx, contact.id, checkpoint.key, survey_id
        )
        if version_id is None:
            return NO_SURVEY, []
    decision = decide(
        checkpoint=checkpoint.for_policy(),
        contact=_policy_contact(contact, last_any, last_here),
        reachable=reachable_channels(svc, contact, checkpoint.channels),
        now=now,
        secret=svc.secret,
    )
    channel, send_at = decision.channel, decision.send_at
    if decision.decision != "scheduled" or not channel or not send_at or event_id is None:
        # Suppressed, or a dry run: whether the survey has a version must still be asked.
        if version_id is None and await store.latest_version_id(tx, survey_id) is None:
            return NO_SURVEY, []
        if decision.decision == "scheduled" and channel and send_at:
            return decision, [Invitation(id="", channel=channel, send_at=iso(send_at))]
        return decision, []
    common: dict[str, Any] = {
        "checkpoint": checkpoint,
        "contact": contact,
        "event_id": event_id,
        "channel": channel,
        "send_at": send_at,
        "properties": data.properties,
        "now": stamp,
    }
    if version_id is not None:
        return decision, [await schedule_invitation(tx, svc, version_id=version_id, **common)]
    invitation = await schedule_latest_invitation(
        tx, svc, **common, properties_json=properties_json
    )
    if invitation is None:
        return NO_SURVEY, []
    return decision, [invitation]


async def fire_event_in(
    tx: Tx,
    svc: Services,
    data: EventIn,
    checkpoint: Checkpoint,
    *,
    api_key_id: str,
    dry_run: bool = False,
) -> tuple[bool, EventOut]:
    """The unit of work of :func:`fire_event`, for a caller that writes more in the same
    transaction (inbound sources log their payload with it). ``data`` must have passed
    :func:`check_contact`. A unique-index error on a racing idempotency key escapes:
    run the unit again and it replays the winner's answer."""
    replayed, answer, _ = await _fire_in(tx, svc, data, checkpoint, api_key_id, dry_run, None)
    return replayed, answer


async def _fire_in(
    tx: Tx,
    svc: Services,
    data: EventIn,
    checkpoint: Checkpoint,
    api_key_id: str,
    dry_run: bool,
    properties_json: str | None,
) -> tuple[bool, EventOut, bytes]:
    """:func:`fire_event_in`, with the answer's JSON as stored (encoded once)."""
    key = data.idempotency_key
    # The fingerprint only serves a later request with the same key: without one,
    # nothing ever compares it, and none is computed (stored as '').
    fingerprint = ""
    if key is not None and not dry_run:
        fingerprint = request_fingerprint(data)
        seen = await store.seen_event(tx, api_key_id, key)
        if seen is not None:
            if seen["request_hash"] != fingerprint:
                raise IdempotencyConflict(
                    "idempotency_key: already used with a different request body"
                )
            stored = seen["response"]
            raw = stored.encode() if isinstance(stored, str) else bytes(stored)
            return True, msgspec.json.decode(raw, type=EventOut), raw
    # One timestamp for every row of the unit (contact, invitation, job, event).
    now = utcnow()
    stamp = iso(now)
    c = data.contact
    contact, created = await upsert_contact_created(
        tx,
        c.id,
        email=c.email,
        phone=c.phone,
        name=c.name,
        locale=c.locale,
        timezone=c.timezone,
        attributes=c.attributes,
        now=stamp,
    )
    event_id = None if dry_run else new_id()
    if properties_json is None:
        properties_json = _encode(data.properties).decode()
    decision, scheduled = await _decide_and_schedule(
        tx,
        svc,
        data,
        checkpoint,
        contact,
        created,
        now=now,
        stamp=stamp,
        event_id=event_id,
        properties_json=properties_json,
    )
    answer = EventOut(
        event_id=event_id,
        decision=decision.decision,
        reason=decision.reason,
        invitations=scheduled,
        dry_run=dry_run,
    )
    if dry_run:
        raise _DryRun(answer)  # rolls back the contact upsert too: nothing is stored
    assert event_id is not None
    encoded = _encode(answer)
    await store.insert_event(
        tx,
        event_id=event_id,
        checkpoint=checkpoint,
        contact_id=contact.id,
        properties=properties_json,
        decision=decision.decision,
        reason=decision.reason,
        api_key_id=api_key_id,
        idempotency_key=key,
        request_hash=fingerprint,
        response=encoded.decode(),
        created_at=stamp,
    )
    return False, answer, encoded


async def fire_event(
    svc: Services,
    data: EventIn,
    checkpoint: Checkpoint,
    *,
    api_key_id: str,
    dry_run: bool = False,
) -> tuple[bool, EventOut]:
    """Returns ``(replayed, answer)``; raises :class:`IdempotencyConflict` when a key is
    reused with another body and :class:`EventRejected` for a contact field Babel or
    the time zone database refuses."""
    replayed, answer, _ = await fire_event_encoded(
        svc, data, checkpoint, api_key_id=api_key_id, dry_run=dry_run
    )
    return replayed, answer


async def fire_event_encoded(
    svc: Services,
    data: EventIn,
    checkpoint: Checkpoint,
    *,
    api_key_id: str,
    dry_run: bool = False,
    properties_json: str | None = None,
) -> tuple[bool, EventOut, bytes]:
    """:func:`fire_event`, with the answer's JSON (the events API sends it as it is);
    ``properties_json``: ``data.properties`` already encoded by the caller, if it was."""
    data = check_contact(data)

    async def unit(tx: Tx) -> tuple[bool, EventOut, bytes]:
        return await _fire_in(tx, svc, data, checkpoint, api_key_id, dry_run, properties_json)

    try:
        return await _write_once_more_on_race(svc, unit)
    except _DryRun as dry:
        return False, dry.result, _encode(dry.result)


async def _write_once_more_on_race(svc: Services, unit: Any) -> Any:
    """On PostgreSQL two requests with one idempotency key can both pass the lookup; the
    unique index stops the second, which then finds and replays the first's answer."""
    try:
        return await svc.db.write(unit)
    except Exception as exc:
        if "unique" not in str(exc).lower() and "duplicate" not in str(exc).lower():
            raise
        return await svc.db.write(unit)
