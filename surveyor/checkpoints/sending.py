"""The invitation jobs the events API puts in the outbox, and what the worker does with them.

``invitation.send`` builds the message (the survey link, the first question so the
customer can tap a score in the email itself, an unsubscribe link) and hands it to the
invitation's channel; when it is delivered the invitation becomes ``sent`` and its
reminder and expiry are queued. ``invitation.expire`` closes links nobody used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from surveyor import DeliveryError, Message
from surveyor.checkpoints.events import invitation_token, token_key
from surveyor.contacts.store import get_contact
from surveyor.db import Tx
from surveyor.delivery.channels import channels, send_message
from surveyor.delivery.models import Job, JobKind
from surveyor.delivery.store import enqueue_job
from surveyor.events import InvitationFailed, InvitationSent
from surveyor.hookjobs import call_plugins, has_listeners
from surveyor.ids import iso, now_iso, parse_iso, utcnow
from surveyor.respond.store import get_invitation
from surveyor.surveys.kinds import question_kinds
from surveyor.surveys.logic import recall_plain, resolve_locale, text_for
from surveyor.surveys.models import SurveyDefinition

if TYPE_CHECKING:
    from surveyor.services import Services

SEND = "invitation.send"
EXPIRE = "invitation.expire"
INVITATION_COLUMNS = (
    "i.id, i.survey_version_id, i.contact_id, i.checkpoint_key, i.channel, i.status, i.send_at,"
    " i.expires_at, i.locale, i.properties, i.reminder_count, v.definition"
)


async def _load(svc: Any, invitation_id: str) -> dict[str, Any] | None:
    return await svc.db.fetch_one(
        f"SELECT {INVITATION_COLUMNS} FROM invitations i"
        " JOIN survey_versions v ON v.id = i.survey_version_id WHERE i.id = ?",
        (invitation_id,),
    )


def webhook_secret(svc: Any) -> str:
    """The signing secret of invitation webhooks, stable for this instance."""
    key = hmac.new(token_key(svc), b"invitation-webhooks", hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(key).decode()


def first_question(
    svc: Any, definition: SurveyDefinition, locale: str, contact: Any, properties: Any
) -> dict[str, Any] | None:
    """What the email embeds: the first question's text and, for a scale, its range."""
    if not definition.questions:
        return None
    question = definition.questions[0]
    if question.condition is not None:
        return None
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
        out["min_label"] = text_for(question.low_label, locale, definition.default_locale)
        out["max_label"] = text_for(question.high_label, locale, definition.default_locale)
    return out


async def run_send(job: Job, svc: Any) -> None:
    invitation_id = str(job.payload.get("invitation_id", ""))
    reminder = bool(job.payload.get("reminder"))
    row = await _load(svc, invitation_id)
    if row is None:
        raise DeliveryError(f"invitation {invitation_id} does not exist", permanent=True)
    if row["status"] in ("answered", "expired") or (
        reminder and row["status"] not in ("sent", "opened")
    ):
        return  # nothing left to ask; not an error
    if row["expires_at"] and parse_iso(row["expires_at"]) <= utcnow():
        raise DeliveryError("the invitation expired before it could be sent", permanent=True)
    contact = await get_contact(svc.db, row["contact_id"])
    if contact is None or contact.erased_at:
        raise DeliveryError("the contact was erased", permanent=True)
    if contact.unsubscribed_at:
        raise DeliveryError(
            "the contact unsubscribed before the invitation was sent", permanent=True
        )
    channel = channels(svc).get(row["channel"])
    if channel is None:
        raise DeliveryError(f"no channel named {row['channel']!r} is registered")
    address = channel.address_for(contact)
    if not address:
        raise DeliveryError(f"the contact has no {row['channel']} address any more", permanent=True)
    definition = msgspec.json.decode(row["definition"], type=SurveyDefinition)
    locale = resolve_locale(
        definition, [row["locale"], contact.locale, svc.settings.default_locale]
    )
    properties = msgspec.json.decode(row["properties"] or "{}")
    token = invitation_token(token_key(svc), invitation_id)
    link = svc.settings.url(f"/s/{token}")
    unsubscribe = svc.settings.url(f"/u/{token}")
    question = first_question(svc, definition, locale, contact, properties)
    brand = text_for(definition.settings.brand, locale, definition.default_locale) or "Surveyor"
    title = text_for(definition.title, locale, definition.default_locale)
    message = Message(
        kind="reminder" if reminder else "invitation",
        id=f"{invitation_id}.{'r' if reminder else 's'}{row['reminder_count'] if reminder else 0}",
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
            "brand": brand,
            "title": title,
            "question": question,
            "checkpoint": row["checkpoint_key"],
        },
        secret=webhook_secret(svc),
        payload={
            "type": "invitation.reminder" if reminder else "invitation.created",
            "invitation_id": invitation_id,
            "contact_id": contact.external_id,
            "checkpoint": row["checkpoint_key"],
            "link": link,
            "unsubscribe_url": unsubscribe,
            "locale": locale,
            "question": question,
        },
    )
    await send_message(svc, row["channel"], message)


async def mark_sent(tx: Tx, job: Job) -> None:
    """In the transaction that records the job done: the invitation becomes ``sent`` and
    its reminder (if any) and expiry are queued, so a crash cannot separate them."""
    invitation_id = str(job.payload.get("invitation_id", ""))
    row = await tx.fetch_one(
        "SELECT i.status, i.expires_at, i.reminder_count, c.reminder_days, c.max_reminders"
        " FROM invitations i LEFT JOIN checkpoints c ON c.key = i.checkpoint_key WHERE i.id = ?",
        (invitation_id,),
    )
    if row is None:
        return
    now = utcnow()
    if job.payload.get("reminder"):
        await tx.execute(
            "UPDATE invitations SET reminder_count = reminder_count + 1, updated_at = ? WHERE id = ?",
            (iso(now), invitation_id),
        )
        return
    # 'failed' too: a dead delivery retried from the delivery log may succeed later.
    await tx.execute(
        "UPDATE invitations SET status = 'sent', updated_at = ?"
        " WHERE id = ? AND status IN ('scheduled', 'failed')",
        (iso(now), invitation_id),
    )
    if row["reminder_days"] and row["reminder_count"] < (row["max_reminders"] or 0):
        remind_at = now + timedelta(days=int(row["reminder_days"]))
        if not row["expires_at"] or remind_at < parse_iso(row["expires_at"]):
            await enqueue_job(
                tx,
                SEND,
                {"invitation_id": invitation_id, "reminder": True},
                remind_at,
                f"{SEND}:{invitation_id}:reminder:{row['reminder_count'] + 1}",
                subject_type="invitation",
                subject_id=invitation_id,
            )
    if row["expires_at"]:
        await enqueue_job(
            tx,
            EXPIRE,
            {"invitation_id": invitation_id},
            row["expires_at"],
            f"{EXPIRE}:{invitation_id}",
            subject_type="invitation",
            subject_id=invitation_id,
        )


async def mark_failed(tx: Tx, job: Job) -> None:
    """In the transaction that records the job dead (a lost reminder leaves it alone)."""
    if job.payload.get("reminder"):
        return
    await tx.execute(
        "UPDATE invitations SET status = 'failed', updated_at = ? WHERE id = ? AND status = 'scheduled'",
        (now_iso(), str(job.payload.get("invitation_id", ""))),
    )


async def _announce(svc: Services, job: Job, outcome: str) -> None:
    """Tell plugins, after the invitation's new status committed. This already runs in
    the worker (the job's ``on_done``/``on_dead``), never on a request."""
    if not has_listeners(svc, "invitation_sent" if outcome == "sent" else "invitation_failed"):
        return  # no listener: spare the worker the invitation's read on every send
    invitation = await get_invitation(svc.db, str(job.payload.get("invitation_id", "")))
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

    async def expire(tx: Tx) -> None:
        await tx.execute(
            "UPDATE invitations SET status = 'expired', updated_at = ?"
            " WHERE id = ? AND status IN ('scheduled', 'sent', 'opened') AND expires_at <= ?",
            (now_iso(), invitation_id, now_iso()),
        )

    await svc.db.write(expire)


SEND_JOB = JobKind(
    name=SEND,
    run=run_send,
    done_in_tx=mark_sent,
    dead_in_tx=mark_failed,
    on_done=on_sent,
    on_dead=on_failed,
)
EXPIRE_JOB = JobKind(name=EXPIRE, run=run_expire)
