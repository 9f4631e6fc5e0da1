"""What the workbench adds to a case page and to the inbox rows, read through the other
rooms' public functions: the contact's invitations (``invitations.reads``), each reply's
delivery (``delivery.store``), the reply templates, and per-case inbox summaries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from surveyor.delivery.store import get_job
from surveyor.followups import context_store, workbench_store
from surveyor.followups.context import comment_text
from surveyor.followups.models import Followup, FollowupEvent
from surveyor.followups.workbench import account_of, delivery_state, refusal
from surveyor.ids import now_iso, parse_iso, utcnow
from surveyor.invitations.reads import history_for_contact
from surveyor.surveys.kinds import KindRegistry

if TYPE_CHECKING:
    from surveyor.services import Services

EXCERPT = 140
SCORE_METRICS = ("nps", "ces", "csat", "emotion")


def is_snoozed(case: Followup, now: str | None = None) -> bool:
    return case.snoozed_until is not None and case.snoozed_until > (now or now_iso())


def sla_countdown(case: Followup) -> dict[str, Any]:
    """``{"overdue": bool, "n": int, "unit": "m"|"h"|"d"}``: how long until (or since) the
    case is due, in the largest whole unit; None when the case is finished."""
    if not case.is_open:
        return {}
    seconds = (parse_iso(case.due_at) - utcnow()).total_seconds()
    overdue, left = seconds < 0, abs(seconds)
    if left >= 86400:
        n, unit = int(left // 86400), "d"
    elif left >= 3600:
        n, unit = int(left // 3600), "h"
    else:
        n, unit = max(1, int(left // 60)), "m"
    return {"overdue": overdue, "n": n, "unit": unit}


async def workbench_context(
    svc: Services, case: Followup, contact: Any, events: list[FollowupEvent]
) -> dict[str, Any]:
    db = svc.db
    replies: dict[str, dict[str, str]] = {}
    pending = False
    for event in events:
        if event.kind != "reply":
            continue
        job_id = str(event.detail.get("job_id") or "")
        job = await get_job(db, job_id) if job_id else None
        state = delivery_state(event.detail, job)
        replies[event.id] = state
        pending = pending or state["state"] in ("queued", "retrying")
    return {
        "invitations": await history_for_contact(db, contact.id) if contact else [],
        "reply_templates": await workbench_store.list_templates(db),
        "reply_refusal": refusal(contact),
        "reply_to": svc.settings.reply_to,
        "replies": replies,
        "replies_pending": pending,
        "snoozed": is_snoozed(case),
        "countdown": sla_countdown(case),
        "account": account_of(contact.attributes) if contact else "",
    }


async def inbox_rows(
    db: Any, cases: list[Followup], kinds: KindRegistry
) -> dict[str, dict[str, Any]]:
    """Per case: its score (metric and value), a comment excerpt, the account and the SLA
    countdown, in a handful of queries for the whole page."""
    ids = [c.response_id for c in cases]
    responses = await context_store.response_scores(db, ids)
    answers = await context_store.answers_of(db, ids)
    definitions = await context_store.definitions_of(db, ids)
    comments = {
        rid: comment_text(definitions.get(rid), values, kinds) for rid, values in answers.items()
    }
    accounts = await context_store.contact_attributes(
        db, [c.contact_id for c in cases if c.contact_id]
    )
    rows: dict[str, dict[str, Any]] = {}
    for case in cases:
        scores = responses.get(case.response_id) or {}
        metric = next((m for m in SCORE_METRICS if scores.get(m) is not None), None)
        comment = " ".join((comments.get(case.response_id) or "").split())
        if len(comment) > EXCERPT:
            comment = comment[: EXCERPT - 1] + "…"
        rows[case.id] = {
            "metric": metric,
            "score": scores.get(metric) if metric else None,
            "comment": comment,
            "account": account_of(accounts.get(case.contact_id or "") or {}),
            "countdown": sla_countdown(case),
            "snoozed": is_snoozed(case),
        }
    return rows
