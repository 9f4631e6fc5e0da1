"""The account manager's workbench: replies to the customer, snoozing, bulk changes.

A reply is one unit of work: the timeline entry and the outbox job that sends it
commit together (DESIGN §2), and the job kind ``followup.reply`` writes the delivery
outcome (sent, or failed with the error) back onto that entry in the transaction that
records the job's end. Snoozing takes a case out of the inbox until a date; the case
comes back by itself when the date arrives (the inbox compares with the clock). Bulk
changes go through the same service functions as one case, one unit per case, so each
case's change is on its own timeline with who made it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import msgspec

from surveyor import Message
from surveyor.contacts.store import get_contact
from surveyor.db import Tx
from surveyor.delivery.channels import send_message
from surveyor.delivery.models import Job, JobKind
from surveyor.delivery.store import enqueue_job
from surveyor.followups import context_store, service, store
from surveyor.followups.context import comment_text
from surveyor.followups.models import Followup
from surveyor.followups.replies import (
    ReplyCase,
    ReplyContact,
    ReplyContext,
    ReplyError,
    ReplyPerson,
    render_reply,
)
from surveyor.followups.service import Actor, CaseError, _write_and_wake, can_see
from surveyor.followups.store import Viewer
from surveyor.ids import iso, new_id, parse_iso, utcnow
from surveyor.surveys.kinds import question_kinds

if TYPE_CHECKING:
    from surveyor.services import Services

REPLY_JOB = "followup.reply"
REPLY_ATTEMPTS = 6
MAX_SNOOZE_DAYS = 365
MAX_BULK = 200
SCORE_METRICS = ("nps", "ces", "csat", "emotion")


# -- replies ---------------------------------------------------------------------------


def account_of(attributes: dict[str, Any]) -> str:
    """The contact's account as the product named it (``account`` or ``company``)."""
    for key in ("account", "company", "account_name"):
        value = attributes.get(key)
        if value:
            return str(value)
    return ""


async def reply_context(svc: Services, case: Followup, agent: ReplyPerson) -> ReplyContext:
    """What a reply template may say about ``case`` (read outside any unit)."""
    db = svc.db
    contact = await get_contact(db, case.contact_id) if case.contact_id else None
    response = await context_store.case_response(db, case.response_id)
    score, comment, brand = "", "", ""
    if response is not None:
        first = next((response[m] for m in SCORE_METRICS if response[m] is not None), None)
        score = "" if first is None else str(first)
        definition = await context_store.version_definition(db, response["survey_version_id"])
        values = await context_store.answer_values(db, case.response_id)
        comment = comment_text(definition, values, question_kinds(svc))
        brands = ((definition or {}).get("settings") or {}).get("brand") or {}
        brand = brands.get(response["locale"] or "") or next(iter(brands.values()), "")
    name = contact.name if contact else ""
    return ReplyContext(
        contact=ReplyContact(
            name=name,
            first_name=name.split()[0] if name.split() else "",
            email=contact.email if contact else "",
            external_id=contact.external_id if contact else "",
            account=account_of(contact.attributes) if contact else "",
            attributes=dict(contact.attributes) if contact else {},
        ),
        survey=(response or {}).get("survey_name") or "",
        checkpoint=case.checkpoint_key or "",
        score=score,
        comment=comment,
        case=ReplyCase(id=case.id, priority=case.priority),
        agent=agent,
        brand=brand or "",
    )


def refusal(contact: Any) -> str | None:
    """Why this contact cannot get a reply by email, or None when they can."""
    if contact is None:
        return "the response is anonymous: there is nobody to write to"
    if contact.erased_at is not None:
        return "the contact was erased: their address is gone"
    if contact.unsubscribed_at is not None:
        return "the contact unsubscribed: they asked not to get our emails"
    if not contact.email:
        return "the contact has no email address"
    return None


async def send_reply(
    svc: Services,
    case_id: str,
    subject: str,
    body: str,
    actor: Actor,
    agent: ReplyPerson,
    *,
    now: datetime | None = None,
) -> Followup:
    """Render the (edited) reply in the sandbox, then queue it and record it together."""
    case = await store.get_case(svc.db, case_id)
    if case is None:
        raise CaseError("id", f"no follow-up {case_id!r}", conflict=True)
    try:
        reply = render_reply(subject, body, await reply_context(svc, case, agent))
    except ReplyError as exc:
        raise CaseError(exc.field, exc.message) from None
    stamp = iso(now or utcnow())
    reply_to = svc.settings.reply_to

    async def unit(tx: Tx) -> Followup:
        current = await store.get_case(tx, case_id)
        assert current is not None
        contact = await get_contact(tx, current.contact_id) if current.contact_id else None
        reason = refusal(contact)
        if reason is not None:
            raise CaseError("contact", reason, conflict=True)
        assert contact is not None
        event_id = new_id()
        message = Message(
            kind="case_reply",
            id=event_id,
            recipient=contact.email,
            recipient_name=contact.name,
            subject=reply.subject,
            text=reply.body,
            reply_to=reply_to,
            locale=contact.locale,
        )
        job_id = await enqueue_job(
            tx,
            REPLY_JOB,
            {
                "followup_id": current.id,
                "event_id": event_id,
                "channel": "email",
                "message": msgspec.to_builtins(message),
            },
            subject_type="followup",
            subject_id=current.id,
            channel="email",
        )
        await store.add_event(
            tx,
            current.id,
            "reply",
            actor_id=actor.user_id,
            body=reply.body,
            detail={
                "subject": reply.subject,
                "to": contact.email,
                "reply_to": reply_to,
                "job_id": job_id,
                "status": "queued",
                "by": actor.label,
            },
            at=stamp,
            event_id=event_id,
        )
        if current.first_action_at is None and actor.user_id is not None:
            await store.update_case(tx, current.id, first_action_at=stamp, updated_at=stamp)
        changed = await store.get_case(tx, current.id)
        assert changed is not None
        return changed

    return await _write_and_wake(svc, unit)


async def run_reply_job(job: Job, svc: Services) -> None:
    from surveyor import DeliveryError

    try:
        message = msgspec.convert(job.payload["message"], Message)
        channel = str(job.payload.get("channel") or "email")
    except (KeyError, msgspec.ValidationError) as exc:
        raise DeliveryError(f"malformed reply job: {exc}", permanent=True) from None
    await send_message(svc, channel, message)


async def reply_sent(tx: Tx, job: Job) -> None:
    await store.update_event_detail(
        tx, str(job.payload.get("event_id", "")), {"status": "sent", "sent_at": iso(utcnow())}
    )


async def reply_failed(tx: Tx, job: Job) -> None:
    await store.update_event_detail(
        tx, str(job.payload.get("event_id", "")), {"status": "failed", "error": job.last_error}
    )


REPLY_KIND = JobKind(
    name=REPLY_JOB,
    run=run_reply_job,
    done_in_tx=reply_sent,
    dead_in_tx=reply_failed,
    max_attempts=REPLY_ATTEMPTS,
)


def delivery_state(detail: dict[str, Any], job: Job | None) -> dict[str, str]:
    """A reply's delivery as the timeline shows it: queued, retrying (with the last
    error), sent, or failed (with the error). The entry's own record wins; the job adds
    what happens between attempts."""
    status = str(detail.get("status") or "queued")
    if status in ("sent", "failed"):
        return {"state": status, "error": str(detail.get("error") or "")}
    if job is not None and job.status == "queued" and job.last_error:
        return {"state": "retrying", "error": job.last_error}
    if job is not None and job.status == "dead":
        return {"state": "failed", "error": job.last_error}
    if job is not None and job.status == "done":
        return {"state": "sent", "error": ""}
    return {"state": "queued", "error": ""}


# -- snoozing --------------------------------------------------------------------------


def snooze_instant(day: str, zone: str, now: datetime) -> str:
    """The start of ``day`` (YYYY-MM-DD) in the workspace's time zone, as UTC ISO;
    CaseError("until") when it is not a date, not in the future or too far ahead."""
    try:
        picked = date.fromisoformat(day.strip())
    except ValueError:
        raise CaseError("until", "use a date like 2026-12-24") from None
    start = datetime.combine(picked, time(0, 0), tzinfo=ZoneInfo(zone))
    if start <= now:
        raise CaseError("until", "pick a day after today")
    if start - now > timedelta(days=MAX_SNOOZE_DAYS):
        raise CaseError("until", f"at most {MAX_SNOOZE_DAYS} days ahead")
    return iso(start)


async def snooze(
    svc: Services, case_id: str, until: str, actor: Actor, *, now: datetime | None = None
) -> Followup:
    """Snooze an open case until the start of ``until`` (a date); empty wakes it now."""
    moment = now or utcnow()
    instant = snooze_instant(until, svc.settings.timezone, moment) if until.strip() else None
    stamp = iso(moment)

    async def unit(tx: Tx) -> Followup:
        case = await store.get_case(tx, case_id)
        if case is None:
            raise CaseError("id", f"no follow-up {case_id!r}", conflict=True)
        if instant is not None and not case.is_open:
            raise CaseError("until", f"a {case.status} case cannot be snoozed", conflict=True)
        awake = case.snoozed_until is None or parse_iso(case.snoozed_until) <= moment
        if instant is None and awake:
            return case
        await store.update_case(tx, case.id, snoozed_until=instant, updated_at=stamp)
        await store.add_event(
            tx,
            case.id,
            "snooze",
            actor_id=actor.user_id,
            body="" if instant else "woken up",
            detail={"until": instant, "day": until.strip(), "by": actor.label},
            at=stamp,
        )
        changed = await store.get_case(tx, case.id)
        assert changed is not None
        return changed

    return await svc.db.write(unit)


# -- bulk changes ----------------------------------------------------------------------


class BulkResult(msgspec.Struct, frozen=True, kw_only=True):
    case_id: str
    ok: bool
    message: str = ""


async def bulk_change(
    svc: Services,
    viewer: Viewer,
    case_ids: list[str],
    action: str,
    actor: Actor,
    *,
    assignee_id: str | None = None,
    status: str = "closed",
    root_cause: str = "",
    outcome: str = "",
) -> list[BulkResult]:
    """Reassign or close every case of ``case_ids`` the viewer may see, each in its own
    unit (and on its own timeline). The request is checked first, so a wrong field
    changes nothing; then a case that cannot take the change is reported, not fatal."""
    ids = list(dict.fromkeys(i for i in case_ids if i))
    if not ids:
        raise CaseError("ids", "select at least one case")
    if len(ids) > MAX_BULK:
        raise CaseError("ids", f"at most {MAX_BULK} cases at once")
    if action == "close":
        if status not in ("resolved", "closed"):
            raise CaseError("status", "resolved or closed")
        causes = service.root_causes(svc.settings)
        if root_cause.strip() not in causes:
            raise CaseError("root_cause", f"pick one of: {', '.join(causes)}")
        if not outcome.strip():
            raise CaseError("outcome", "say what was done for the customer")
        if len(outcome) > service.MAX_NOTE:
            raise CaseError("outcome", f"at most {service.MAX_NOTE} characters")
    elif action == "assign":
        if assignee_id is not None:
            found = (await store.staff_by_ids(svc.db, [assignee_id])).get(assignee_id)
            if found is None or found["disabled"] or found["role"] not in ("manager", "admin"):
                raise CaseError("assignee_id", "not an active manager or admin")
    else:
        raise CaseError("action", "assign or close")
    results: list[BulkResult] = []
    for case_id in ids:
        case = await store.get_case(svc.db, case_id)
        if case is None or not can_see(case, viewer):
            results.append(BulkResult(case_id=case_id, ok=False, message="no such case"))
            continue
        if not case.is_open:
            results.append(
                BulkResult(case_id=case_id, ok=False, message=f"the case is already {case.status}")
            )
            continue
        try:
            if action == "assign":
                await service.assign(svc, case_id, assignee_id, actor)
            else:
                await service.change_status(
                    svc, case_id, status, actor, root_cause=root_cause, outcome=outcome
                )
        except CaseError as exc:
            results.append(BulkResult(case_id=case_id, ok=False, message=exc.message))
        else:
            results.append(BulkResult(case_id=case_id, ok=True))
    return results
