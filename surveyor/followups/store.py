"""SQL for follow-up cases, their timeline and the round-robin state (rules: ``rules_store``).

Write helpers take the caller's ``tx`` so that a case is created in the very unit that
completes its response; readers take a ``Database`` (or a ``Tx``). Who may see which
case is decided here too (``visible_clause``), so the inbox, the case page, every
fragment and the API filter through one piece of SQL.
"""

from __future__ import annotations

import base64
from typing import Any

import msgspec

from surveyor.db import Database, Tx
from surveyor.followups.models import (
    CASE_STATUSES,
    OPEN_STATUSES,
    Followup,
    FollowupEvent,
)
from surveyor.followups.reads import admins as admins
from surveyor.followups.reads import assignable_users as assignable_users
from surveyor.followups.reads import managers as managers
from surveyor.followups.reads import staff_by_ids as staff_by_ids
from surveyor.ids import new_id, now_iso

CASE_COLUMNS = (
    "id, response_id, contact_id, survey_id, checkpoint_key, rule_id, priority, status,"
    " assignee_id, team_queue, reasons, due_at, warn_at, first_action_at, resolved_at,"
    " closed_at, root_cause, outcome, recovery_invitation_id, recovery_response_id,"
    " recovered, created_at, updated_at, snoozed_until"
)
EVENT_COLUMNS = "id, followup_id, at, actor_id, kind, body, detail"
ROTATION = "managers"

Reader = Database | Tx


class Viewer(msgspec.Struct, frozen=True, kw_only=True):
    """Whose eyes: admins see every case; a manager their own and the team queue."""

    user_id: str | None
    admin: bool


class CaseFilter(msgspec.Struct, frozen=True, kw_only=True):
    status: str = ""  # one status, "open" (new/in progress/waiting) or "" for all
    priority: str = ""
    overdue: bool = False
    checkpoint: str = ""
    survey: str = ""
    scope: str = ""  # "mine", "queue" or "" (everything the viewer may see)
    assignee: str = ""  # a user id (admins' filter)
    # "awake": not snoozed now (the inbox); "snoozed": only snoozed ones; "": both (API).
    snooze: str = ""


def case_from_row(row: dict[str, Any]) -> Followup:
    data = dict(row)
    data["reasons"] = msgspec.json.decode(row["reasons"] or "[]")
    data["team_queue"] = bool(row["team_queue"])
    data["recovered"] = None if row["recovered"] is None else bool(row["recovered"])
    return msgspec.convert(data, Followup, strict=False)


# -- cases ---------------------------------------------------------------------------


_CASE_FIELDS = tuple(c.strip() for c in CASE_COLUMNS.split(","))
_INSERT_CASE = (
    f"INSERT INTO followups ({CASE_COLUMNS}) VALUES ({', '.join('?' * len(_CASE_FIELDS))})"
    " ON CONFLICT (response_id) DO NOTHING"
)


async def insert_case(tx: Tx, case: Followup) -> bool:
    """Insert a new case; False when its response has one already (a retried unit)."""
    values = msgspec.to_builtins(case)
    values["reasons"] = msgspec.json.encode(case.reasons).decode()
    values["team_queue"] = int(case.team_queue)
    values["recovered"] = None if case.recovered is None else int(case.recovered)
    inserted = await tx.execute(_INSERT_CASE, tuple(values[c] for c in _CASE_FIELDS))
    return inserted == 1


async def get_case(db: Reader, case_id: str) -> Followup | None:
    row = await db.fetch_one(f"SELECT {CASE_COLUMNS} FROM followups WHERE id = ?", (case_id,))
    return None if row is None else case_from_row(row)


async def case_for_response(db: Reader, response_id: str) -> Followup | None:
    row = await db.fetch_one(
        f"SELECT {CASE_COLUMNS} FROM followups WHERE response_id = ?", (response_id,)
    )
    return None if row is None else case_from_row(row)


async def case_for_recovery_invitation(db: Reader, invitation_id: str) -> Followup | None:
    row = await db.fetch_one(
        f"SELECT {CASE_COLUMNS} FROM followups WHERE recovery_invitation_id = ?", (invitation_id,)
    )
    return None if row is None else case_from_row(row)


async def update_case(tx: Tx, case_id: str, **fields: Any) -> None:
    """Set columns of one case (names come from our code, never from a request)."""
    fields["updated_at"] = fields.get("updated_at") or now_iso()
    for flag in ("team_queue", "recovered"):
        if flag in fields and fields[flag] is not None:
            fields[flag] = int(fields[flag])
    sets = ", ".join(f"{name} = ?" for name in fields)
    await tx.execute(f"UPDATE followups SET {sets} WHERE id = ?", (*fields.values(), case_id))


def visible_clause(viewer: Viewer) -> tuple[str, list[Any]]:
    """The WHERE part that limits cases to what ``viewer`` may see."""
    if viewer.admin:
        return "1 = 1", []
    return "(assignee_id = ? OR team_queue = 1)", [viewer.user_id or ""]


def _filters(viewer: Viewer, f: CaseFilter, now: str) -> tuple[list[str], list[Any]]:
    where, params = visible_clause(viewer)
    clauses, values = [where], list(params)
    if f.status == "open":
        clauses.append(f"status IN ({', '.join('?' * len(OPEN_STATUSES))})")
        values.extend(OPEN_STATUSES)
    elif f.status in CASE_STATUSES:
        clauses.append("status = ?")
        values.append(f.status)
    if f.priority:
        clauses.append("priority = ?")
        values.append(f.priority)
    if f.overdue:
        clauses.append(f"due_at < ? AND status IN ({', '.join('?' * len(OPEN_STATUSES))})")
        values.extend([now, *OPEN_STATUSES])
    if f.checkpoint:
        clauses.append("checkpoint_key = ?")
        values.append(f.checkpoint)
    if f.survey:
        clauses.append("survey_id = ?")
        values.append(f.survey)
    if f.scope == "mine":
        clauses.append("assignee_id = ?")
        values.append(viewer.user_id or "")
    elif f.scope == "queue":
        clauses.append("team_queue = 1")
    if f.assignee:
        clauses.append("assignee_id = ?")
        values.append(f.assignee)
    if f.snooze == "snoozed":
        clauses.append("snoozed_until > ?")
        values.append(now)
    elif f.snooze == "awake":
        clauses.append("(snoozed_until IS NULL OR snoozed_until <= ?)")
        values.append(now)
    return clauses, values


def encode_cursor(case: Followup) -> str:
    return base64.urlsafe_b64encode(f"{case.due_at}|{case.id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str] | None:
    try:
        due, _, case_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
    except (ValueError, UnicodeDecodeError):
        return None
    return (due, case_id) if case_id else None


async def list_cases(
    db: Reader,
    viewer: Viewer,
    f: CaseFilter,
    *,
    now: str,
    cursor: str = "",
    limit: int = 50,
) -> tuple[list[Followup], str | None]:
    """Cases sorted by due time (most urgent first), ``limit`` per page, with the next cursor."""
    clauses, values = _filters(viewer, f, now)
    if cursor:
        after = decode_cursor(cursor)
        if after is not None:
            clauses.append("(due_at > ? OR (due_at = ? AND id > ?))")
            values.extend([after[0], after[0], after[1]])
    rows = await db.fetch_all(
        f"SELECT {CASE_COLUMNS} FROM followups WHERE {' AND '.join(clauses)}"
        " ORDER BY due_at, id LIMIT ?",
        (*values, limit + 1),
    )
    cases = [case_from_row(row) for row in rows[:limit]]
    more = len(rows) > limit
    return cases, (encode_cursor(cases[-1]) if more and cases else None)


COUNTS = ("mine", "queue", "overdue", "open", "snoozed", "mine_overdue")


async def inbox_counts(db: Reader, viewer: Viewer, *, now: str) -> dict[str, int]:
    """Open cases that are mine, in the queue, overdue among what I see, all I see (none
    of them snoozed), the snoozed ones, and my own overdue ones."""
    where, params = visible_clause(viewer)
    marks = ", ".join("?" * len(OPEN_STATUSES))
    awake = "(snoozed_until IS NULL OR snoozed_until <= ?)"
    row = await db.fetch_one(
        "SELECT"
        f" sum(CASE WHEN assignee_id = ? AND {awake} THEN 1 ELSE 0 END) AS mine,"
        f" sum(CASE WHEN team_queue = 1 AND {awake} THEN 1 ELSE 0 END) AS queue,"
        f" sum(CASE WHEN due_at < ? AND {awake} THEN 1 ELSE 0 END) AS overdue,"
        f" sum(CASE WHEN {awake} THEN 1 ELSE 0 END) AS open,"
        " sum(CASE WHEN snoozed_until > ? THEN 1 ELSE 0 END) AS snoozed,"
        " sum(CASE WHEN assignee_id = ? AND due_at < ? THEN 1 ELSE 0 END) AS mine_overdue"
        f" FROM followups WHERE {where} AND status IN ({marks})",
        (
            viewer.user_id or "",
            now,
            now,
            now,
            now,
            now,
            now,
            viewer.user_id or "",
            now,
            *params,
            *OPEN_STATUSES,
        ),
    )
    return {k: int((row or {}).get(k) or 0) for k in COUNTS}


async def filter_values(db: Reader) -> dict[str, list[str]]:
    checkpoints = await db.fetch_all(
        "SELECT DISTINCT checkpoint_key FROM followups WHERE checkpoint_key IS NOT NULL"
        " ORDER BY checkpoint_key"
    )
    surveys = await db.fetch_all(
        "SELECT DISTINCT f.survey_id, s.name FROM followups f"
        " LEFT JOIN surveys s ON s.id = f.survey_id ORDER BY s.name"
    )
    return {
        "checkpoints": [r["checkpoint_key"] for r in checkpoints],
        "surveys": [r["survey_id"] for r in surveys],
        "survey_names": {r["survey_id"]: r["name"] or r["survey_id"] for r in surveys},  # type: ignore[dict-item]
    }


async def cases_for_contact(db: Reader, contact_id: str, *, exclude: str = "") -> list[Followup]:
    rows = await db.fetch_all(
        f"SELECT {CASE_COLUMNS} FROM followups WHERE contact_id = ? AND id <> ?"
        " ORDER BY created_at DESC LIMIT 50",
        (contact_id, exclude),
    )
    return [case_from_row(row) for row in rows]


async def cases_between(db: Reader, start: str, end: str) -> list[Followup]:
    """Cases opened in [start, end), for the outer-loop report."""
    rows = await db.fetch_all(
        f"SELECT {CASE_COLUMNS} FROM followups WHERE created_at >= ? AND created_at < ?"
        " ORDER BY created_at",
        (start, end),
    )
    return [case_from_row(row) for row in rows]


# -- timeline ------------------------------------------------------------------------


async def add_event(
    tx: Tx,
    case_id: str,
    kind: str,
    *,
    actor_id: str | None,
    body: str = "",
    detail: dict[str, Any] | None = None,
    at: str | None = None,
    event_id: str | None = None,
) -> FollowupEvent:
    event = FollowupEvent(
        id=event_id or new_id(),
        followup_id=case_id,
        at=at or now_iso(),
        actor_id=actor_id,
        kind=kind,  # type: ignore[arg-type]
        body=body,
        detail=detail or {},
    )
    await tx.execute(
        f"INSERT INTO followup_events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            event.id,
            case_id,
            event.at,
            actor_id,
            kind,
            body,
            msgspec.json.encode(event.detail).decode(),
        ),
    )
    return event


async def timeline(db: Reader, case_id: str) -> list[FollowupEvent]:
    rows = await db.fetch_all(
        f"SELECT {EVENT_COLUMNS} FROM followup_events WHERE followup_id = ? ORDER BY at, id",
        (case_id,),
    )
    return [
        msgspec.convert({**r, "detail": msgspec.json.decode(r["detail"] or "{}")}, FollowupEvent)
        for r in rows
    ]


async def update_event_detail(tx: Tx, event_id: str, changes: dict[str, Any]) -> bool:
    """Merge ``changes`` into one timeline entry's detail (a reply's delivery status)."""
    text = await tx.fetch_val("SELECT detail FROM followup_events WHERE id = ?", (event_id,))
    if text is None:
        return False
    detail = {**msgspec.json.decode(text or "{}"), **changes}
    await tx.execute(
        "UPDATE followup_events SET detail = ? WHERE id = ?",
        (msgspec.json.encode(detail).decode(), event_id),
    )
    return True


# -- people --------------------------------------------------------------------------


async def last_rotation(tx: Tx) -> str | None:
    return await tx.fetch_val(
        "SELECT last_user_id FROM followup_rotation WHERE name = ?", (ROTATION,)
    )


async def set_rotation(tx: Tx, user_id: str | None) -> None:
    await tx.execute(
        "INSERT INTO followup_rotation (name, last_user_id) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET last_user_id = excluded.last_user_id",
        (ROTATION, user_id),
    )


# -- erasure (issue 12) ----------------------------------------------------------------


async def erase_case_text(tx: Tx, contact_id: str, needles: list[str], mark: str) -> int:
    """In an erased contact's cases, replace each of ``needles`` (their email, phone,
    name, comments) by ``mark`` in notes, event details, root cause and outcome: the
    timeline (who did what, when) stays."""
    rows = await tx.fetch_all("SELECT id FROM followups WHERE contact_id = ?", (contact_id,))
    case_ids = [r["id"] for r in rows]
    for case_id in case_ids:
        for needle in needles:
            encoded = msgspec.json.encode(needle).decode()[1:-1]
            await tx.execute(
                "UPDATE followup_events SET body = REPLACE(body, ?, ?),"
                " detail = REPLACE(detail, ?, ?) WHERE followup_id = ?",
                (needle, mark, encoded, mark, case_id),
            )
            await tx.execute(
                "UPDATE followups SET root_cause = REPLACE(root_cause, ?, ?),"
                " outcome = REPLACE(outcome, ?, ?) WHERE id = ?",
                (needle, mark, needle, mark, case_id),
            )
    return len(case_ids)
