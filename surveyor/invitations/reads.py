"""The invitations table's reporting reads: detail page, funnel, metrics and the records
domain's contact timeline and retention candidates.

Split from ``surveyor.invitations.store`` (which re-exports every name here); the
statements still live inside the invitations package, the table's one owner.
"""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.db import Database, Tx
from surveyor.delivery.store import deliveries_for_subject
from surveyor.invitations.models import (
    SEND,
    AttemptOut,
    DeliveryOut,
    InvitationDetail,
    InvitationNotFound,
)

SUBJECT = "invitation"  # the outbox jobs about an invitation carry subject_type 'invitation'


async def count_for_contact(db: Database, external_id: str) -> int:
    return int(
        await db.fetch_val(
            "SELECT COUNT(*) FROM invitations i JOIN contacts c ON c.id = i.contact_id"
            " WHERE c.external_id = ?",
            (external_id,),
        )
        or 0
    )


async def with_send_jobs(tx: Tx | Database) -> list[tuple[str, str]]:
    """``(invitation id, its first send job's id)``, oldest invitation first."""
    rows = await tx.fetch_all(
        "SELECT i.id, j.id AS job_id FROM invitations i JOIN jobs j ON j.subject_id = i.id"
        " AND j.kind = ? ORDER BY i.created_at",
        (SEND,),
    )
    return [(row["id"], row["job_id"]) for row in rows]


class FunnelCounts(msgspec.Struct, frozen=True, kw_only=True):
    by_status: dict[str, int]
    started: int
    completed: int


async def funnel_counts(
    db: Database,
    *,
    start: str,
    end: str,
    checkpoint_key: str | None = None,
    survey_id: str | None = None,
) -> FunnelCounts:
    """Invitations sent in ``[start, end)`` by status, and the responses made from them."""
    clauses = ["i.send_at >= ?", "i.send_at < ?"]
    params: list[Any] = [start, end]
    if checkpoint_key is not None:
        clauses.insert(0, "i.checkpoint_key = ?")
        params.insert(0, checkpoint_key)
    if survey_id is not None:
        clauses.append("i.survey_id = ?")
        params.append(survey_id)
    where = " AND ".join(clauses)
    rows = await db.fetch_all(
        f"SELECT i.status AS status, count(*) AS n FROM invitations i WHERE {where}"
        " GROUP BY i.status",
        params,
    )
    answered = await db.fetch_one(
        "SELECT count(*) AS started,"
        " sum(CASE WHEN r.status = 'complete' THEN 1 ELSE 0 END) AS completed"
        f" FROM responses r JOIN invitations i ON r.invitation_id = i.id WHERE {where}",
        params,
    )
    assert answered is not None
    return FunnelCounts(
        by_status={row["status"]: int(row["n"]) for row in rows},
        started=int(answered["started"] or 0),
        completed=int(answered["completed"] or 0),
    )


async def load_detail(db: Database | Tx, invitation_id: str) -> InvitationDetail:
    """The invitation, its contact's external id and the event that made it (one query),
    then its whole delivery history (one more query, however many jobs it has)."""
    row = await db.fetch_one(
        "SELECT i.id, i.status, i.channel, i.checkpoint_key, i.survey_id, i.survey_version_id,"
        " i.send_at, i.expires_at, i.reminder_count, i.created_at, i.event_id, c.external_id,"
        " e.decision AS e_decision, e.reason AS e_reason, e.created_at AS e_created_at"
        " FROM invitations i JOIN contacts c ON c.id = i.contact_id"
        " LEFT JOIN events e ON e.id = i.event_id WHERE i.id = ?",
        (invitation_id,),
    )
    if row is None:
        raise InvitationNotFound(invitation_id)
    event = None
    if row["event_id"] and row["e_decision"] is not None:
        event = {
            "id": row["event_id"],
            "decision": row["e_decision"],
            "reason": row["e_reason"],
            "created_at": row["e_created_at"],
        }
    deliveries = [
        DeliveryOut(
            job_id=job.id,
            kind=job.kind,
            status=job.status,
            run_at=job.run_at,
            last_error=job.last_error,
            reminder=bool(job.payload.get("reminder")),
            attempts=msgspec.convert(msgspec.to_builtins(attempts), list[AttemptOut]),
        )
        for job, attempts in await deliveries_for_subject(db, SUBJECT, invitation_id)
    ]
    return InvitationDetail(
        id=row["id"],
        status=row["status"],
        channel=row["channel"],
        checkpoint=row["checkpoint_key"],
        survey_id=row["survey_id"],
        survey_version_id=row["survey_version_id"],
        contact_id=row["external_id"],
        send_at=row["send_at"],
        expires_at=row["expires_at"],
        reminder_count=row["reminder_count"],
        created_at=row["created_at"],
        event=event,
        deliveries=deliveries,
    )


# -- metrics ---------------------------------------------------------------------------


async def count_by_status(db: Any) -> list[Any]:
    """``[{"status", "n"}]``: invitations per status (for ``/metrics``)."""
    return await db.fetch_all("SELECT status, COUNT(*) AS n FROM invitations GROUP BY status")


# -- reads for the records domain (contact timeline, retention) -------------------------


async def history_for_contact(db: Database | Tx, contact_id: str) -> list[dict[str, Any]]:
    """A contact's invitations, oldest first, each with its latest delivery job's status
    and error (the contact page's timeline)."""
    return await db.fetch_all(
        "SELECT i.id, i.event_id, i.survey_id, i.checkpoint_key, i.channel, i.status, i.send_at,"
        " i.expires_at, i.reminder_count, i.created_at,"
        " (SELECT j.status FROM jobs j WHERE j.subject_type = 'invitation' AND j.subject_id = i.id"
        "  ORDER BY j.created_at DESC, j.id DESC LIMIT 1) AS delivery_status,"
        " (SELECT j.last_error FROM jobs j WHERE j.subject_type = 'invitation'"
        "  AND j.subject_id = i.id ORDER BY j.created_at DESC, j.id DESC LIMIT 1) AS delivery_error"
        " FROM invitations i WHERE i.contact_id = ? ORDER BY i.created_at, i.id",
        (contact_id,),
    )


async def contacts_idle_since(tx: Tx, cutoff: str, limit: int) -> list[str]:
    """Contacts not erased, last changed before ``cutoff``, with nothing newer: no event,
    invitation or response after it (the retention job's candidates). It lives here
    because it reads this table; contacts, events and responses are only read."""
    rows = await tx.fetch_all(
        "SELECT c.id FROM contacts c WHERE c.erased_at IS NULL AND c.updated_at < ?"
        " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.contact_id = c.id AND e.created_at >= ?)"
        " AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.contact_id = c.id"
        "  AND r.started_at >= ?)"
        " AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.contact_id = c.id"
        "  AND i.created_at >= ?)"
        " ORDER BY c.updated_at LIMIT ?",
        (cutoff, cutoff, cutoff, cutoff, limit),
    )
    return [r["id"] for r in rows]
