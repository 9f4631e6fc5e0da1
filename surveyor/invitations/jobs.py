"""The invitation's outbox jobs: scheduling one with its send job, sending it (and its
reminders), and closing links nobody used.

``invitation.send`` builds the message (the survey link, the first question so the
customer can tap a score in the email itself, an unsubscribe link) and hands it to the
invitation's channel; when it is delivered the invitation becomes ``sent`` and its
reminder and expiry are queued. ``invitation.expire`` closes links nobody used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from surveyor import DeliveryError, Message
from surveyor.branding.resolve import brand_look, look_context
from surveyor.checkpoints.models import Checkpoint
from surveyor.contacts.models import Contact
from surveyor.contacts.store import get_contact
from surveyor.db import Tx
from surveyor.delivery.channels import channels, send_message
from surveyor.delivery.models import Job, JobKind
from surveyor.delivery.store import enqueue_job
from surveyor.events import InvitationFailed, InvitationSent
from surveyor.hookjobs import call_plugins, has_listeners
from surveyor.ids import iso, new_id, now_iso, parse_iso, token_hash, utcnow
from surveyor.invitations import store
from surveyor.invitations.models import EXPIRE, SEND, Invitation
from surveyor.invitations.tokens import invitation_token, token_key
from surveyor.surveys.kinds import question_kinds
from surveyor.surveys.logic import recall_plain, resolve_locale, text_for
from surveyor.surveys.models import SurveyDefinition
from surveyor.surveys.wording import scale_ends

if TYPE_CHECKING:
    from surveyor.services import Services


async def schedule_invitation(
    tx: Tx,
    svc: Any,
    *,
    checkpoint: Checkpoint,
    version_id: str,
    contact: Contact,
    event_id: str | None,
    channel: str,
    send_at: datetime,
    properties: dict[str, Any],
    now: str | None = None,
) -> Invitation:
    """Insert the invitation and its send job in the caller's transaction (the outbox);
    ``now``: the caller's timestamp of the unit, if it has one."""
    invitation = _new_invitation(
        checkpoint, version_id, contact, event_id, channel, send_at, properties, now
    )
    await store.insert_invitation(tx, invitation, token_digest=_digest(svc, invitation))
    await _enqueue_send(tx, invitation)
    return invitation


async def schedule_latest_invitation(
    tx: Tx,
    svc: Any,
    *,
    checkpoint: Checkpoint,
    contact: Contact,
    event_id: str | None,
    channel: str,
    send_at: datetime,
    properties: dict[str, Any],
    now: str | None = None,
    properties_json: str | None = None,
) -> Invitation | None:
    """:func:`schedule_invitation` for the newest version of the checkpoint's survey, found
    by the INSERT itself; None (nothing stored) when the survey has no published version."""
    invitation = _new_invitation(
        checkpoint, "", contact, event_id, channel, send_at, properties, now
    )
    version_id = await store.insert_invitation_of_latest(
        tx, invitation, token_digest=_digest(svc, invitation), properties_json=properties_json
    )
    if version_id is None:
        return None
    await _enqueue_send(tx, invitation)
    return msgspec.structs.replace(invitation, survey_version_id=version_id)


def _new_invitation(
    checkpoint: Checkpoint,
    version_id: str,
    contact: Contact,
    event_id: str | None,
    channel: str,
    send_at: datetime,
    properties: dict[str, Any],
    now: str | None,
) -> Invitation:
    now = now or now_iso()
    return Invitation(
        id=new_id(),
        event_id=event_id,
        survey_id=checkpoint.survey_id or "",
        survey_version_id=version_id,
        contact_id=contact.id,
        checkpoint_key=checkpoint.key,
        channel=channel,
        status="scheduled",
        send_at=iso(send_at),
        expires_at=iso(send_at + timedelta(days=checkpoint.expires_days)),
        locale=contact.locale or "",
        properties=properties,
        created_at=now,
        updated_at=now,
    )


def _digest(svc: Any, invitation: Invitation) -> str:
    return token_hash(invitation_token(token_key(svc), invitation.id))


async def _enqueue_send(tx: Tx, invitation: Invitation) -> None:
    await enqueue_job(
        tx,
        kind=SEND,
        payload={"invitation_id": invitation.id},
        run_at=invitation.send_at,
        now=invitation.created_at,
        dedupe_key=f"{SEND}:{invitation.id}",
        subject_type=store.SUBJECT,
        subject_id=invitation.id,
        channel=invitation.channel,
    )


def webhook_secret(svc: Any) -> str:
    """The signing secret of invitation webhooks, stable for this instance."""
    key = hmac.new(token_key(svc), b"invitation-webhooks", hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(key).decode()


def first_question(
    svc: Any,
    definition: SurveyDefinition,
    locale: str,
    contact: Any,
    properties: Any,
    brand: str | None = None,
) -> dict[str, Any] | None:
    """What the email embeds: the first question's text and, for a scale, its range and
    end labels (the kind's own, translated, when the designer gave none)."""
    if not definition.questions:
        return None
    question = definition.questions[0]
    if question.condition is not None:
        return None
    if brand is None:
        brand = text_for(definition.settings.brand, locale, definition.default_locale)
    kind = question_kinds(svc).get(question.kind)
    text = text_for(question.text, locale, definition.default_locale) or (
        text_for(kind.default_text, locale, "en") if kind else ""
    )
    out: dict[str, Any] = {
        "id": question.id,
        "kind": question.kind,
        "text": recall_plain(text, contact=contact, properties=properties, brand=brand),
    }
    scale = getattr(kind, "scale", None) if kind else None
    if scale:
        out["min"], out["max"] = scale
        low, high = scale_ends(question.kind, locale)
        out["min_label"] = text_for(question.low_label, locale, definition.default_locale) or low
        out["max_label"] = text_for(question.high_label, locale, definition.default_locale) or high
    return out


async def run_send(job: Job, svc: Any) -> None:
    invitation_id = str(job.payload.get("invitation_id", ""))
    reminder = bool(job.payload.get("reminder"))
    found = await store.invitation_to_send(svc.db, invitation_id)
    if found is None:
        raise DeliveryError(f"invitation {invitation_id} does not exist", permanent=True)
    invitation = found.invitation
    if invitation.status in ("answered", "expired") or (
        reminder and invitation.status not in ("sent", "opened")
    ):
        return  # nothing left to ask; not an error
    if invitation.expires_at and parse_iso(invitation.expires_at) <= utcnow():
        raise DeliveryError("the invitation expired before it could be sent", permanent=True)
    contact = await get_contact(svc.db, invitation.contact_id)
    if contact is None or contact.erased_at:
        raise DeliveryError("the contact was erased", permanent=True)
    if contact.unsubscribed_at:
        raise DeliveryError(
            "the contact unsubscribed before the invitation was sent", permanent=True
        )
    channel = channels(svc).get(invitation.channel)
    if channel is None:
        raise DeliveryError(f"no channel named {invitation.channel!r} is registered")
    address = channel.address_for(contact)
    if not address:
        raise DeliveryError(
            f"the contact has no {invitation.channel} address any more", permanent=True
        )
    definition = msgspec.json.decode(found.definition, type=SurveyDefinition)
    locale = resolve_locale(
        definition, [invitation.locale, contact.locale, svc.settings.default_locale]
    )
    properties = invitation.properties
    token = invitation_token(token_key(svc), invitation_id)
    link = svc.settings.url(f"/s/{token}")
    unsubscribe = svc.settings.url(f"/u/{token}")
    look = await brand_look(
        svc,
        invitation.survey_id,
        survey_name=text_for(definition.settings.brand, locale, definition.default_locale),
        absolute=True,
    )
    question = first_question(svc, definition, locale, contact, properties, brand=look.name)
    title = text_for(definition.title, locale, definition.default_locale)
    sequence = invitation.reminder_count if reminder else 0
    message = Message(
        kind="reminder" if reminder else "invitation",
        id=f"{invitation_id}.{'r' if reminder else 's'}{sequence}",
        recipient=address,
        recipient_name=contact.name,
        link=link,
        unsubscribe_url=unsubscribe,
        locale=locale,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        context={
            **look_context(look),
            "title": title,
            "question": question,
            "checkpoint": invitation.checkpoint_key,
        },
        secret=webhook_secret(svc),
        payload={
            "type": "invitation.reminder" if reminder else "invitation.created",
            "invitation_id": invitation_id,
            "contact_id": contact.external_id,
            "checkpoint": invitation.checkpoint_key,
            "link": link,
            "unsubscribe_url": unsubscribe,
            "locale": locale,
            "question": question,
        },
    )
    await send_message(svc, invitation.channel, message)


async def mark_sent(tx: Tx, job: Job) -> None:
    """In the transaction that records the job done: the invitation becomes ``sent`` and
    its reminder (if any) and expiry are queued, so a crash cannot separate them."""
    invitation_id = str(job.payload.get("invitation_id", ""))
    plan = await store.reminder_plan(tx, invitation_id)
    if plan is None:
        return
    now = utcnow()
    if job.payload.get("reminder"):
        await store.count_reminder(tx, invitation_id, iso(now))
        return
    await store.mark_sent(tx, invitation_id, iso(now))
    if plan.reminder_days and plan.reminder_count < plan.max_reminders:
        remind_at = now + timedelta(days=int(plan.reminder_days))
        if not plan.expires_at or remind_at < parse_iso(plan.expires_at):
            await enqueue_job(
                tx,
                SEND,
                {"invitation_id": invitation_id, "reminder": True},
                remind_at,
                f"{SEND}:{invitation_id}:reminder:{plan.reminder_count + 1}",
                subject_type=store.SUBJECT,
                subject_id=invitation_id,
            )
    if plan.expires_at:
        await enqueue_job(
            tx,
            EXPIRE,
            {"invitation_id": invitation_id},
            plan.expires_at,
            f"{EXPIRE}:{invitation_id}",
            subject_type=store.SUBJECT,
            subject_id=invitation_id,
        )


async def mark_failed(tx: Tx, job: Job) -> None:
    """In the transaction that records the job dead (a lost reminder leaves it alone)."""
    if job.payload.get("reminder"):
        return
    await store.mark_failed(tx, str(job.payload.get("invitation_id", "")), now_iso())


async def _announce(svc: Services, job: Job, outcome: str) -> None:
    """Tell plugins, after the invitation's new status committed. This already runs in
    the worker (the job's ``on_done``/``on_dead``), never on a request."""
    if not has_listeners(svc, "invitation_sent" if outcome == "sent" else "invitation_failed"):
        return  # no listener: spare the worker the invitation's read on every send
    invitation = await store.get_invitation(svc.db, str(job.payload.get("invitation_id", "")))
    if invitation is None:
        return
    if outcome == "sent":
        reminder = bool(job.payload.get("reminder"))
        await call_plugins(svc, InvitationSent(invitation=invitation, reminder=reminder))
    else:
        await call_plugins(svc, InvitationFailed(invitation=invitation, error=job.last_error))


async def on_sent(job: Job, svc: Services) -> None:
    await _announce(svc, job, "sent")


async def on_failed(job: Job, svc: Services) -> None:
    if not job.payload.get("reminder"):
        await _announce(svc, job, "failed")


async def run_expire(job: Job, svc: Any) -> None:
    invitation_id = str(job.payload.get("invitation_id", ""))
    await svc.db.write(lambda tx: store.expire(tx, invitation_id, now_iso()))


SEND_JOB = JobKind(
    name=SEND,
    run=run_send,
    done_in_tx=mark_sent,
    dead_in_tx=mark_failed,
    on_done=on_sent,
    on_dead=on_failed,
)
EXPIRE_JOB = JobKind(name=EXPIRE, run=run_expire)
