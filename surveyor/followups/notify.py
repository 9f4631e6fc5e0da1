"""Notifications of the closed loop, always through the outbox.

Three moments: a new case (to its owner), an SLA about to breach (to the owner, or the
admins for a queued case) and a breach (owner and admins). Each notice becomes jobs in
the same transaction as the change that caused it: one ``followup.notify`` job for the
Apprise URLs (``SURVEYOR_NOTIFY_URLS`` plus the recipients' own ``notify_url``) and one
email per recipient through the email channel when it is configured. SLA checks are
jobs too (``followup.sla``), queued when the case opens for its warn and due instants;
when one runs it looks at the case again, so a case closed or reopened meanwhile is left
alone. Notice text is plain text: the customer's words can never become markup.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

from surveyor import DeliveryError, Message
from surveyor.db import Tx
from surveyor.delivery.models import Job, JobKind
from surveyor.delivery.store import enqueue_job, enqueue_message
from surveyor.followups import store
from surveyor.followups.context import case_context
from surveyor.followups.models import Followup
from surveyor.ids import parse_iso, utcnow
from surveyor.surveys.kinds import question_kinds

if TYPE_CHECKING:
    from surveyor.services import Services

NOTIFY_JOB = "followup.notify"
SLA_JOB = "followup.sla"
EXCERPT = 280

HEADLINES = {
    "opened": "New follow-up case ({priority}) due {due}",
    "warn": "Follow-up due soon ({priority}): due {due}",
    "breach": "Follow-up overdue ({priority}): was due {due}",
}


def notice_text(
    case: Followup, event: str, *, base_url: str, contact_name: str = "", comment: str = ""
) -> tuple[str, str]:
    """Title and plain-text body of a notice."""
    title = HEADLINES[event].format(priority=case.priority, due=case.due_at[:16].replace("T", " "))
    lines = [title, ""]
    if contact_name:
        lines.append(f"Customer: {contact_name}")
    scores = ", ".join(case.reasons)
    if scores:
        lines.append(f"Why: {scores}")
    if comment:
        short = comment if len(comment) <= EXCERPT else comment[: EXCERPT - 1] + "…"
        lines.append(f"Comment: {short}")
    lines += ["", f"Open the case: {base_url.rstrip('/')}/followups/{case.id}"]
    return title, "\n".join(lines)


def _urls(svc: Services, recipients: list[dict[str, Any]]) -> list[str]:
    urls = [u.strip() for u in svc.settings.notify_urls.split(",") if u.strip()]
    urls += [r["notify_url"] for r in recipients if r.get("notify_url")]
    return list(dict.fromkeys(urls))


async def enqueue_notice(
    tx: Tx,
    svc: Services,
    case: Followup,
    event: str,
    recipients: list[dict[str, Any]],
    *,
    contact_name: str = "",
    comment: str = "",
    stamp: str = "",
) -> int:
    """Queue one notice about ``case`` to ``recipients``; returns how many jobs it added.

    ``stamp`` (e.g. the due time) makes the dedupe keys unique per occurrence, so a
    retried unit never sends twice and a reopened case can warn again.
    """
    title, body = notice_text(
        case, event, base_url=svc.settings.base_url, contact_name=contact_name, comment=comment
    )
    key = f"{case.id}:{event}:{stamp or case.due_at}"
    added = 0
    urls = _urls(svc, recipients)
    if urls:
        await enqueue_job(
            tx,
            NOTIFY_JOB,
            {"title": title, "body": body, "urls": urls},
            dedupe_key=f"{NOTIFY_JOB}:{key}",
            subject_type="followup",
            subject_id=case.id,
            channel="apprise",
        )
        added += 1
    if svc.settings.email_url:
        for person in recipients:
            if not person.get("email"):
                continue
            await enqueue_message(
                tx,
                "email",
                Message(
                    kind="notification",
                    recipient=person["email"],
                    recipient_name=person.get("name") or "",
                    subject=title,
                    text=body,
                    link=svc.settings.url(f"/followups/{case.id}"),
                ),
                dedupe_key=f"followup.email:{key}:{person['id']}",
                subject_type="followup",
                subject_id=case.id,
            )
            added += 1
    return added


async def schedule_sla_checks(tx: Tx, case: Followup) -> None:
    """Queue the warn and breach checks of an open case at its warn and due instants."""
    for stage, when in (("warn", case.warn_at), ("breach", case.due_at)):
        await enqueue_job(
            tx,
            SLA_JOB,
            {"followup_id": case.id, "stage": stage, "due_at": case.due_at},
            run_at=when,
            dedupe_key=f"{SLA_JOB}:{case.id}:{stage}:{case.due_at}",
            subject_type="followup",
            subject_id=case.id,
        )


async def check_sla(
    svc: Services, case_id: str, stage: str, due_at: str, *, now: datetime | None = None
) -> bool:
    """Run one SLA check: if the case is still open, still due at ``due_at`` and the
    moment has come, record it on the timeline and queue the notices. True if it did."""
    moment = now or utcnow()

    async def unit(tx: Tx) -> bool:
        case = await store.get_case(tx, case_id)
        if case is None or not case.is_open or case.due_at != due_at:
            return False
        threshold = case.warn_at if stage == "warn" else case.due_at
        if moment < parse_iso(threshold):
            return False
        owner = (await store.staff_by_ids(tx, [case.assignee_id or ""])).get(case.assignee_id or "")
        admins = await store.admins(tx)
        if stage == "warn":
            recipients = [owner] if owner else admins
            body = "SLA about to be breached"
        else:
            recipients = ([owner] if owner else []) + [
                a for a in admins if a["id"] != case.assignee_id
            ]
            body = "SLA breached: escalated to the admins"
        await store.add_event(tx, case.id, "sla", actor_id=None, body=body, detail={"stage": stage})
        name, comment = await case_context(tx, case, question_kinds(svc))
        await enqueue_notice(
            tx,
            svc,
            case,
            "warn" if stage == "warn" else "breach",
            recipients,
            contact_name=name,
            comment=comment,
        )
        return True

    return await svc.db.write(unit)


async def run_sla_job(job: Job, svc: Services) -> None:
    payload = job.payload
    await check_sla(svc, str(payload["followup_id"]), str(payload["stage"]), str(payload["due_at"]))


async def run_notify_job(job: Job, svc: Services) -> None:
    """Send one notice to every Apprise URL; any URL failing makes the job retry."""
    import apprise  # here: ~4.5 MB with its plugins, only for processes that notify

    urls = [str(u) for u in job.payload.get("urls", [])]
    notifier = apprise.Apprise()
    for url in urls:
        if not notifier.add(url):
            raise DeliveryError(f"not an Apprise URL: {url.split('://')[0]}://…", permanent=True)
    if not urls:
        return
    ok = await asyncio.wait_for(
        notifier.async_notify(
            body=str(job.payload.get("body", "")),
            title=str(job.payload.get("title", "")),
            body_format=apprise.NotifyFormat.TEXT,
        ),
        timeout=60,
    )
    if not ok:
        raise DeliveryError("Apprise could not deliver the notice to every URL")


JOB_KINDS = (
    JobKind(name=NOTIFY_JOB, run=run_notify_job),
    JobKind(name=SLA_JOB, run=run_sla_job),
)
