"""The life of a case: opened with its response, moved through its statuses, closed.

``open_case_in_tx`` runs inside the unit that completes a response (registered in
``services.registries["on_response_complete_tx"]``), so a response that matches a rule
is never committed without its case. Every later change is one unit of work that also
writes the timeline (and the outbox jobs it causes); the ``followup_closed`` hook runs
after that commit. Who may touch which case is checked by the callers with
``can_see`` before anything is read for the page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec

from surveyor.contacts.models import Contact
from surveyor.contacts.store import get_contact
from surveyor.db import Tx
from surveyor.followups import notify, recovery, rules_store, store
from surveyor.followups.assign import choose_assignee
from surveyor.followups.models import (
    CASE_STATUSES,
    OPEN_STATUSES,
    Followup,
    FollowupRule,
    Scores,
)
from surveyor.followups.rules import decide
from surveyor.followups.sla import due_at, warn_at
from surveyor.followups.store import Viewer
from surveyor.ids import iso, new_id, utcnow
from surveyor.plugins import first_result, gather
from surveyor.surveys.kinds import DEFAULT_KINDS, KindRegistry, question_kinds

DEFAULT_ROOT_CAUSES = (
    "product defect",
    "delivery or logistics",
    "billing or pricing",
    "support experience",
    "missing feature",
    "communication",
    "customer expectation",
    "other",
)
# Status moves a person may make; resolved/closed only come back through ``reopen``.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"in_progress", "waiting", "resolved", "closed"}),
    "in_progress": frozenset({"waiting", "resolved", "closed"}),
    "waiting": frozenset({"in_progress", "resolved", "closed"}),
    "resolved": frozenset(),
    "closed": frozenset(),
}
MAX_NOTE = 10_000


class CaseError(Exception):
    """A change the case cannot take; ``field`` names what is wrong, ``conflict`` means
    the case's state (not the request) is the problem."""

    def __init__(self, field: str, message: str, *, conflict: bool = False) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.conflict = conflict


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str | None  # None: an API key or the system
    label: str = ""


def root_causes(settings: Any) -> list[str]:
    configured = [c.strip() for c in settings.followup_root_causes.split(",") if c.strip()]
    return configured or list(DEFAULT_ROOT_CAUSES)


def can_see(case: Followup, viewer: Viewer) -> bool:
    """Admins see every case; a manager their own cases and the team queue."""
    return (
        viewer.admin
        or case.team_queue
        or (viewer.user_id is not None and case.assignee_id == viewer.user_id)
    )


def viewer_for(user: Any) -> Viewer:
    return Viewer(user_id=user.id, admin=user.role == "admin")


# -- opening -------------------------------------------------------------------------


async def comment_of(tx: Any, response: Any, kinds: KindRegistry = DEFAULT_KINDS) -> str:
    """The comment answers of a response (kinds whose ``comment`` is set), joined: what
    keyword rules look at."""
    row = await tx.fetch_one(
        "SELECT definition FROM survey_versions WHERE id = ?", (response.survey_version_id,)
    )
    text_ids: set[str] = set()
    if row is not None:
        definition = msgspec.json.decode(row["definition"])
        text_ids = {
            q["id"]
            for q in definition.get("questions", [])
            if getattr(kinds.get(q.get("kind", "")), "comment", False)
        }
    rows = await tx.fetch_all(
        "SELECT question_id, value FROM answers WHERE response_id = ? ORDER BY question_id",
        (response.id,),
    )
    texts = []
    for r in rows:
        value = msgspec.json.decode(r["value"])
        if r["question_id"] in text_ids and isinstance(value, str) and value.strip():
            texts.append(value.strip())
    return "\n\n".join(texts)


async def case_context(tx: Any, case: Followup) -> tuple[str, str]:
    """The contact's name and the response's comment, for notices."""
    contact = await get_contact(tx, case.contact_id) if case.contact_id else None
    response = await tx.fetch_one(
        "SELECT id, survey_version_id FROM responses WHERE id = ?", (case.response_id,)
    )
    comment = await comment_of(tx, msgspec.convert(response, _ResponseRef)) if response else ""
    name = (contact.name or contact.external_id) if contact else ""
    return name, comment


class _ResponseRef(msgspec.Struct, frozen=True):
    id: str
    survey_version_id: str


def _due(rule: FollowupRule, hours: float, opened: datetime, settings: Any) -> tuple[str, str]:
    lead = timedelta(hours=settings.followup_warn_hours)
    return (
        iso(due_at(opened, hours, rule.calendar)),
        iso(warn_at(opened, hours, lead, rule.calendar)),
    )


async def open_case_in_tx(
    tx: Tx, svc: Any, response: Any, *, now: datetime | None = None
) -> Followup | None:
    """Open the case a just-completed response calls for, in the completing transaction.

    Returns the new case, or None when no rule matches, the response already has one, or
    it answers a recovery survey (then the original case records the answer instead).
    """
    if await recovery.record_recovery_in_tx(tx, response):
        return None
    opened = now or utcnow()
    contact = await get_contact(tx, response.contact_id) if response.contact_id else None
    scores = Scores(
        nps=response.nps, ces=response.ces, csat=response.csat, emotion=response.emotion
    )
    comment = await comment_of(tx, response, question_kinds(svc))
    decision = decide(
        await rules_store.rules_or_default(tx),
        survey_id=response.survey_id,
        checkpoint_id=response.checkpoint_key,
        scores=scores,
        comment=comment,
        attributes=contact.attributes if contact else {},
    )
    if decision is None or decision.priority is None or decision.sla_hours is None:
        return None
    rule = await rules_store.rule_or_default(tx, decision.rule_id)
    due, warn = _due(rule, decision.sla_hours, opened, svc.settings)
    stamp = iso(opened)
    case = Followup(
        id=new_id(),
        response_id=response.id,
        contact_id=response.contact_id,
        survey_id=response.survey_id,
        checkpoint_key=response.checkpoint_key,
        rule_id=decision.rule_id,
        priority=decision.priority,
        status="new",
        reasons=list(decision.reasons),
        due_at=due,
        warn_at=warn,
        created_at=stamp,
        updated_at=stamp,
    )
    owner, how = await _choose_owner(tx, svc, case, contact)
    case = msgspec.structs.replace(case, assignee_id=owner, team_queue=owner is None)
    if not await store.insert_case(tx, case):
        return None
    await store.add_event(
        tx,
        case.id,
        "open",
        actor_id=None,
        body="; ".join(decision.reasons),
        detail={"rule_id": decision.rule_id, "assigned_by": how, "assignee_id": owner},
        at=stamp,
    )
    await notify.schedule_sla_checks(tx, case)
    recipients = list((await store.staff_by_ids(tx, [owner] if owner else [])).values())
    if recipients:
        await notify.enqueue_notice(
            tx,
            svc,
            case,
            "opened",
            recipients,
            contact_name=(contact.name or contact.external_id) if contact else "",
            comment=comment,
        )
    return case


async def _choose_owner(
    tx: Tx, svc: Any, case: Followup, contact: Contact | None
) -> tuple[str | None, str]:
    """The plugin hook first, then the account manager, then the rotation (or the queue)."""
    chosen = await first_result(svc.pm.hook.followup_assignee, case=case, contact=contact)
    if isinstance(chosen, str) and chosen:
        found = await store.staff_by_ids(tx, [chosen])
        if chosen in found and not found[chosen]["disabled"]:
            return chosen, "plugin"
    account_manager = (contact.attributes if contact else {}).get("account_manager")
    assignment = choose_assignee(
        await store.managers(tx),
        account_manager=account_manager if isinstance(account_manager, str) else None,
        last_round_robin_id=await store.last_rotation(tx),
    )
    if assignment.reason == "round_robin" and svc.settings.followup_assignment == "queue":
        return None, "queue"
    if assignment.reason == "round_robin":
        await store.set_rotation(tx, assignment.last_round_robin_id)
    return assignment.user_id, assignment.reason


def completion_callback(svc: Any) -> Any:
    """The callback the respondent domain runs inside its completing transaction."""

    async def open_case(tx: Tx, response: Any) -> None:
        await open_case_in_tx(tx, svc, response)

    return open_case


# -- changes ---------------------------------------------------------------------------


async def _load_open(tx: Tx, case_id: str) -> Followup:
    case = await store.get_case(tx, case_id)
    if case is None:
        raise CaseError("id", f"no follow-up {case_id!r}", conflict=True)
    return case


def _first_action(case: Followup, actor: Actor, now: str) -> dict[str, Any]:
    # Only a person's action counts as the first response to the customer's complaint.
    if case.first_action_at is None and actor.user_id is not None:
        return {"first_action_at": now}
    return {}


async def change_status(
    svc: Any,
    case_id: str,
    status: str,
    actor: Actor,
    *,
    root_cause: str = "",
    outcome: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Followup:
    """Move a case to ``status`` (validated); resolving may send the recovery survey."""
    if status not in CASE_STATUSES or status == "new":
        raise CaseError("status", f"one of {', '.join(CASE_STATUSES[1:])}")
    finishing = status in ("resolved", "closed")
    root_cause, outcome = root_cause.strip(), outcome.strip()
    if finishing:
        if root_cause not in root_causes(svc.settings):
            raise CaseError("root_cause", f"pick one of: {', '.join(root_causes(svc.settings))}")
        if not outcome:
            raise CaseError("outcome", "say what was done for the customer")
    if len(note) > MAX_NOTE or len(outcome) > MAX_NOTE:
        raise CaseError("note", f"at most {MAX_NOTE} characters")
    stamp = iso(now or utcnow())
    companion = await recovery.recovery_survey_for(svc, case_id) if status == "resolved" else None

    async def unit(tx: Tx) -> Followup:
        case = await _load_open(tx, case_id)
        if status == case.status:
            return case
        if status not in TRANSITIONS[case.status]:
            raise CaseError(
                "status", f"a {case.status} case cannot move to {status}", conflict=True
            )
        fields: dict[str, Any] = {"status": status, **_first_action(case, actor, stamp)}
        if finishing:
            fields.update(root_cause=root_cause, outcome=outcome)
            fields["resolved_at" if status == "resolved" else "closed_at"] = stamp
        await store.update_case(tx, case.id, updated_at=stamp, **fields)
        await store.add_event(
            tx,
            case.id,
            "status",
            actor_id=actor.user_id,
            body=note.strip(),
            detail={
                "from": case.status,
                "to": status,
                "root_cause": root_cause,
                "outcome": outcome,
                "by": actor.label,
            },
            at=stamp,
        )
        if status == "resolved":
            await recovery.send_recovery_in_tx(tx, svc, case, stamp, companion)
        return await _load_open(tx, case.id)

    case = await svc.db.write(unit)
    if finishing:
        await _after_close(svc, case)
    return case


async def _after_close(svc: Any, case: Followup) -> None:
    contact = await get_contact(svc.db, case.contact_id) if case.contact_id else None
    await gather(svc.pm.hook.followup_closed, followup=case, contact=contact)


async def add_note(
    svc: Any, case_id: str, body: str, actor: Actor, *, now: datetime | None = None
) -> Followup:
    body = body.strip()
    if not body:
        raise CaseError("body", "write something")
    if len(body) > MAX_NOTE:
        raise CaseError("body", f"at most {MAX_NOTE} characters")
    stamp = iso(now or utcnow())

    async def unit(tx: Tx) -> Followup:
        case = await _load_open(tx, case_id)
        await store.add_event(
            tx,
            case.id,
            "note",
            actor_id=actor.user_id,
            body=body,
            detail={"by": actor.label},
            at=stamp,
        )
        await store.update_case(tx, case.id, updated_at=stamp, **_first_action(case, actor, stamp))
        return await _load_open(tx, case.id)

    return await svc.db.write(unit)


async def assign(
    svc: Any, case_id: str, user_id: str | None, actor: Actor, *, now: datetime | None = None
) -> Followup:
    """Give the case to ``user_id`` (a manager or admin) or to the team queue (None)."""
    stamp = iso(now or utcnow())

    async def unit(tx: Tx) -> Followup:
        case = await _load_open(tx, case_id)
        if user_id is not None:
            found = (await store.staff_by_ids(tx, [user_id])).get(user_id)
            if found is None or found["disabled"] or found["role"] not in ("manager", "admin"):
                raise CaseError("assignee_id", "not an active manager or admin")
        if user_id == case.assignee_id and case.team_queue == (user_id is None):
            return case
        await store.update_case(
            tx,
            case.id,
            assignee_id=user_id,
            team_queue=user_id is None,
            updated_at=stamp,
            **_first_action(case, actor, stamp),
        )
        await store.add_event(
            tx,
            case.id,
            "assign",
            actor_id=actor.user_id,
            body="to the team queue" if user_id is None else "",
            detail={"from": case.assignee_id, "to": user_id, "by": actor.label},
            at=stamp,
        )
        return await _load_open(tx, case.id)

    return await svc.db.write(unit)


async def reopen(
    svc: Any, case_id: str, actor: Actor, *, note: str = "", now: datetime | None = None
) -> Followup:
    """Bring a resolved or closed case back to work, with a fresh SLA from now."""
    opened = now or utcnow()
    stamp = iso(opened)

    async def unit(tx: Tx) -> Followup:
        case = await _load_open(tx, case_id)
        if case.status in OPEN_STATUSES:
            raise CaseError(
                "status", f"the case is {case.status}, not resolved or closed", conflict=True
            )
        rule = await rules_store.rule_or_default(tx, case.rule_id)
        due, warn = _due(rule, rule.sla_hours.for_priority(case.priority), opened, svc.settings)
        await store.update_case(
            tx,
            case.id,
            status="in_progress",
            resolved_at=None,
            closed_at=None,
            due_at=due,
            warn_at=warn,
            updated_at=stamp,
        )
        await store.add_event(
            tx,
            case.id,
            "reopen",
            actor_id=actor.user_id,
            body=note.strip(),
            detail={"from": case.status, "root_cause": case.root_cause, "by": actor.label},
            at=stamp,
        )
        fresh = await _load_open(tx, case.id)
        await notify.schedule_sla_checks(tx, fresh)
        return fresh

    return await svc.db.write(unit)


async def announce_opened(svc: Any, response_id: str) -> None:
    """After the completing commit: tell plugins about the case this response opened."""
    case = await store.case_for_response(svc.db, response_id)
    if case is None:
        return
    contact = await get_contact(svc.db, case.contact_id) if case.contact_id else None
    await gather(svc.pm.hook.followup_opened, followup=case, contact=contact)
