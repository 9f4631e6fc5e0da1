"""A contact's history and a response's context, assembled from the rooms' rows for the
API, the pages and the subject access export (the same answer everywhere)."""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.contacts.models import Contact
from surveyor.contacts.store import contact_from_row
from surveyor.db import Database
from surveyor.invitations import store as invitations_store
from surveyor.metrics.labels import labelled_answers, version_labels
from surveyor.records import store
from surveyor.respond.models import Response
from surveyor.respond.store import get_answers
from surveyor.surveys.kinds import KindRegistry


class ResponseOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    survey_id: str
    survey_version_id: str
    checkpoint_key: str | None
    channel: str
    locale: str
    status: str
    started_at: str
    completed_at: str | None
    nps: int | None
    ces: int | None
    csat: int | None
    emotion: int | None
    contact_id: str | None
    contact_external_id: str | None
    invitation_id: str | None
    public_slug: str | None
    comment: str


class AnswerOut(msgspec.Struct, frozen=True, kw_only=True):
    question_id: str
    kind: str
    label: str
    value: Any
    text: str


class ResponseDetail(ResponseOut, frozen=True, kw_only=True):
    answers: list[AnswerOut]
    hidden: dict[str, Any]
    invitation: dict[str, Any] | None
    case: dict[str, Any] | None
    # Plugins' data on the response, by plugin (``services.response_extensions``).
    extras: dict[str, Any] = {}


class ResponseList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ResponseOut]
    next_cursor: str | None


class ContactOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    external_id: str
    email: str
    phone: str
    name: str
    locale: str
    timezone: str
    attributes: dict[str, Any]
    unsubscribed_at: str | None
    erased_at: str | None
    created_at: str
    updated_at: str


class ContactList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ContactOut]
    next_cursor: str | None


class TimelineEntry(msgspec.Struct, frozen=True, kw_only=True):
    at: str
    kind: str  # event | invitation | response | case | audit
    id: str
    summary: str
    detail: dict[str, Any] = {}


class ContactHistory(ContactOut, frozen=True, kw_only=True):
    events: list[dict[str, Any]]
    invitations: list[dict[str, Any]]
    responses: list[ResponseOut]
    cases: list[dict[str, Any]]
    timeline: list[TimelineEntry]


def contact_out(contact: Contact | dict[str, Any]) -> ContactOut:
    if isinstance(contact, dict):
        contact = store_contact(contact)
    return msgspec.convert(msgspec.structs.asdict(contact), ContactOut)


def store_contact(row: dict[str, Any]) -> Contact:
    return contact_from_row(row)


async def response_outputs(db: Database, responses: list[Response]) -> list[ResponseOut]:
    ids = [r.id for r in responses]
    comments = await store.comments_of(db, ids)
    externals = await store.external_ids(db, [r.contact_id or "" for r in responses])
    return [
        ResponseOut(
            id=r.id,
            survey_id=r.survey_id,
            survey_version_id=r.survey_version_id,
            checkpoint_key=r.checkpoint_key,
            channel=r.channel,
            locale=r.locale,
            status=r.status,
            started_at=r.started_at,
            completed_at=r.completed_at,
            nps=r.nps,
            ces=r.ces,
            csat=r.csat,
            emotion=r.emotion,
            contact_id=r.contact_id,
            contact_external_id=externals.get(r.contact_id or ""),
            invitation_id=r.invitation_id,
            public_slug=r.public_slug,
            comment=comments.get(r.id, ""),
        )
        for r in responses
    ]


async def response_detail(db: Database, response: Response, kinds: KindRegistry) -> ResponseDetail:
    (base,) = await response_outputs(db, [response])
    labels = (await version_labels(db, version_ids=[response.survey_version_id], kinds=kinds)).get(
        response.survey_version_id
    )
    answers = labelled_answers(labels, await get_answers(db, response.id), kinds)
    invitation = None
    if response.invitation_id:
        invitation = next(
            (
                i
                for i in await invitations_store.history_for_contact(db, response.contact_id or "")
                if i["id"] == response.invitation_id
            ),
            None,
        )
    case = await store.case_for_response(db, response.id)
    return ResponseDetail(
        **msgspec.structs.asdict(base),
        answers=[msgspec.convert(a, AnswerOut) for a in answers],
        hidden=response.hidden,
        invitation=invitation,
        case=case,
    )


async def response_extras(
    extensions: list[Any], db: Database, response_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """``{response id: {extension name: its data}}`` from the plugins' extensions."""
    out: dict[str, dict[str, Any]] = {}
    for ext in extensions:
        for rid, data in (await ext.extras(db, response_ids)).items():
            out.setdefault(rid, {})[ext.name] = data
    return out


def export_extras(extensions: list[Any], db: Database) -> Any:
    """The exports' ``extras`` argument (``metrics.export.ExtraSource``), or None."""
    if not extensions:
        return None
    columns = [(ext.name, key) for ext in extensions for key in ext.columns]

    async def fetch(ids: list[str]) -> dict[str, dict[str, Any]]:
        return await response_extras(extensions, db, ids)

    return (columns, fetch)


def _timeline(
    events: list[dict[str, Any]],
    invitations: list[dict[str, Any]],
    responses: list[ResponseOut],
    cases: list[dict[str, Any]],
    audit: list[dict[str, Any]],
) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            at=e["created_at"],
            kind="event",
            id=e["id"],
            summary=f"{e['checkpoint_key']}: {e['decision']} ({e['reason']})",
            detail={
                "checkpoint": e["checkpoint_key"],
                "decision": e["decision"],
                "reason": e["reason"],
            },
        )
        for e in events
    ]
    entries += [
        TimelineEntry(
            at=i["created_at"],
            kind="invitation",
            id=i["id"],
            summary=f"{i['channel'] or 'invitation'}: {i['status']}"
            + (f", delivery {i['delivery_status']}" if i.get("delivery_status") else ""),
            detail={
                "status": i["status"],
                "delivery_status": i.get("delivery_status"),
                "delivery_error": i.get("delivery_error") or "",
            },
        )
        for i in invitations
    ]
    entries += [
        TimelineEntry(
            at=r.started_at,
            kind="response",
            id=r.id,
            summary=f"{r.status}" + (f", NPS {r.nps}" if r.nps is not None else ""),
        )
        for r in responses
    ]
    entries += [
        TimelineEntry(
            at=c["created_at"],
            kind="case",
            id=c["id"],
            summary=f"{c['priority']} case, {c['status']}",
        )
        for c in cases
    ]
    entries += [
        TimelineEntry(at=a["at"], kind="audit", id="", summary=f"{a['action']} by {a['actor']}")
        for a in audit
    ]
    return sorted(entries, key=lambda e: (e.at, e.kind))


async def contact_history(db: Database, contact: Contact) -> ContactHistory:
    events = await store.contact_events(db, contact.id)
    invitations = await invitations_store.history_for_contact(db, contact.id)
    responses = await response_outputs(db, await store.contact_responses(db, contact.id))
    cases = await store.contact_cases(db, contact.id)
    audit = await store.contact_audit(db, contact.id)
    return ContactHistory(
        **msgspec.structs.asdict(contact_out(contact)),
        events=events,
        invitations=invitations,
        responses=responses,
        cases=cases,
        timeline=_timeline(events, invitations, responses, cases, audit),
    )


async def subject_export(db: Database, contact: Contact, kinds: KindRegistry) -> dict[str, Any]:
    """Everything held about one contact (the right of access), as plain JSON data."""
    history = await contact_history(db, contact)
    detailed = [
        await response_detail(db, r, kinds) for r in await store.contact_responses(db, contact.id)
    ]
    return {
        "contact": msgspec.to_builtins(contact_out(contact)),
        "events": history.events,
        "invitations": history.invitations,
        "responses": msgspec.to_builtins(detailed),
        "cases": history.cases,
        "timeline": msgspec.to_builtins(history.timeline),
    }
