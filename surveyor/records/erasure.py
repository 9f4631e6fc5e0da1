"""Erasing a contact (the right to erasure) and the retention job that anonymises old data.

One unit of work does it all, so a crash half-way (even ``kill -9``) leaves either the
whole erasure or nothing, and running it again finishes it. Every table's owner erases
its own rows (contacts, invitations, responses' answers, events, cases, the outbox, the
audit log); this module only decides what goes:

* the contact's email, phone, name, locale, time zone and attributes (the row and its
  external id stay, so a later event for that id is suppressed with reason ``erased``
  until an admin re-creates it, :func:`recreate_contact`);
* free-text answers (comments) of their responses, the responses' hidden fields, the
  search index's copy; the key scores stay, so every metric is unchanged;
* invitations' property snapshots; the ones not sent yet are expired and their jobs
  cancelled; the outbox's payloads and errors about them (message bodies, addresses);
* events' property snapshots (their decision and reason stay: the contact's history);
* any copy of the email, phone, name or a comment in case notes, other jobs and the
  audit log, replaced by ``[erased]``.

The audit log gets one ``contact.erase`` entry naming who erased which contact id, with
counts only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec

from surveyor.auth import store as auth_store
from surveyor.checkpoints import store as checkpoints_store
from surveyor.contacts import store as contacts_store
from surveyor.db import Tx
from surveyor.delivery import store as delivery_store
from surveyor.delivery.models import Job, JobKind
from surveyor.events import ContactErased
from surveyor.followups import store as followups_store
from surveyor.ids import iso, now_iso, utcnow
from surveyor.invitations import store as invitations_store
from surveyor.metrics.labels import version_labels
from surveyor.records import erasure_store, store
from surveyor.respond import store as respond_store
from surveyor.services import Services
from surveyor.surveys.kinds import question_kinds

ERASED = "[erased]"
RETENTION_KIND = "records.retention"
RETENTION_BATCH = 200
MIN_NEEDLE = 3  # shorter strings would blank unrelated text ("Al" in "Also")


class ContactNotFound(Exception):
    def __init__(self, contact_id: str) -> None:
        super().__init__(f"id: no contact {contact_id!r}")


class ContactAlreadyErased(Exception):
    def __init__(self, contact_id: str) -> None:
        super().__init__(f"id: contact {contact_id!r} was already erased")


class ErasureReport(msgspec.Struct, frozen=True, kw_only=True):
    contact_id: str
    erased_at: str
    responses: int
    answers_blanked: int
    invitations: int
    cases: int
    jobs: int


async def _comments(
    svc: Services, tx: Tx, response_ids_versions: list[tuple[str, str]], personal: list[str]
) -> tuple[list[tuple[str, str]], list[str]]:
    """``(response id, question id)`` of every free-text answer to blank, and their texts.

    A text answer counts when its question's kind says its answers are comments, or when
    it repeats the contact's email, phone or name."""
    versions = sorted({v for _, v in response_ids_versions})
    labels = await version_labels(tx, version_ids=versions, kinds=question_kinds(svc))
    targets: list[tuple[str, str]] = []
    texts: list[str] = []
    for response_id, version_id in response_ids_versions:
        version = labels.get(version_id)
        comment_ids = version.text_question_ids() if version else set()
        for question_id, value in (await respond_store.get_answers(tx, response_id)).items():
            if not isinstance(value, str) or not value:
                continue
            if question_id in comment_ids or any(p and p in value for p in personal):
                targets.append((response_id, question_id))
                texts.append(value)
    return targets, texts


def _needles(values: list[str]) -> list[str]:
    # Longest first, so a comment that contains the name is replaced whole.
    return sorted({v for v in values if len(v) >= MIN_NEEDLE}, key=len, reverse=True)


async def erase_in(
    svc: Services, tx: Tx, contact_id: str, *, actor: Any = None, actor_label: str = ""
) -> ErasureReport:
    """Erase one contact inside ``tx`` (see the module docstring)."""
    contact = await contacts_store.get_contact(tx, contact_id)
    if contact is None:
        raise ContactNotFound(contact_id)
    if contact.erased_at is not None:
        raise ContactAlreadyErased(contact_id)
    now = now_iso()
    personal = [p for p in (contact.email, contact.phone, contact.name) if p]
    responses = await respond_store.responses_of_contact(tx, contact.id)
    response_ids = [r.id for r in responses]
    targets, texts = await _comments(
        svc, tx, [(r.id, r.survey_version_id) for r in responses], personal
    )
    needles = _needles([*personal, *texts])
    # The row update is the claim: a concurrent erasure of the same contact finds
    # nothing left to update and rolls back.
    if not await contacts_store.erase_contact(tx, contact.id, now):
        raise ContactAlreadyErased(contact_id)
    await respond_store.blank_answers(tx, targets, now)
    await respond_store.blank_hidden(tx, response_ids)
    await erasure_store.blank_search_text(tx, response_ids)
    invitation_ids = await invitations_store.erase_for_contact(tx, contact.id, now)
    await checkpoints_store.erase_event_data(tx, contact.id)
    cases = await followups_store.erase_case_text(tx, contact.id, needles, ERASED)
    case_ids = [c["id"] for c in await store.contact_cases(tx, contact.id)]
    jobs = await delivery_store.erase_job_data(
        tx,
        subject_ids=[*invitation_ids, *response_ids, *case_ids],
        mentions=[contact.id],
        needles=needles,
    )
    await auth_store.erase_from_audit(tx, needles, ERASED)
    event = ContactErased(
        contact_id=contact.id,
        external_id=contact.external_id,
        response_ids=response_ids,
        erased_at=now,
    )
    for listener in svc.tx_listeners.contact_erased:
        await listener(tx, event)
    report = ErasureReport(
        contact_id=contact.id,
        erased_at=now,
        responses=len(response_ids),
        answers_blanked=len(targets),
        invitations=len(invitation_ids),
        cases=cases,
        jobs=jobs,
    )
    await auth_store.audit(
        tx,
        "contact.erase",
        actor=actor,
        actor_label=actor_label,
        target_type="contact",
        target_id=contact.id,
        detail={
            "responses": report.responses,
            "answers": report.answers_blanked,
            "invitations": report.invitations,
            "cases": report.cases,
            "jobs": report.jobs,
        },
    )
    return report


async def erase_contact(
    svc: Services, contact_id: str, *, actor: Any = None, actor_label: str = ""
) -> ErasureReport:
    """Erase one contact in a unit of its own; raises ContactNotFound/ContactAlreadyErased."""

    async def unit(tx: Tx) -> ErasureReport:
        return await erase_in(svc, tx, contact_id, actor=actor, actor_label=actor_label)

    return await svc.db.write(unit)


class ContactNotErased(Exception):
    def __init__(self, external_id: str) -> None:
        super().__init__(f"external_id: contact {external_id!r} is not erased")


class Recreation(msgspec.Struct, frozen=True, kw_only=True):
    external_id: str
    contact_id: str  # the new contact
    erased_contact_id: str  # the erased one, which keeps its history, anonymised
    recreated_at: str


async def recreate_contact(
    svc: Services, external_id: str, *, actor: Any = None, actor_label: str = ""
) -> Recreation:
    """Lift the erased marker from an external id: the erased contact row gives the id up
    (it stays erased and anonymised, under ``erased:<its id>``) and a new, empty contact
    takes it, so the next event for that id is decided normally. Raises ContactNotFound
    for an unknown external id and ContactNotErased when its contact is not erased."""

    async def unit(tx: Tx) -> Recreation:
        old = await contacts_store.get_contact_by_external_id(tx, external_id)
        if old is None:
            raise ContactNotFound(external_id)
        if old.erased_at is None:
            raise ContactNotErased(external_id)
        now = now_iso()
        if not await contacts_store.release_external_id(tx, old.id, now):
            raise ContactNotErased(external_id)  # a concurrent re-creation won
        new = await contacts_store.upsert_contact(tx, external_id)
        await auth_store.audit(
            tx,
            "contact.recreate",
            actor=actor,
            actor_label=actor_label,
            target_type="contact",
            target_id=new.id,
            detail={"erased_contact_id": old.id},
        )
        return Recreation(
            external_id=external_id,
            contact_id=new.id,
            erased_contact_id=old.id,
            recreated_at=now,
        )

    return await svc.db.write(unit)


# -- retention ---------------------------------------------------------------------------


class RetentionReport(msgspec.Struct, frozen=True, kw_only=True):
    cutoff: str
    responses: int
    contacts: int


async def apply_retention(svc: Services, days: int) -> RetentionReport | None:
    """Anonymise what is older than ``days``: comments of responses started before the
    cutoff, and contacts with nothing (event, invitation, response) since it. One batch
    per unit; the run is logged in ``retention_runs``. ``days <= 0`` keeps everything."""
    if days <= 0:
        return None
    cutoff = iso(utcnow() - timedelta(days=days))
    total_responses = total_contacts = 0
    kinds = question_kinds(svc)
    while True:

        async def batch(tx: Tx) -> tuple[int, int]:
            ids = await erasure_store.responses_older_than(tx, cutoff, RETENTION_BATCH)
            rows = [await respond_store.get_response(tx, rid) for rid in ids]
            pairs = [(r.id, r.survey_version_id) for r in rows if r is not None]
            versions = sorted({v for _, v in pairs})
            labels = await version_labels(tx, version_ids=versions, kinds=kinds)
            targets = []
            for response_id, version_id in pairs:
                version = labels.get(version_id)
                comment_ids = version.text_question_ids() if version else set()
                answers = await respond_store.get_answers(tx, response_id)
                targets += [(response_id, q) for q in answers if q in comment_ids]
            now = now_iso()
            await respond_store.blank_answers(tx, targets, now)
            await erasure_store.blank_search_text(tx, ids)
            contacts = await invitations_store.contacts_idle_since(tx, cutoff, RETENTION_BATCH)
            for contact_id in contacts:
                await erase_in(svc, tx, contact_id, actor_label="retention")
            return len(ids), len(contacts)

        done_responses, done_contacts = await svc.db.write(batch)
        total_responses += done_responses
        total_contacts += done_contacts
        if done_responses < RETENTION_BATCH and done_contacts < RETENTION_BATCH:
            break

    async def log(tx: Tx) -> None:
        await erasure_store.log_retention_run(tx, cutoff, total_responses, total_contacts)

    await svc.db.write(log)
    return RetentionReport(cutoff=cutoff, responses=total_responses, contacts=total_contacts)


async def schedule_retention(svc: Services, *, after: timedelta = timedelta(0)) -> None:
    """Queue the next daily retention run (one per day, whatever the number of processes)."""
    if svc.settings.retention_days <= 0:
        return
    when = utcnow() + after

    async def unit(tx: Tx) -> None:
        await delivery_store.enqueue_job(
            tx,
            RETENTION_KIND,
            {},
            run_at=when,
            dedupe_key=f"retention:{when.date().isoformat()}",
        )

    await svc.db.write(unit)


async def run_retention(job: Job, svc: Services) -> None:
    await apply_retention(svc, svc.settings.retention_days)
    await schedule_retention(svc, after=timedelta(days=1))


RETENTION_JOB = JobKind(name=RETENTION_KIND, run=run_retention)
