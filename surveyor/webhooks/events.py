"""Webhook events: what each carries, how it is queued, how a queued one is delivered.

Body (Standard Webhooks' recommended shape)::

    {"type": "response.completed", "timestamp": "2026-…Z", "data": {…}}

``response.completed`` data: the response (ids, checkpoint, channel, times, key scores,
``nps_class`` = promoter | passive | detractor | null), the contact's external id, and
``answers`` in question order, each with its ``label`` and readable ``text``.
``followup.opened`` / ``followup.closed`` data: the case as the follow-up domain passed
it, plus the same ``response`` block when the case names its response.

Queueing: one ``webhook.deliver`` job per matching subscription, deduplicated per
(subscription, event), in the transaction that made the change (in-transaction
listeners of ``ResponseCompleted``, ``FollowupOpened`` and ``FollowupClosed``). The job holds the body, not the
secret: at delivery the subscription is read again, so a revoked one stops at once
and a secret never sits in the outbox.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import msgspec

from surveyor import DeliveryError, Message
from surveyor.contacts.store import get_contact
from surveyor.db import Database, Tx
from surveyor.delivery.channels import send_message
from surveyor.delivery.models import Job, JobKind
from surveyor.delivery.store import enqueue_job, get_job
from surveyor.events import FollowupClosed, FollowupOpened, ResponseCompleted
from surveyor.followups.models import Followup
from surveyor.ids import new_id, now_iso
from surveyor.metrics.labels import (
    VersionLabels,
    labelled_answers,
    labels_of,
    nps_class,
    version_labels,
)
from surveyor.respond.models import Response
from surveyor.respond.store import get_answers, get_response
from surveyor.surveys.kinds import DEFAULT_KINDS, KindRegistry
from surveyor.webhooks.store import active_for_event, revoke_subscription, subscription_secret

if TYPE_CHECKING:
    from surveyor.services import Services

log = logging.getLogger("surveyor.webhooks")
JOB_KIND = "webhook.deliver"
SUBJECT = "webhook_subscription"


async def enqueue_event(
    tx: Tx, event_type: str, data: dict[str, Any], *, event_key: str
) -> list[str]:
    """Queue ``event_type`` for every active subscription that wants it; returns job ids.

    ``event_key`` identifies the event (e.g. the response id): the same event queued
    twice for one subscription gives one delivery.
    """
    subscriptions = await active_for_event(tx, event_type)
    if not subscriptions:
        return []
    body = {"type": event_type, "timestamp": now_iso(), "data": data}
    jobs = []
    for subscription_id in subscriptions:
        jobs.append(
            await enqueue_job(
                tx,
                JOB_KIND,
                # message_id is the webhook-id: the same on every retry of this delivery.
                {"subscription_id": subscription_id, "message_id": new_id(), "body": body},
                dedupe_key=f"webhook:{subscription_id}:{event_type}:{event_key}",
                subject_type=SUBJECT,
                subject_id=subscription_id,
                channel="webhook",
            )
        )
    return jobs


def response_block(
    response: Response,
    answers: dict[str, Any],
    labels: VersionLabels | None,
    contact: str | None,
    kinds: KindRegistry = DEFAULT_KINDS,
) -> dict[str, Any]:
    """The ``response`` block of an event: scores, NPS class and labelled answers."""
    return {
        "id": response.id,
        "survey_id": response.survey_id,
        "survey_version": labels.number if labels else None,
        "survey_title": labels.title if labels else "",
        "checkpoint": response.checkpoint_key,
        "channel": response.channel,
        "locale": response.locale,
        "contact": contact,
        "started_at": response.started_at,
        "completed_at": response.completed_at,
        "scores": {
            "nps": response.nps,
            "ces": response.ces,
            "csat": response.csat,
            "emotion": response.emotion,
        },
        "nps_class": nps_class(response.nps),
        "answers": labelled_answers(labels, answers, kinds),
    }


async def response_data(
    tx: Tx, response_id: str, kinds: KindRegistry = DEFAULT_KINDS
) -> dict[str, Any] | None:
    """The ``response`` block of a stored response (for follow-up events), or None."""
    response = await get_response(tx, response_id)
    if response is None:
        return None
    answers = await get_answers(tx, response.id)
    labels = (await version_labels(tx, version_ids=[response.survey_version_id])).get(
        response.survey_version_id
    )
    found = await get_contact(tx, response.contact_id) if response.contact_id else None
    contact = found.external_id if found else None
    return response_block(response, answers, labels, contact, kinds)


async def on_response_completed(
    tx: Tx, event: ResponseCompleted, kinds: KindRegistry = DEFAULT_KINDS
) -> None:
    """In-transaction listener: the webhook is committed with the response or not at all.
    Everything it says comes from the event; nothing is read again."""
    if not await active_for_event(tx, "response.completed"):
        return
    version = event.version
    labels = labels_of(version.id, version.survey_id, version.number, version.definition)
    contact = event.contact.external_id if event.contact else None
    data = {"response": response_block(event.response, event.values(), labels, contact, kinds)}
    await enqueue_event(tx, "response.completed", data, event_key=event.response.id)


# -- follow-up events (queued in the unit that changed the case) ------------------------


async def publish_followup(
    tx: Tx, event_type: str, case: Followup, kinds: KindRegistry = DEFAULT_KINDS
) -> list[str]:
    """Queue a follow-up event in the caller's unit (the one that changed the case)."""
    if not await active_for_event(tx, event_type):
        return []
    data: dict[str, Any] = {"followup": msgspec.to_builtins(case)}
    if case.response_id:
        block = await response_data(tx, case.response_id, kinds)
        if block is not None:
            data["response"] = block
    return await enqueue_event(tx, event_type, data, event_key=case.id)


async def on_followup_opened(
    tx: Tx, event: FollowupOpened, kinds: KindRegistry = DEFAULT_KINDS
) -> None:
    await publish_followup(tx, "followup.opened", event.followup, kinds)


async def on_followup_closed(
    tx: Tx, event: FollowupClosed, kinds: KindRegistry = DEFAULT_KINDS
) -> None:
    await publish_followup(tx, "followup.closed", event.followup, kinds)


async def redeliver(db: Database, subscription_id: str, job_id: str) -> str | None:
    """Queue one past delivery of a subscription again: the same body under a new
    webhook-id (a receiver that deduplicates by id would drop the old one). Returns the
    new job's id; None when ``job_id`` is not a delivery of that subscription."""

    async def unit(tx: Tx) -> str | None:
        job = await get_job(tx, job_id)
        if (
            job is None
            or job.kind != JOB_KIND
            or job.subject_type != SUBJECT
            or job.subject_id != subscription_id
        ):
            return None
        payload = {**job.payload, "message_id": new_id()}
        return await enqueue_job(
            tx,
            JOB_KIND,
            payload,
            subject_type=SUBJECT,
            subject_id=subscription_id,
            channel="webhook",
        )

    return await db.write(unit)


# -- delivery -----------------------------------------------------------------------------


async def deliver(job: Job, services: Services) -> None:
    """The ``webhook.deliver`` job: sign and POST the body through the webhook channel."""
    try:
        subscription_id = str(job.payload["subscription_id"])
        body = dict(job.payload["body"])
        message_id = str(job.payload["message_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DeliveryError(f"malformed webhook job: {exc}", permanent=True) from None
    found = await subscription_secret(services.db, subscription_id)
    if found is None:
        raise DeliveryError("webhook subscription revoked or deleted", permanent=True)
    url, secret = found
    message = Message(kind="webhook", id=message_id, recipient=url, secret=secret, payload=body)
    try:
        await send_message(services, "webhook", message)
    except DeliveryError as exc:
        if exc.status == 410:
            # 410 Gone: the receiver says the endpoint will not come back.
            await revoke_subscription(services.db, subscription_id, actor_label="HTTP 410 Gone")
            log.warning("webhook subscription %s disabled: its URL answered 410", subscription_id)
        raise


DELIVER_JOB = JobKind(name=JOB_KIND, run=deliver)
