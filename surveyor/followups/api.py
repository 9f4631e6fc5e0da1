"""JSON API of the closed loop, for CRMs: ``/api/v1/followups``.

Reading needs the ``read`` scope; changing a case (status, owner, notes) needs
``admin``: an API key acts for the whole team, like an admin, and every change it makes
is on the case's timeline as ``api:<key prefix>``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter

from surveyor.auth.guards import api_scope, current_api_key
from surveyor.followups import context_store, service, store
from surveyor.followups.models import CASE_STATUSES, PRIORITIES, Followup
from surveyor.followups.service import Actor, CaseError
from surveyor.followups.store import CaseFilter, Viewer
from surveyor.ids import now_iso
from surveyor.services import services
from surveyor.web.errors import invalid

ALL = Viewer(user_id=None, admin=True)
Note = Annotated[str, msgspec.Meta(min_length=1, max_length=service.MAX_NOTE)]


class PersonOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    email: str


class ContactOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    external_id: str


class ResponseOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    completed_at: str | None
    nps: int | None
    ces: int | None
    csat: int | None
    emotion: int | None


class FollowupOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: str
    priority: str
    assignee: PersonOut | None
    team_queue: bool
    due_at: str
    warn_at: str
    overdue: bool
    survey_id: str
    checkpoint_key: str | None
    rule_id: str
    reasons: list[str]
    contact: ContactOut | None
    response: ResponseOut | None
    first_action_at: str | None
    resolved_at: str | None
    closed_at: str | None
    root_cause: str
    outcome: str
    recovery_invitation_id: str | None
    recovery_response_id: str | None
    recovered: bool | None
    created_at: str
    updated_at: str
    # Issue 19: out of the inbox until then (UTC), or null.
    snoozed_until: str | None = None


class EventOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    at: str
    kind: str
    actor_id: str | None
    body: str
    detail: dict[str, Any]


class FollowupDetail(FollowupOut, frozen=True, kw_only=True):
    timeline: list[EventOut]


class FollowupList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[FollowupOut]
    next_cursor: str | None


class FollowupPatch(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Change a case. ``assignee_id`` null puts it in the team queue; ``reopen`` brings a
    resolved or closed case back; resolving or closing needs ``root_cause`` and ``outcome``."""

    status: str | msgspec.UnsetType = msgspec.UNSET
    assignee_id: str | msgspec.UnsetType | None = msgspec.UNSET
    root_cause: str = ""
    outcome: Annotated[str, msgspec.Meta(max_length=service.MAX_NOTE)] = ""
    note: Annotated[str, msgspec.Meta(max_length=service.MAX_NOTE)] = ""
    reopen: bool = False


class NoteIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    body: Note


def case_error(exc: CaseError) -> Exception:
    if exc.conflict:
        return ClientException(detail=str(exc), status_code=409)
    return invalid(exc.field, exc.message)


async def outputs(db: Any, cases: list[Followup]) -> list[FollowupOut]:
    people = await store.staff_by_ids(db, [c.assignee_id or "" for c in cases])
    contacts = await context_store.contact_external_ids(
        db, [c.contact_id for c in cases if c.contact_id]
    )
    responses = await context_store.response_scores(db, [c.response_id for c in cases])
    now = now_iso()
    out = []
    for c in cases:
        person = people.get(c.assignee_id or "")
        fields = {f: getattr(c, f) for f in FollowupOut.__struct_fields__ if hasattr(c, f)}
        fields.update(
            assignee={"id": person["id"], "email": person["email"]} if person else None,
            overdue=c.is_open and c.due_at < now,
            contact=contacts.get(c.contact_id or ""),
            response=responses.get(c.response_id),
        )
        out.append(msgspec.convert(fields, FollowupOut, from_attributes=True))
    return out


async def detail(db: Any, case: Followup) -> FollowupDetail:
    (base,) = await outputs(db, [case])
    events = await store.timeline(db, case.id)
    return FollowupDetail(
        **msgspec.structs.asdict(base),
        timeline=[msgspec.convert(e, EventOut, from_attributes=True) for e in events],
    )


def _actor(request: Request[Any, Any, Any]) -> Actor:
    return Actor(user_id=None, label=f"api:{current_api_key(request).prefix}")


class FollowupsApi(Controller):
    path = "/api/v1/followups"
    tags = ["followups"]

    @get("/", guards=[api_scope("read")])
    async def list_followups(
        self,
        request: Request[Any, Any, Any],
        status: Annotated[str, QueryParameter(name="status")] = "",
        priority: Annotated[str, QueryParameter(name="priority")] = "",
        overdue: Annotated[bool, QueryParameter(name="overdue")] = False,
        checkpoint: Annotated[str, QueryParameter(name="checkpoint", max_length=100)] = "",
        survey: Annotated[str, QueryParameter(name="survey", max_length=100)] = "",
        assignee: Annotated[str, QueryParameter(name="assignee", max_length=100)] = "",
        cursor: Annotated[str, QueryParameter(name="cursor", max_length=200)] = "",
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
    ) -> FollowupList:
        """Cases sorted by due time (most urgent first); ``status=open`` for the open ones."""
        if status and status != "open" and status not in CASE_STATUSES:
            raise invalid("status", f"one of open, {', '.join(CASE_STATUSES)}")
        if priority and priority not in PRIORITIES:
            raise invalid("priority", f"one of {', '.join(PRIORITIES)}")
        if cursor and store.decode_cursor(cursor) is None:
            raise invalid("cursor", "not a cursor this API returned")
        db = services(request).db
        filters = CaseFilter(
            status=status,
            priority=priority,
            overdue=overdue,
            checkpoint=checkpoint,
            survey=survey,
            assignee=assignee,
        )
        cases, next_cursor = await store.list_cases(
            db, ALL, filters, now=now_iso(), cursor=cursor, limit=limit
        )
        return FollowupList(items=await outputs(db, cases), next_cursor=next_cursor)

    @get("/{case_id:str}", guards=[api_scope("read")])
    async def get_followup(
        self, request: Request[Any, Any, Any], case_id: FromPath[str]
    ) -> FollowupDetail:
        """One case with its timeline (status changes, notes, reassignments, recovery)."""
        db = services(request).db
        case = await store.get_case(db, case_id)
        if case is None:
            raise NotFoundException(detail=f"id: no follow-up {case_id!r}")
        return await detail(db, case)

    @patch("/{case_id:str}", guards=[api_scope("admin")])
    async def update_followup(
        self, request: Request[Any, Any, Any], case_id: FromPath[str], data: JSONBody[FollowupPatch]
    ) -> FollowupDetail:
        """Reassign, change status (resolving/closing needs ``root_cause`` and ``outcome``),
        or ``reopen``; each change lands on the timeline."""
        svc = services(request)
        if await store.get_case(svc.db, case_id) is None:
            raise NotFoundException(detail=f"id: no follow-up {case_id!r}")
        actor = _actor(request)
        try:
            if data.reopen:
                await service.reopen(svc, case_id, actor, note=data.note)
            if not isinstance(data.assignee_id, msgspec.UnsetType):
                await service.assign(svc, case_id, data.assignee_id, actor)
            if isinstance(data.status, str):
                await service.change_status(
                    svc,
                    case_id,
                    data.status,
                    actor,
                    root_cause=data.root_cause,
                    outcome=data.outcome,
                    note=data.note,
                )
            elif data.note and not data.reopen:
                await service.add_note(svc, case_id, data.note, actor)
        except CaseError as exc:
            raise case_error(exc) from None
        case = await store.get_case(svc.db, case_id)
        assert case is not None
        return await detail(svc.db, case)

    @post("/{case_id:str}/notes", guards=[api_scope("admin")], status_code=201)
    async def add_followup_note(
        self, request: Request[Any, Any, Any], case_id: FromPath[str], data: JSONBody[NoteIn]
    ) -> FollowupDetail:
        """Add a note to the case's timeline."""
        svc = services(request)
        if await store.get_case(svc.db, case_id) is None:
            raise NotFoundException(detail=f"id: no follow-up {case_id!r}")
        try:
            case = await service.add_note(svc, case_id, data.body, _actor(request))
        except CaseError as exc:
            raise case_error(exc) from None
        return await detail(svc.db, case)


ROUTES = [FollowupsApi]
