"""Every SQL statement on the ``invitations`` table (the reporting reads are in
``surveyor.invitations.reads``, re-exported here).

Other domains never touch the table: they call these functions, inside their own
transaction where the change must be atomic with theirs (the events API schedules an
invitation with its send job; an answer marks it opened or answered; the worker marks
it sent or failed in the unit that records the job's outcome).
"""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.contacts.models import Contact
from surveyor.contacts.store import COLUMNS as CONTACT_COLUMNS
from surveyor.contacts.store import contact_from_row
from surveyor.db import Database, Tx
from surveyor.ids import new_id, new_token, now_iso, token_hash
from surveyor.invitations.models import Invitation
from surveyor.invitations.reads import SUBJECT as SUBJECT
from surveyor.invitations.reads import FunnelCounts as FunnelCounts
from surveyor.invitations.reads import contacts_idle_since as contacts_idle_since
from surveyor.invitations.reads import count_by_status as count_by_status
from surveyor.invitations.reads import count_for_contact as count_for_contact
from surveyor.invitations.reads import funnel_counts as funnel_counts
from surveyor.invitations.reads import history_for_contact as history_for_contact
from surveyor.invitations.reads import load_detail as load_detail
from surveyor.invitations.reads import with_send_jobs as with_send_jobs
from surveyor.respond.models import Response
from surveyor.respond.rows import RESPONSE_COLUMNS, response_from_row

COLUMNS = (
    "id, event_id, survey_id, survey_version_id, contact_id, checkpoint_key, channel, status,"
    " send_at, expires_at, locale, properties, reminder_count, created_at, updated_at"
)


def invitation_from_row(row: dict[str, Any]) -> Invitation:
    properties = msgspec.json.decode(row["properties"] or "{}")
    return msgspec.convert({**row, "properties": properties}, Invitation, strict=False)


def _prefixed(prefix: str, alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{c.strip()} AS {prefix}{c.strip()}" for c in columns.split(","))


def _take(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix) :]: v for k, v in row.items() if k.startswith(prefix)}


# -- writing -----------------------------------------------------------------------


def _insert_values(
    invitation: Invitation, token_digest: str, properties_json: str | None = None
) -> tuple[Any, ...]:
    return (
        invitation.id,
        invitation.event_id,
        invitation.survey_id,
        invitation.survey_version_id,
        invitation.contact_id,
        invitation.checkpoint_key,
        invitation.channel,
        invitation.status,
        invitation.send_at,
        invitation.expires_at,
        invitation.locale,
        msgspec.json.encode(invitation.properties).decode()
        if properties_json is None
        else properties_json,
        invitation.reminder_count,
        invitation.created_at,
        invitation.updated_at,
        token_digest,
    )


async def insert_invitation(tx: Tx, invitation: Invitation, *, token_digest: str) -> None:
    """Store ``invitation`` in the caller's transaction; only its link token's hash is kept."""
    await _insert(tx, _insert_values(invitation, token_digest))


async def _insert(tx: Tx, values: tuple[Any, ...]) -> None:
    await tx.execute(
        f"INSERT INTO invitations ({COLUMNS}, token_hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        values,
    )


# On PostgreSQL the survey's newest version is taken in the INSERT itself (no version: no
# row), so an event costs no round trip to look it up and can never use a stale one.
_INSERT_LATEST_SQL = (
    f"INSERT INTO invitations ({COLUMNS}, token_hash)"
    " SELECT ?, ?, ?, v.id, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS INTEGER), ?, ?, ?"
    " FROM survey_versions v WHERE v.survey_id = ? ORDER BY v.number DESC LIMIT 1"
    " RETURNING survey_version_id"
)


async def insert_invitation_of_latest(
    tx: Tx, invitation: Invitation, *, token_digest: str, properties_json: str | None = None
) -> str | None:
    """:func:`insert_invitation` for the newest version of ``invitation.survey_id`` (its
    ``survey_version_id`` is ignored): that version's id, or None (nothing stored) when
    the survey has no published version. ``properties_json``: ``invitation.properties``
    already encoded by the caller, if it was."""
    if tx.backend == "sqlite":
        # No round trip to save on SQLite (a statement is a call on the writer's own
        # connection), and there RETURNING costs more than a second statement (measured:
        # ~100 us more per insert with the funnel triggers on the table).
        version_id = await tx.fetch_val(
            "SELECT id FROM survey_versions WHERE survey_id = ? ORDER BY number DESC LIMIT 1",
            (invitation.survey_id,),
        )
        if version_id is not None:
            values = _insert_values(invitation, token_digest, properties_json)
            await _insert(tx, (*values[:3], version_id, *values[4:]))
        return version_id
    values = _insert_values(invitation, token_digest, properties_json)
    rows = await tx.fetch_all(_INSERT_LATEST_SQL, (*values[:3], *values[4:], invitation.survey_id))
    return rows[0]["survey_version_id"] if rows else None


async def create_invitation(
    tx: Tx,
    *,
    survey_id: str,
    survey_version_id: str,
    contact_id: str,
    channel: str,
    send_at: str,
    expires_at: str | None = None,
    event_id: str | None = None,
    checkpoint_key: str | None = None,
    locale: str = "",
    properties: dict[str, Any] | None = None,
    status: str = "scheduled",
    invitation_id: str | None = None,
) -> str:
    """Create an invitation with a random link token; returns the raw token.

    The token carries 192 random bits and only its SHA-256 is stored, so the caller must
    keep the raw token (the demo prints it; tests open the link). Invitations the events
    API makes use a derived token instead (``surveyor.invitations.jobs``).
    """
    raw = new_token()
    now = now_iso()
    invitation = msgspec.convert(
        {
            "id": invitation_id or new_id(),
            "event_id": event_id,
            "survey_id": survey_id,
            "survey_version_id": survey_version_id,
            "contact_id": contact_id,
            "checkpoint_key": checkpoint_key,
            "channel": channel,
            "status": status,
            "send_at": send_at,
            "expires_at": expires_at,
            "locale": locale,
            "properties": properties or {},
            "created_at": now,
            "updated_at": now,
        },
        Invitation,
    )
    await insert_invitation(tx, invitation, token_digest=token_hash(raw))
    return raw


async def insert_history(tx: Tx, rows: list[tuple[Any, ...]]) -> None:
    """Bulk-insert finished invitations (the demo's year of history). Each row is
    ``(id, survey_id, survey_version_id, contact_id, checkpoint_key, channel, token_hash,
    status, send_at, created_at, updated_at)``."""
    await tx.execute_many(
        "INSERT INTO invitations (id, survey_id, survey_version_id, contact_id, checkpoint_key,"
        " channel, token_hash, status, send_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


async def mark_opened_or_answered(tx: Tx, invitation_id: str, status: str, now: str) -> None:
    """A response was started (``opened``) or completed (``answered``) from the link."""
    # 'opened' never overwrites 'answered'; an expired invitation keeps its status.
    allowed = (
        ("scheduled", "sent", "failed")
        if status == "opened"
        else ("scheduled", "sent", "failed", "opened")
    )
    marks = ", ".join("?" for _ in allowed)
    await tx.execute(
        f"UPDATE invitations SET status = ?, updated_at = ? WHERE id = ? AND status IN ({marks})",
        (status, now, invitation_id, *allowed),
    )


async def mark_sent(tx: Tx, invitation_id: str, now: str) -> None:
    # 'failed' too: a dead delivery retried from the delivery log may succeed later.
    await tx.execute(
        "UPDATE invitations SET status = 'sent', updated_at = ?"
        " WHERE id = ? AND status IN ('scheduled', 'failed')",
        (now, invitation_id),
    )


async def count_reminder(tx: Tx, invitation_id: str, now: str) -> None:
    await tx.execute(
        "UPDATE invitations SET reminder_count = reminder_count + 1, updated_at = ? WHERE id = ?",
        (now, invitation_id),
    )


async def mark_failed(tx: Tx, invitation_id: str, now: str) -> None:
    await tx.execute(
        "UPDATE invitations SET status = 'failed', updated_at = ? WHERE id = ? AND status = 'scheduled'",
        (now, invitation_id),
    )


async def expire(tx: Tx, invitation_id: str, now: str) -> None:
    """Close a link nobody used in time (answered and failed ones keep their status)."""
    await tx.execute(
        "UPDATE invitations SET status = 'expired', updated_at = ?"
        " WHERE id = ? AND status IN ('scheduled', 'sent', 'opened') AND expires_at <= ?",
        (now, invitation_id, now),
    )


async def backdate(tx: Tx, invitation_id: str, *, status: str, at: str, expires_at: str) -> None:
    """Move an invitation into the past with ``status`` (the demo's believable history)."""
    await tx.execute(
        "UPDATE invitations SET status = ?, send_at = ?, created_at = ?, updated_at = ?,"
        " expires_at = ? WHERE id = ?",
        (status, at, at, at, expires_at, invitation_id),
    )


# -- reading -----------------------------------------------------------------------


async def get_invitation(db: Database | Tx, invitation_id: str) -> Invitation | None:
    row = await db.fetch_one(f"SELECT {COLUMNS} FROM invitations WHERE id = ?", (invitation_id,))
    return None if row is None else invitation_from_row(row)


class ToSend(msgspec.Struct, frozen=True, kw_only=True):
    """What the send job reads: the invitation and its survey version's definition (JSON)."""

    invitation: Invitation
    definition: str


async def invitation_to_send(db: Database | Tx, invitation_id: str) -> ToSend | None:
    row = await db.fetch_one(
        f"SELECT {_prefixed('i_', 'i', COLUMNS)}, v.definition FROM invitations i"
        " JOIN survey_versions v ON v.id = i.survey_version_id WHERE i.id = ?",
        (invitation_id,),
    )
    if row is None:
        return None
    return ToSend(invitation=invitation_from_row(_take(row, "i_")), definition=row["definition"])


class ReminderPlan(msgspec.Struct, frozen=True, kw_only=True):
    """An invitation with its checkpoint's reminder settings (when it was just sent)."""

    status: str
    expires_at: str | None
    reminder_count: int
    reminder_days: int | None
    max_reminders: int


async def reminder_plan(tx: Tx, invitation_id: str) -> ReminderPlan | None:
    row = await tx.fetch_one(
        "SELECT i.status, i.expires_at, i.reminder_count, c.reminder_days, c.max_reminders"
        " FROM invitations i LEFT JOIN checkpoints c ON c.key = i.checkpoint_key WHERE i.id = ?",
        (invitation_id,),
    )
    if row is None:
        return None
    return ReminderPlan(
        status=row["status"],
        expires_at=row["expires_at"],
        reminder_count=int(row["reminder_count"]),
        reminder_days=row["reminder_days"],
        max_reminders=int(row["max_reminders"] or 0),
    )


async def last_invited(
    tx: Tx | Database, contact_id: str, checkpoint_key: str, survey_id: str = ""
) -> tuple[str | None, str | None, str | None]:
    """When the contact was last invited at all, and last at this checkpoint; and, in the
    same statement, the newest version of ``survey_id`` (None without one)."""
    # One index range scan answers both questions (any checkpoint, and this one).
    row = await tx.fetch_one(
        "SELECT max(created_at) AS any_at,"
        " max(CASE WHEN checkpoint_key = ? THEN created_at END) AS here_at,"
        " (SELECT v.id FROM survey_versions v WHERE v.survey_id = ?"
        "  ORDER BY v.number DESC LIMIT 1) AS version_id"
        " FROM invitations WHERE contact_id = ?",
        (checkpoint_key, survey_id, contact_id),
    )
    if row is None:
        return None, None, None
    return row["any_at"], row["here_at"], row["version_id"]


class LinkState(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a personal link page needs, read in one query."""

    invitation: Invitation
    response: Response | None
    contact: Contact | None
    latest_version_id: str | None  # the survey's latest published version (None: closed)
    answers: dict[str, Any] = msgspec.field(default_factory=dict)  # the response's so far


def _names(columns: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in columns.split(","))


_PARTS = (("i", _names(COLUMNS)), ("r", _names(RESPONSE_COLUMNS)), ("c", _names(CONTACT_COLUMNS)))
# Built once: the answer POST runs it on every step. The response's answers come
# aggregated as one JSON object, so the completing POST and a resumed page read one row.
_LINK_SELECT = (
    "SELECT "
    + ", ".join(f"{a}.{c} AS {a}_{c}" for a, names in _PARTS for c in names)
    + ", (SELECT v.id FROM survey_versions v JOIN surveys s ON s.id = v.survey_id"
    "   WHERE v.survey_id = i.survey_id AND s.status <> 'archived'"
    "   ORDER BY v.number DESC LIMIT 1) AS latest_version_id, {answers} AS answers"
    " FROM invitations i"
    " LEFT JOIN responses r ON r.invitation_id = i.id"
    " LEFT JOIN contacts c ON c.id = i.contact_id"
    " WHERE i.token_hash = ?"
)
_LINK_SQL = {
    "sqlite": _LINK_SELECT.format(
        answers="(SELECT json_group_object(a.question_id, json(a.value)) FROM answers a"
        " WHERE a.response_id = r.id)"
    ),
    "postgresql": _LINK_SELECT.format(
        answers="(SELECT json_object_agg(a.question_id, a.value::json)::text FROM answers a"
        " WHERE a.response_id = r.id)"
    ),
}
_KEYS = tuple(tuple((f"{a}_{c}", c) for c in names) for a, names in _PARTS)


async def invitation_for_token(db: Database | Tx, raw: str) -> LinkState | None:
    """The invitation a link token opens, its response and answers so far, its contact and
    the survey's latest published version, in one read (the answer POST is the hot path)."""
    # survey_versions/surveys/responses/answers belong to other domains; reading them here
    # saves round trips per request. Archived surveys have no current version.
    row = await db.fetch_one(_LINK_SQL[db.backend], (token_hash(raw),))
    if row is None:
        return None
    invitation, response, contact = ({c: row[k] for k, c in keys} for keys in _KEYS)
    found = row["answers"]
    return LinkState(
        invitation=invitation_from_row(invitation),
        response=None if response["id"] is None else response_from_row(response),
        contact=None if contact["id"] is None else contact_from_row(contact),
        latest_version_id=row["latest_version_id"],
        answers={} if found is None or response["id"] is None else msgspec.json.decode(found),
    )


async def contact_for_token(db: Database, raw: str) -> Contact | None:
    """The contact an invitation's link token belongs to (its ``/u/`` link uses the same)."""
    row = await db.fetch_one(
        f"SELECT {_prefixed('c_', 'c', CONTACT_COLUMNS)} FROM invitations i"
        " JOIN contacts c ON c.id = i.contact_id WHERE i.token_hash = ?",
        (token_hash(raw),),
    )
    return None if row is None else contact_from_row(_take(row, "c_"))


# -- erasure (issue 12) ----------------------------------------------------------------


async def erase_for_contact(tx: Tx, contact_id: str, now: str) -> list[str]:
    """An erased contact's invitations: the ones not yet sent are expired (never sent),
    every one loses its properties snapshot. Returns all their ids (for the outbox)."""
    await tx.execute(
        "UPDATE invitations SET status = 'expired', updated_at = ?"
        " WHERE contact_id = ? AND status = 'scheduled'",
        (now, contact_id),
    )
    await tx.execute("UPDATE invitations SET properties = '{}' WHERE contact_id = ?", (contact_id,))
    rows = await tx.fetch_all("SELECT id FROM invitations WHERE contact_id = ?", (contact_id,))
    return [r["id"] for r in rows]
