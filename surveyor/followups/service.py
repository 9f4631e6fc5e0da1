"""The life of a case after it opened: moved through its statuses, assigned, closed.

Opening lives in ``opening`` (inside the unit that completes the response). Every later
change is one unit of work that also writes the timeline, the outbox jobs it causes,
and emits its domain event (``FollowupChanged`` or ``FollowupClosed``) in that same
unit: the ``followup.*`` webhooks and the plugins' job commit with the change. Who may
touch which case is checked by the callers with ``can_see`` before anything is read.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from surveyor.contacts.store import get_contact
from surveyor.db import Tx
from surveyor.delivery.worker import wake_worker
from surveyor.events import FollowupChanged, FollowupClosed
from surveyor.followups import notify, recovery, rules_store, store
from surveyor.followups.models import CASE_STATUSES, OPEN_STATUSES, Followup
from surveyor.followups.opening import due_and_warn
from surveyor.followups.store import Viewer
from surveyor.hookjobs import emit
from surveyor.ids import iso, utcnow

if TYPE_CHECKING:
    from surveyor.services import Services

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
    svc: Services,
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
        changed = await _load_open(tx, case.id)
        await _announce(tx, svc, changed, None if finishing else "status")
        return changed

    return await _write_and_wake(svc, unit)


async def _write_and_wake(svc: Services, unit: Any) -> Followup:
    case: Followup = await svc.db.write(unit)
    wake_worker(svc)  # the unit may have queued webhooks or plugin jobs: run them soon
    return case


async def _announce(tx: Tx, svc: Services, case: Followup, change: str | None) -> None:
    """Emit the change's event in its own unit (``change`` None: the case closed)."""
    contact = await get_contact(tx, case.contact_id) if case.contact_id else None
    if change is None:
        await emit(tx, svc, FollowupClosed(followup=case, contact=contact))
    else:
        await emit(tx, svc, FollowupChanged(followup=case, contact=contact, change=change))


async def add_note(
    svc: Services, case_id: str, body: str, actor: Actor, *, now: datetime | None = None
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

    return await _write_and_wake(svc, unit)


async def assign(
    svc: Services, case_id: str, user_id: str | None, actor: Actor, *, now: datetime | None = None
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
        changed = await _load_open(tx, case.id)
        await _announce(tx, svc, changed, "assign")
        return changed

    return await _write_and_wake(svc, unit)


async def reopen(
    svc: Services, case_id: str, actor: Actor, *, note: str = "", now: datetime | None = None
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
        due, warn = due_and_warn(
            rule, rule.sla_hours.for_priority(case.priority), opened, svc.settings
        )
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
        await _announce(tx, svc, fresh, "reopen")
        return fresh

    return await _write_and_wake(svc, unit)
