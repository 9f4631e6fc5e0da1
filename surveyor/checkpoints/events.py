"""Firing a checkpoint: ``POST /api/v1/events`` from validation to the committed outbox job.

Everything an event causes — the contact upsert, the policy decision, the event row,
the invitation and its delivery job — is written in ONE unit of work, so a ``202``
means all of it is durable and a crash after it loses nothing. The worker sends later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from litestar.exceptions import ClientException

from surveyor.checkpoints.models import Checkpoint, EventIn, EventOut, InvitationOut
from surveyor.checkpoints.policy import PolicyContact, PolicyDecision, decide
from surveyor.contacts.models import Contact
from surveyor.contacts.store import upsert_contact
from surveyor.db import Tx
from surveyor.i18n import normalize_locale
from surveyor.ids import iso, new_id, now_iso, parse_iso, token_hash, utcnow
from surveyor.services import Services
from surveyor.web.errors import invalid

SEND_KIND = "invitation.send"
# Fallback addresses for channels whose plugin does not say (``Channel.address_for``).
FIELD_FOR_CHANNEL = {"email": "email", "sms": "phone"}


class IdempotencyConflict(ClientException):
    status_code = 409


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
            raise invalid("contact.locale", f"{contact.locale!r} is not a known locale")
        changes["locale"] = normal
    if contact.timezone is not None:
        try:
            ZoneInfo(contact.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid(
                "contact.timezone", f"{contact.timezone!r} is not an IANA time zone"
            ) from None
    if changes:
        return msgspec.structs.replace(data, contact=msgspec.structs.replace(contact, **changes))
    return data


def request_fingerprint(data: EventIn) -> str:
    """Same body (whatever the key order) → same fingerprint; the key itself is left out."""
    body = msgspec.to_builtins(msgspec.structs.replace(data, idempotency_key=None))
    return hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()


def invitation_token(key: bytes, invitation_id: str) -> str:
    """The personal link's secret, derived so that only its hash needs storing.

    The worker re-derives it to build the link (and a reminder's), so the raw token is
    never written anywhere; 256 bits from HMAC-SHA256 under the instance key.
    """
    digest = hmac.new(key, f"invitation\x1f{invitation_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_key(svc: Services) -> bytes:
    if svc.settings.secret_key:
        return hashlib.sha256(svc.settings.secret_key.encode()).digest()
    return svc.secret


def reachable_channels(svc: Services, contact: Contact, names: list[str]) -> dict[str, bool]:
    from surveyor.delivery.channels import channels

    registry = channels(svc)
    result = {}
    for name in names:
        channel = registry.get(name)
        if channel is not None and hasattr(channel, "address_for"):
            result[name] = bool(channel.address_for(contact))
        else:
            result[name] = bool(getattr(contact, FIELD_FOR_CHANNEL.get(name, ""), ""))
    return result


async def _policy_contact(tx: Tx, contact: Contact, checkpoint_key: str) -> PolicyContact:
    # One index range scan answers both questions (any checkpoint, and this one).
    last = await tx.fetch_one(
        "SELECT max(created_at) AS any_at,"
        " max(CASE WHEN checkpoint_key = ? THEN created_at END) AS here_at"
        " FROM invitations WHERE contact_id = ?",
        (checkpoint_key, contact.id),
    )
    last_any = last["any_at"] if last else None
    last_here = last["here_at"] if last else None
    return PolicyContact(
        id=contact.id,
        timezone=contact.timezone,
        unsubscribed=contact.unsubscribed_at is not None,
        erased=contact.erased_at is not None,
        last_surveyed_at=parse_iso(last_any) if last_any else None,
        last_surveyed_here_at=parse_iso(last_here) if last_here else None,
    )


async def schedule_invitation(
    tx: Tx,
    svc: Services,
    *,
    checkpoint: Checkpoint,
    version_id: str,
    contact: Contact,
    event_id: str | None,
    channel: str,
    send_at: datetime,
    properties: dict[str, Any],
) -> InvitationOut:
    """Insert the invitation and its send job in the caller's transaction (the outbox)."""
    from surveyor.delivery.store import enqueue_job

    invitation_id = new_id()
    now = now_iso()
    expires_at = send_at + timedelta(days=checkpoint.expires_days)
    await tx.execute(
        "INSERT INTO invitations (id, event_id, survey_id, survey_version_id, contact_id, checkpoint_key,"
        " channel, token_hash, status, send_at, expires_at, locale, properties, reminder_count,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?, 0, ?, ?)",
        (
            invitation_id,
            event_id,
            checkpoint.survey_id,
            version_id,
            contact.id,
            checkpoint.key,
            channel,
            token_hash(invitation_token(token_key(svc), invitation_id)),
            iso(send_at),
            iso(expires_at),
            contact.locale,
            msgspec.json.encode(properties).decode(),
            now,
            now,
        ),
    )
    await enqueue_job(
        tx,
        kind=SEND_KIND,
        payload={"invitation_id": invitation_id},
        run_at=send_at,
        dedupe_key=f"{SEND_KIND}:{invitation_id}",
        subject_type="invitation",
        subject_id=invitation_id,
        channel=channel,
    )
    return InvitationOut(id=invitation_id, channel=channel, send_at=iso(send_at))


async def fire_event(
    svc: Services,
    data: EventIn,
    checkpoint: Checkpoint,
    *,
    api_key_id: str,
    dry_run: bool = False,
) -> tuple[bool, EventOut]:
    """Returns ``(replayed, answer)``; raises 409 when a key is reused with another body."""
    data = check_contact(data)
    fingerprint = request_fingerprint(data)
    key = data.idempotency_key

    async def unit(tx: Tx) -> tuple[bool, EventOut]:
        if key is not None and not dry_run:
            seen = await tx.fetch_one(
                "SELECT request_hash, response FROM events WHERE api_key_id = ? AND idempotency_key = ?",
                (api_key_id, key),
            )
            if seen is not None:
                if seen["request_hash"] != fingerprint:
                    raise IdempotencyConflict(
                        detail="idempotency_key: already used with a different request body"
                    )
                return True, msgspec.json.decode(seen["response"], type=EventOut)
        c = data.contact
        contact = await upsert_contact(
            tx,
            c.id,
            email=c.email,
            phone=c.phone,
            name=c.name,
            locale=c.locale,
            timezone=c.timezone,
            attributes=c.attributes,
        )
        now = utcnow()
        version_id = None
        if checkpoint.survey_id:
            version_id = await tx.fetch_val(
                "SELECT id FROM survey_versions WHERE survey_id = ? ORDER BY number DESC LIMIT 1",
                (checkpoint.survey_id,),
            )
        if version_id is None:
            decision = PolicyDecision(
                decision="suppressed", reason="no_survey: the checkpoint has no published survey"
            )
        else:
            decision = decide(
                checkpoint=checkpoint.for_policy(),
                contact=await _policy_contact(tx, contact, checkpoint.key),
                reachable=reachable_channels(svc, contact, checkpoint.channels),
                now=now,
                secret=svc.secret,
            )
        event_id = None if dry_run else new_id()
        invitations: list[InvitationOut] = []
        if (
            decision.decision == "scheduled"
            and version_id
            and decision.channel
            and decision.send_at
        ):
            if dry_run:
                invitations.append(
                    InvitationOut(id="", channel=decision.channel, send_at=iso(decision.send_at))
                )
            else:
                invitations.append(
                    await schedule_invitation(
                        tx,
                        svc,
                        checkpoint=checkpoint,
                        version_id=version_id,
                        contact=contact,
                        event_id=event_id,
                        channel=decision.channel,
                        send_at=decision.send_at,
                        properties=data.properties,
                    )
                )
        answer = EventOut(
            event_id=event_id,
            decision=decision.decision,
            reason=decision.reason,
            invitations=invitations,
            dry_run=dry_run,
        )
        if dry_run:
            raise _DryRun(answer)  # rolls back the contact upsert too: nothing is stored
        await tx.execute(
            "INSERT INTO events (id, checkpoint_id, checkpoint_key, contact_id, properties, decision,"
            " reason, api_key_id, idempotency_key, request_hash, response, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event_id,
                checkpoint.id,
                checkpoint.key,
                contact.id,
                msgspec.json.encode(data.properties).decode(),
                decision.decision,
                decision.reason,
                api_key_id,
                key,
                fingerprint,
                msgspec.json.encode(answer).decode(),
                iso(now),
            ),
        )
        return False, answer

    try:
        return await _write_once_more_on_race(svc, unit)
    except _DryRun as dry:
        return False, dry.result


async def _write_once_more_on_race(svc: Services, unit: Any) -> tuple[bool, EventOut]:
    """On PostgreSQL two requests with one idempotency key can both pass the lookup; the
    unique index stops the second, which then finds and replays the first's answer."""
    try:
        return await svc.db.write(unit)
    except Exception as exc:
        if "unique" not in str(exc).lower() and "duplicate" not in str(exc).lower():
            raise
        return await svc.db.write(unit)
