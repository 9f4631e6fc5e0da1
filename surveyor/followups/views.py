"""The follow-up inbox and the case page (HTML + htmx), for managers and admins.

Every handler that takes a case id loads the case and checks ``can_see`` before it reads
anything else or changes anything, so a page, a fragment URL or a form post for another
manager's case gets the same 404 (no hint that the case exists).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from surveyor.auth.guards import current_user, staff
from surveyor.contacts.store import get_contact
from surveyor.delivery.store import deliveries_for_subject
from surveyor.followups import context_store, service, store, workbench_store
from surveyor.followups.models import CASE_STATUSES, PRIORITIES, Followup
from surveyor.followups.service import Actor, CaseError, can_see, viewer_for
from surveyor.followups.sla import sla_state
from surveyor.followups.store import CaseFilter
from surveyor.followups.workbench_context import inbox_rows, workbench_context
from surveyor.ids import now_iso, parse_iso, utcnow
from surveyor.services import services
from surveyor.surveys.kinds import KindRegistry, question_kinds
from surveyor.surveys.logic import recall_plain, text_for
from surveyor.surveys.models import SurveyDefinition
from surveyor.web.forms import read_form
from surveyor.web.templating import render

Req = Request[Any, Any, Any]
STATUS_LABELS = {
    "new": "New",
    "in_progress": "In progress",
    "waiting": "Waiting on customer",
    "resolved": "Resolved",
    "closed": "Closed (not resolved)",
}


VIEW_FIELDS = ("scope", "status", "priority", "overdue", "checkpoint", "survey", "owner")


def view_query(f: dict[str, Any]) -> str:
    """The inbox's filters as a query string (what a saved view stores)."""
    pairs = {k: ("1" if f[k] is True else "" if f[k] is False else str(f[k])) for k in VIEW_FIELDS}
    return urlencode({k: v for k, v in pairs.items() if v})


def badge(case: Followup) -> str:
    now = utcnow()
    closed = case.resolved_at or case.closed_at
    return sla_state(
        parse_iso(case.due_at),
        now,
        warn_from=parse_iso(case.warn_at),
        closed_at=parse_iso(closed) if closed else None,
    )


async def visible_case(request: Req, case_id: str) -> Followup:
    """The case, if the signed-in user may see it; 404 otherwise (also for fragments)."""
    case = await store.get_case(services(request).db, case_id)
    if case is None or not can_see(case, viewer_for(current_user(request))):
        raise NotFoundException(detail="no such follow-up, or it is not yours to see")
    return case


def answer_rows(
    definition: dict[str, Any], answers: dict[str, Any], locale: str, kinds: KindRegistry
) -> list[dict[str, Any]]:
    """Each answered question with its label, in survey order, printed by its kind."""
    import msgspec

    parsed = msgspec.convert(definition, SurveyDefinition)
    default = parsed.default_locale
    brand = text_for(parsed.settings.brand, locale, default)
    rows = []
    for q in parsed.questions:
        if q.id not in answers:
            continue
        kind = kinds.get(q.kind)
        value = answers[q.id]
        bounds = kind.numeric_range(q) if kind is not None else None
        numeric = bounds is not None and isinstance(value, int) and not isinstance(value, bool)
        rows.append(
            {
                "label": recall_plain(text_for(q.text, locale, default), brand=brand) or q.id,
                "kind": q.kind,
                "comment": bool(kind and kind.comment),
                "value": kinds.answer_text(q, value, locale),
                # A score with its scale and the survey's own words at both ends.
                "score": value if numeric else None,
                "scale": bounds if numeric else None,
                "low_label": recall_plain(text_for(q.low_label, locale, default), brand=brand),
                "high_label": recall_plain(text_for(q.high_label, locale, default), brand=brand),
            }
        )
    return rows


async def case_context(request: Req, case: Followup) -> dict[str, Any]:
    svc = services(request)
    db = svc.db
    contact = await get_contact(db, case.contact_id) if case.contact_id else None
    response = await context_store.case_response(db, case.response_id)
    answers: list[dict[str, Any]] = []
    if response is not None:
        definition = await context_store.version_definition(db, response["survey_version_id"])
        values = await context_store.answer_values(db, case.response_id)
        if definition is not None:
            answers = answer_rows(
                definition, values, response["locale"] or "en", question_kinds(svc)
            )
    earlier: list[dict[str, Any]] = []
    if contact is not None:
        earlier = await context_store.earlier_responses(db, contact.id, exclude=case.response_id)
    deliveries = await delivery_history(db, response["invitation_id"] if response else None)
    events = await store.timeline(db, case.id)
    people = await store.staff_by_ids(
        db, [case.assignee_id or "", *(e.actor_id or "" for e in events)]
    )
    viewer = viewer_for(current_user(request))
    others = await store.cases_for_contact(db, contact.id, exclude=case.id) if contact else []
    return {
        **await workbench_context(svc, case, contact, events),
        "case": case,
        "recovery": await recovery_state(db, case, events),
        "sla": badge(case),
        "contact": contact,
        "response": response,
        "answers": answers,
        "comment": "\n\n".join(a["value"] for a in answers if a["comment"]),
        "earlier_responses": earlier,
        # Only cases this user may open are listed; colleagues' cases are only counted.
        "earlier_cases": [c for c in others if can_see(c, viewer)],
        "hidden_cases": sum(1 for c in others if not can_see(c, viewer)),
        "deliveries": deliveries,
        "events": events,
        "people": people,
        "assignable": await store.assignable_users(db),
        "root_causes": service.root_causes(svc.settings),
        "status_labels": STATUS_LABELS,
        "next_statuses": sorted(service.TRANSITIONS[case.status], key=CASE_STATUSES.index),
        "error": "",
    }


SUPPRESSED = ("unsubscribed", "erased", "no reachable contact", "no published survey")


async def recovery_state(db: Any, case: Followup, events: list[Any]) -> dict[str, Any] | None:
    """What became of the case's recovery survey, truthfully: ``state`` is one of
    scheduled, waiting, sent, opened, answered, expired, suppressed, failed."""
    if not case.recovery_invitation_id:
        for event in reversed(events):
            body = getattr(event, "body", "") or ""
            if event.kind == "recovery" and body.startswith("recovery survey not sent"):
                return {"state": "suppressed", "reason": body.partition(": ")[2]}
        return None
    row = await context_store.recovery_invitation(db, case.recovery_invitation_id)
    if row is None:
        return None
    jobs = await deliveries_for_subject(db, "invitation", case.recovery_invitation_id)
    send = next((job for job, _ in jobs if job.kind == "invitation.send"), None)
    out: dict[str, Any] = {"channel": row["channel"], "send_at": row["send_at"], "reason": ""}
    status = row["status"]
    if status == "answered":
        score = next(
            (row[m] for m in ("nps", "ces", "csat", "emotion") if row[m] is not None), None
        )
        return {**out, "state": "answered", "score": score, "won_back": case.recovered}
    if status in ("sent", "opened", "expired"):
        return {**out, "state": status}
    if send is not None and send.status == "dead":
        reason = send.last_error
        state = "suppressed" if any(w in reason for w in SUPPRESSED) else "failed"
        return {**out, "state": state, "reason": reason}
    if status == "failed":
        return {**out, "state": "failed", "reason": send.last_error if send else ""}
    if send is not None and send.last_error.startswith("waiting for channel"):
        return {**out, "state": "waiting", "reason": send.last_error, "send_at": send.run_at}
    return {**out, "state": "scheduled"}


async def delivery_history(db: Any, invitation_id: str | None) -> list[dict[str, Any]]:
    """The invitation's outbox jobs (send, reminders, expiry) with every attempt (one query)."""
    if not invitation_id:
        return []
    return [
        {**msgspec.structs.asdict(job), "attempt_log": attempts}
        for job, attempts in await deliveries_for_subject(db, "invitation", invitation_id)
    ]


async def after_change(
    request: Req, case_id: str, error: str = "", status: int = 422
) -> Response[Any]:
    """Show the case again: the fragment for htmx, a redirect (or the page with the
    error) for a plain form."""
    case = await store.get_case(services(request).db, case_id)
    assert case is not None
    visible = can_see(case, viewer_for(current_user(request)))
    if not error and not getattr(request, "htmx", None):
        return Redirect(f"/followups/{case_id}" if visible else "/followups", status_code=303)
    if not visible:  # handed to someone else: back to the inbox
        return Response("", status_code=200, headers={"HX-Redirect": "/followups"})
    context = await case_context(request, case)
    context["error"] = error
    return await render(
        request,
        "followups/case.html",
        context,
        fragment="followups/_case.html",
        status_code=status if error else 200,
    )


async def act(request: Req, case_id: str, action: Any) -> Response[Any]:
    """Check the case is the user's to see, run ``action``; a CaseError is shown on the
    case (409 when the case's state refuses it, 422 when the form is wrong)."""
    await visible_case(request, case_id)
    try:
        await action()
    except CaseError as exc:
        return await after_change(
            request, case_id, error=str(exc), status=409 if exc.conflict else 422
        )
    return await after_change(request, case_id)


def actor_of(request: Req) -> Actor:
    user = current_user(request)
    return Actor(user_id=user.id, label=user.email)


class FollowupViews(Controller):
    path = "/followups"
    guards = [staff("manager")]
    include_in_schema = False

    @get("/")
    async def inbox(
        self,
        request: Req,
        view: Annotated[str, QueryParameter(name="scope")] = "",
        status: Annotated[str, QueryParameter(name="status")] = "open",
        priority: Annotated[str, QueryParameter(name="priority")] = "",
        overdue: Annotated[str, QueryParameter(name="overdue")] = "",
        checkpoint: Annotated[str, QueryParameter(name="checkpoint", max_length=100)] = "",
        survey: Annotated[str, QueryParameter(name="survey", max_length=100)] = "",
        owner: Annotated[str, QueryParameter(name="owner", max_length=100)] = "",
        cursor: Annotated[str, QueryParameter(name="cursor", max_length=200)] = "",
    ) -> Response[str]:
        user = current_user(request)
        viewer = viewer_for(user)
        svc = services(request)
        db = svc.db
        # Managers land on their own cases; admins, who rarely own any, on everything.
        default = "all" if user.role == "admin" else "mine"
        scope = view if view in ("mine", "queue", "all", "snoozed") else default
        filters = CaseFilter(
            status=status if status in ("open", *CASE_STATUSES) else "",
            priority=priority if priority in PRIORITIES else "",
            overdue=overdue in ("1", "on", "true"),
            checkpoint=checkpoint,
            survey=survey,
            scope=scope if scope in ("mine", "queue") else "",
            assignee=owner,
            snooze="snoozed" if scope == "snoozed" else "awake",
        )
        now = now_iso()
        cases, next_cursor = await store.list_cases(db, viewer, filters, now=now, cursor=cursor)
        people = await store.staff_by_ids(db, [c.assignee_id or "" for c in cases])
        names = await context_store.contacts_of_cases(db, [c.id for c in cases])
        f = {
            "scope": scope,
            "status": status,
            "priority": priority,
            "overdue": filters.overdue,
            "checkpoint": checkpoint,
            "survey": survey,
            "owner": owner,
        }
        return await render(
            request,
            "followups/inbox.html",
            {
                "cases": cases,
                "badges": {c.id: badge(c) for c in cases},
                "rows": await inbox_rows(db, cases, question_kinds(svc)),
                "people": people,
                "contacts": names,
                "counts": await store.inbox_counts(db, viewer, now=now),
                "choices": await store.filter_values(db),
                "f": f,
                "query": view_query(f),
                "saved_views": await workbench_store.list_views(db, user.id),
                "assignable": await store.assignable_users(db),
                "root_causes": service.root_causes(svc.settings),
                "next_cursor": next_cursor,
                "now": now,
                "statuses": CASE_STATUSES,
                "priorities": PRIORITIES,
                "status_labels": STATUS_LABELS,
            },
            fragment="followups/_list.html",
        )

    @get("/{case_id:str}")
    async def case_page(self, request: Req, case_id: FromPath[str]) -> Response[str]:
        case = await visible_case(request, case_id)
        return await render(
            request,
            "followups/case.html",
            await case_context(request, case),
            fragment="followups/_case.html",
        )

    @post("/{case_id:str}/take")
    async def take(self, request: Req, case_id: FromPath[str]) -> Response[Any]:
        actor = actor_of(request)
        return await act(
            request,
            case_id,
            lambda: service.assign(services(request), case_id, actor.user_id, actor),
        )

    @post("/{case_id:str}/assign")
    async def reassign(self, request: Req, case_id: FromPath[str]) -> Response[Any]:
        form = await read_form(request)
        target = str(form.get("assignee_id", "")).strip() or None
        actor = actor_of(request)
        return await act(
            request, case_id, lambda: service.assign(services(request), case_id, target, actor)
        )

    @post("/{case_id:str}/status")
    async def status(self, request: Req, case_id: FromPath[str]) -> Response[Any]:
        form = await read_form(request)
        actor = actor_of(request)
        return await act(
            request,
            case_id,
            lambda: service.change_status(
                services(request),
                case_id,
                str(form.get("status", "")),
                actor,
                root_cause=str(form.get("root_cause", "")),
                outcome=str(form.get("outcome", "")),
                note=str(form.get("note", "")),
            ),
        )

    @post("/{case_id:str}/notes")
    async def note(self, request: Req, case_id: FromPath[str]) -> Response[Any]:
        form = await read_form(request)
        actor = actor_of(request)
        return await act(
            request,
            case_id,
            lambda: service.add_note(services(request), case_id, str(form.get("body", "")), actor),
        )

    @post("/{case_id:str}/reopen")
    async def reopen(self, request: Req, case_id: FromPath[str]) -> Response[Any]:
        form = await read_form(request)
        actor = actor_of(request)
        return await act(
            request,
            case_id,
            lambda: service.reopen(
                services(request), case_id, actor, note=str(form.get("note", ""))
            ),
        )


ROUTES = [FollowupViews]
