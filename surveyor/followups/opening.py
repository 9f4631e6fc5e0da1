"""Opening a case: inside the unit that completes a response, from its event.

``open_case_in_tx`` is the follow-up domain's in-transaction listener for
``ResponseCompleted`` (``services.tx_listeners.response_completed``), so a response
that matches a rule is never committed without its case. It reads nothing the event
already carries (response, answers, contact), and emits ``FollowupOpened`` in the same
unit: the ``followup.opened`` webhook and the plugins' job commit with the case.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from surveyor.contacts.models import Contact
from surveyor.db import Tx
from surveyor.events import FollowupOpened, ResponseCompleted
from surveyor.followups import notify, recovery, rules_store, store
from surveyor.followups.assign import choose_assignee
from surveyor.followups.models import Followup, FollowupRule, Priority, Scores
from surveyor.followups.rules import decide
from surveyor.followups.sla import due_at, warn_at
from surveyor.hookjobs import emit
from surveyor.ids import iso, new_id, utcnow
from surveyor.plugins import first_result
from surveyor.respond.models import Response
from surveyor.surveys.kinds import DEFAULT_KINDS, KindRegistry, question_kinds

if TYPE_CHECKING:
    from surveyor.services import Services


def due_and_warn(
    rule: FollowupRule, hours: float, opened: datetime, settings: Any
) -> tuple[str, str]:
    lead = timedelta(hours=settings.followup_warn_hours)
    return (
        iso(due_at(opened, hours, rule.calendar)),
        iso(warn_at(opened, hours, lead, rule.calendar)),
    )


def comment_in(event: ResponseCompleted, kinds: KindRegistry = DEFAULT_KINDS) -> str:
    """The comment answers of the event (kinds whose ``comment`` is set), joined in
    question-id order: what keyword rules look at."""
    texts = [
        answer.value.strip()
        for answer in sorted(event.answers, key=lambda a: a.question.id)
        if getattr(kinds.get(answer.question.kind), "comment", False)
        and isinstance(answer.value, str)
        and answer.value.strip()
    ]
    return "\n\n".join(texts)


async def open_case_in_tx(
    tx: Tx, svc: Services, event: ResponseCompleted, *, now: datetime | None = None
) -> Followup | None:
    """Open the case a just-completed response calls for, in the completing transaction.

    Returns the new case, or None when no rule matches, the response already has one, or
    it answers a recovery survey (then the original case records the answer instead).
    """
    response, contact = event.response, event.contact
    if await recovery.record_recovery_in_tx(tx, response):
        return None
    opened = now or utcnow()
    scores = Scores(
        nps=response.nps, ces=response.ces, csat=response.csat, emotion=response.emotion
    )
    comment = comment_in(event, question_kinds(svc))
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
    return await open_case(
        tx,
        svc,
        response=response,
        contact=contact,
        rule=rule,
        rule_id=decision.rule_id,
        priority=decision.priority,
        sla_hours=decision.sla_hours,
        reasons=list(decision.reasons),
        comment=comment,
        opened=opened,
    )


async def open_case(
    tx: Tx,
    svc: Services,
    *,
    response: Response,
    contact: Contact | None,
    rule: FollowupRule,
    rule_id: str,
    priority: Priority,
    sla_hours: float,
    reasons: list[str],
    comment: str = "",
    owner_id: str | None = None,
    opened: datetime | None = None,
) -> Followup | None:
    """Open a case for ``response`` in the caller's unit: timeline, SLA checks, notice and
    ``FollowupOpened`` commit with it. Public for plugins that decide on their own when a
    response needs a case (surveyor_text: sentiment and theme rules); ``owner_id`` (an
    enabled staff member) skips the usual assignment. None when the response already has
    a case."""
    opened = opened or utcnow()
    due, warn = due_and_warn(rule, sla_hours, opened, svc.settings)
    stamp = iso(opened)
    case = Followup(
        id=new_id(),
        response_id=response.id,
        contact_id=response.contact_id,
        survey_id=response.survey_id,
        checkpoint_key=response.checkpoint_key,
        rule_id=rule_id,
        priority=priority,
        status="new",
        reasons=reasons,
        due_at=due,
        warn_at=warn,
        created_at=stamp,
        updated_at=stamp,
    )
    owner, how = None, ""
    if owner_id:
        found = await store.staff_by_ids(tx, [owner_id])
        if owner_id in found and not found[owner_id]["disabled"]:
            owner, how = owner_id, "rule"
    if owner is None:
        owner, how = await _choose_owner(tx, svc, case, contact)
    case = msgspec.structs.replace(case, assignee_id=owner, team_queue=owner is None)
    if not await store.insert_case(tx, case):
        return None
    await store.add_event(
        tx,
        case.id,
        "open",
        actor_id=None,
        body="; ".join(reasons),
        detail={"rule_id": rule_id, "assigned_by": how, "assignee_id": owner},
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
    await emit(tx, svc, FollowupOpened(followup=case, contact=contact))
    return case


async def _choose_owner(
    tx: Tx, svc: Services, case: Followup, contact: Contact | None
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


def completion_listener(svc: Services) -> Any:
    """The listener added to ``services.tx_listeners.response_completed``."""

    async def open_case(tx: Tx, event: ResponseCompleted) -> None:
        await open_case_in_tx(tx, svc, event)

    return open_case
