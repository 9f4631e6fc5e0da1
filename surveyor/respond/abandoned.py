"""Closing abandoned responses (issue 13).

A customer who taps a score in an email and leaves has answered: the page saved that
score with a POST. Such a partial response is closed after ``abandoned_close_hours``
(current step ``(abandoned)``): it completes through the same path as a finished one,
so ``ResponseCompleted`` fires, metrics count it and a follow-up rule may open a case.
Every partial save queues a sweep (``respond.close_abandoned``) for the first 15-minute
slot after the response would count as abandoned; one job per slot, however many
responses ask for it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from surveyor import DeliveryError
from surveyor.contacts.store import get_contact
from surveyor.db import Tx
from surveyor.delivery.models import Job, JobKind
from surveyor.delivery.store import enqueue_job
from surveyor.ids import iso, utcnow
from surveyor.invitations.store import get_invitation
from surveyor.respond import flow, store
from surveyor.respond.completion import on_completion
from surveyor.respond.models import NewResponse
from surveyor.respond.pages import cached_version
from surveyor.surveys.kinds import question_kinds

KIND = "respond.close_abandoned"
EVERY = timedelta(minutes=15)
ABANDONED_STEP = "(abandoned)"


async def close_abandoned_responses(svc: Any, *, now: datetime | None = None) -> int:
    """Close every response abandoned for longer than the setting; returns how many."""
    hours = svc.settings.abandoned_close_hours
    if hours <= 0:
        return 0
    now = now or utcnow()
    closed = 0
    kinds = question_kinds(svc)
    for row in await store.abandoned_responses(svc.db, before=iso(now - timedelta(hours=hours))):
        version = await cached_version(svc, row["survey_version_id"])
        if version is None:
            continue
        new = NewResponse(
            invitation_id=row["invitation_id"],
            resume_hash=None if row["invitation_id"] else row["resume_hash"],
            survey_id=row["survey_id"],
            survey_version_id=row["survey_version_id"],
        )

        async def unit(
            tx: Tx, row: dict[str, Any] = row, new: NewResponse = new, version: Any = version
        ) -> bool:
            answers = await store.get_answers(tx, row["id"])
            contact = await get_contact(tx, row["contact_id"]) if row["contact_id"] else None
            invitation = (
                await get_invitation(tx, row["invitation_id"]) if row["invitation_id"] else None
            )
            result = await store.save_answers_tx(
                tx,
                new,
                {},
                step=ABANDONED_STEP,
                complete=True,
                scores=flow.scores(version.definition, answers, kinds),
                on_complete=on_completion(svc, version, contact=contact, invitation=invitation),
            )
            return result.completed_now

        if await svc.db.write(unit):
            closed += 1
    return closed


def sweep_slot(when: datetime) -> int:
    """The first 15-minute slot boundary after ``when``, as a number."""
    return int(when.timestamp() // EVERY.total_seconds()) + 1


async def schedule_sweep(tx: Tx, when: datetime | int) -> None:
    """A sweep at the first slot boundary after ``when`` (or at slot ``when``); the dedupe
    key makes it one job per slot."""
    slot = when if isinstance(when, int) else sweep_slot(when)
    run_at = datetime.fromtimestamp(slot * EVERY.total_seconds(), tz=UTC)
    await enqueue_job(tx, KIND, {}, run_at=run_at, dedupe_key=f"{KIND}:{slot}")


async def run_close_abandoned(job: Job, svc: Any) -> None:
    try:
        await close_abandoned_responses(svc)
    except Exception as exc:
        raise DeliveryError(f"closing abandoned responses failed: {exc}") from exc


CLOSE_ABANDONED_JOB = JobKind(name=KIND, run=run_close_abandoned, max_attempts=3)
