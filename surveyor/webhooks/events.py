"""Webhook events: what each carries, how it is queued, how a queued one is delivered.

Body (Standard Webhooks' recommended shape)::

    {"type": "response.completed", "timestamp": "2026-…Z", "data": {…}}

``response.completed`` data: the response (ids, checkpoint, channel, times, key scores,
``nps_class`` = promoter | passive | detractor | null), the contact's external id, and
``answers`` in question order, each with its ``label`` and readable ``text``.
``followup.opened`` / ``followup.closed`` data: the case as the follow-up domain passed
it, plus the same ``response`` block when the case names its response.

Queueing: one ``webhook.deliver`` job per matching subscription, deduplicated per
(subscription, event), in the caller's transaction. The job holds the body, not the
secret: at delivery the subscription is read again, so a revoked one stops at once
and a secret never sits in the outbox.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from surveyor import DeliveryError, Message, hookimpl
from surveyor.db import Tx
from surveyor.delivery.channels import send_message
from surveyor.delivery.models import Job, JobKind
from surveyor.delivery.store import enqueue_job
from surveyor.delivery.worker import wake_worker
from surveyor.ids import new_id, now_iso
from surveyor.metrics.labels import labelled_answers, nps_class, version_labels
from surveyor.surveys.kinds import DEFAULT_KINDS, KindRegistry, question_kinds
from surveyor.webhooks.store import active_for_event, subscription_secret

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


async def response_data(
    tx: Tx, response: Any, kinds: KindRegistry = DEFAULT_KINDS
) -> dict[str, Any]:
    """The ``response`` block of an event: scores, NPS class and labelled answers."""
    rows = await tx.fetch_all(
        "SELECT question_id, value FROM answers WHERE response_id = ?", (response.id,)
    )
    answers = {row["question_id"]: msgspec.json.decode(row["value"]) for row in rows}
    labels = (await version_labels(tx, version_ids=[response.survey_version_id])).get(
        response.survey_version_id
    )
    contact = None
    if response.contact_id:
        contact = await tx.fetch_val(
            "SELECT external_id FROM contacts WHERE id = ?", (response.contact_id,)
        )
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


async def on_response_complete(tx: Tx, response: Any) -> None:
    """Runs inside the unit that completes a response (``on_response_complete_tx``), so
    the webhook is committed with the response or not at all."""
    if not await active_for_event(tx, "response.completed"):
        return
    data = {"response": await response_data(tx, response)}
    await enqueue_event(tx, "response.completed", data, event_key=response.id)


# -- follow-up events (hooks of the follow-up domain, run after commit) -----------------


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _case_data(case: Any) -> dict[str, Any]:
    try:
        return msgspec.to_builtins(case)
    except TypeError:
        return {"id": str(_field(case, "id"))}


async def publish_followup(services: Any, event_type: str, case: Any) -> None:
    """Queue a follow-up event (after the follow-up's own commit) and wake the worker."""
    data: dict[str, Any] = {"followup": _case_data(case)}
    response_id = _field(case, "response_id")
    case_id = str(_field(case, "id"))

    async def unit(tx: Tx) -> list[str]:
        if not await active_for_event(tx, event_type):
            return []
        if response_id:
            from surveyor.respond.store import get_response

            response = await get_response(tx, response_id)
            if response is not None:
                data["response"] = await response_data(tx, response, question_kinds(services))
        return await enqueue_event(tx, event_type, data, event_key=case_id)

    if await services.db.write(unit):
        wake_worker(services)


class FollowupWebhooks:
    """The follow-up domain's hooks, bound to one app's services.

    Why an object registered at start-up: ``followup_opened(followup, contact)`` does not
    pass the services, and the webhooks need the database to queue their jobs.
    """

    def __init__(self, services: Any) -> None:
        self.services = services

    @hookimpl
    async def followup_opened(self, followup: Any, contact: Any) -> None:
        await publish_followup(self.services, "followup.opened", followup)

    @hookimpl
    async def followup_closed(self, followup: Any, contact: Any) -> None:
        await publish_followup(self.services, "followup.closed", followup)


# -- delivery -----------------------------------------------------------------------------


async def deliver(job: Job, services: Any) -> None:
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
    await send_message(services, "webhook", message)


DELIVER_JOB = JobKind(name=JOB_KIND, run=deliver)
