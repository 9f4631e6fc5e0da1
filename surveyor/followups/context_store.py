"""SQL for what a case is shown with, read from other rooms' tables: its response and
answers, the contact's earlier responses and names, the surveys and checkpoints a rule
can be scoped to, and the recovery survey made for a survey (kept in ``meta``).

The case tables themselves are ``store``'s; this module only reads the others (and
writes the one ``meta`` key of a recovery survey).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from surveyor.db import Database, Tx
from surveyor.invitations.store import get_invitation

Reader = Database | Tx
SCORES = "nps, ces, csat, emotion"


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


async def case_response(db: Reader, response_id: str) -> dict[str, Any] | None:
    """The response a case is about, with its survey's name."""
    return await db.fetch_one(
        "SELECT r.id, r.invitation_id, r.survey_version_id, r.locale, r.channel, r.completed_at,"
        " r.nps, r.ces, r.csat, r.emotion, s.name AS survey_name FROM responses r"
        " LEFT JOIN surveys s ON s.id = r.survey_id WHERE r.id = ?",
        (response_id,),
    )


async def recovery_invitation(db: Reader, invitation_id: str) -> dict[str, Any] | None:
    """The recovery invitation's status and send time (from its owner, the invitations
    store), with the scores of its completed answer."""
    invitation = await get_invitation(db, invitation_id)
    if invitation is None:
        return None
    scores = await db.fetch_one(
        "SELECT nps, ces, csat, emotion FROM responses"
        " WHERE invitation_id = ? AND completed_at IS NOT NULL",
        (invitation_id,),
    )
    return {
        "status": invitation.status,
        "send_at": invitation.send_at,
        "channel": invitation.channel,
        **(scores or dict.fromkeys(("nps", "ces", "csat", "emotion"))),
    }


async def version_definition(db: Reader, version_id: str) -> Any | None:
    """A survey version's definition as decoded JSON (None if there is no such version)."""
    text = await db.fetch_val("SELECT definition FROM survey_versions WHERE id = ?", (version_id,))
    return None if text is None else msgspec.json.decode(text)


async def answer_values(db: Reader, response_id: str) -> dict[str, Any]:
    """``{question id: answer}`` of one response."""
    rows = await db.fetch_all(
        "SELECT question_id, value FROM answers WHERE response_id = ?", (response_id,)
    )
    return {r["question_id"]: msgspec.json.decode(r["value"]) for r in rows}


async def earlier_responses(
    db: Reader, contact_id: str, *, exclude: str, limit: int = 20
) -> list[dict[str, Any]]:
    """The contact's other completed responses, newest first, with their survey's name."""
    return await db.fetch_all(
        "SELECT r.id, r.completed_at, r.checkpoint_key, r.nps, r.ces, r.csat, r.emotion,"
        " s.name AS survey_name FROM responses r LEFT JOIN surveys s ON s.id = r.survey_id"
        " WHERE r.contact_id = ? AND r.id <> ? AND r.status = 'complete'"
        " ORDER BY r.completed_at DESC LIMIT ?",
        (contact_id, exclude, limit),
    )


async def contacts_of_cases(db: Reader, case_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{contact id: {id, name, external_id}}`` of the contacts the cases are about."""
    if not case_ids:
        return {}
    rows = await db.fetch_all(
        "SELECT c.id, c.name, c.external_id FROM contacts c WHERE c.id IN"
        f" (SELECT contact_id FROM followups WHERE id IN ({_marks(case_ids)}))",
        tuple(case_ids),
    )
    return {r["id"]: r for r in rows}


async def contact_external_ids(db: Reader, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{contact id: {id, external_id}}``."""
    if not ids:
        return {}
    rows = await db.fetch_all(
        f"SELECT id, external_id FROM contacts WHERE id IN ({_marks(ids)})", tuple(ids)
    )
    return {r["id"]: r for r in rows}


async def response_scores(db: Reader, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{response id: {id, completed_at, nps, ces, csat, emotion}}``."""
    if not ids:
        return {}
    rows = await db.fetch_all(
        f"SELECT id, completed_at, {SCORES} FROM responses WHERE id IN ({_marks(ids)})",
        tuple(ids),
    )
    return {r["id"]: r for r in rows}


async def scores_of(tx: Reader, response_id: str) -> dict[str, Any] | None:
    """``{nps, ces, csat, emotion}`` of one response."""
    return await tx.fetch_one(f"SELECT {SCORES} FROM responses WHERE id = ?", (response_id,))


async def survey_choices(db: Reader) -> list[dict[str, Any]]:
    return await db.fetch_all("SELECT id, name FROM surveys ORDER BY name")


async def checkpoint_choices(db: Reader) -> list[dict[str, Any]]:
    return await db.fetch_all("SELECT key, name FROM checkpoints ORDER BY position, key")


async def latest_version(db: Reader, survey_id: str) -> dict[str, Any] | None:
    """``{id, definition, name}`` of a survey's newest version (definition as JSON text)."""
    return await db.fetch_one(
        "SELECT v.id, v.definition, s.name FROM survey_versions v"
        " JOIN surveys s ON s.id = v.survey_id"
        " WHERE v.survey_id = ? ORDER BY v.number DESC LIMIT 1",
        (survey_id,),
    )


async def latest_version_id(tx: Reader, survey_id: str) -> str | None:
    return await tx.fetch_val(
        "SELECT id FROM survey_versions WHERE survey_id = ? ORDER BY number DESC LIMIT 1",
        (survey_id,),
    )


async def meta_value(db: Reader, key: str) -> str | None:
    return await db.fetch_val("SELECT value FROM meta WHERE key = ?", (key,))


async def set_meta_value(tx: Tx, key: str, value: str) -> None:
    await tx.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


# -- the workbench's inbox rows (issue 19) ---------------------------------------------


async def answers_of(db: Reader, response_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{response id: {question id: answer}}`` of several responses, in one query."""
    if not response_ids:
        return {}
    rows = await db.fetch_all(
        "SELECT response_id, question_id, value FROM answers"
        f" WHERE response_id IN ({_marks(response_ids)})",
        tuple(response_ids),
    )
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        out.setdefault(r["response_id"], {})[r["question_id"]] = msgspec.json.decode(r["value"])
    return out


async def definitions_of(db: Reader, response_ids: Sequence[str]) -> dict[str, Any]:
    """``{response id: its version's definition (decoded)}``; each version read once."""
    if not response_ids:
        return {}
    rows = await db.fetch_all(
        f"SELECT id, survey_version_id FROM responses WHERE id IN ({_marks(response_ids)})",
        tuple(response_ids),
    )
    versions = sorted({r["survey_version_id"] for r in rows if r["survey_version_id"]})
    texts = (
        await db.fetch_all(
            f"SELECT id, definition FROM survey_versions WHERE id IN ({_marks(versions)})",
            tuple(versions),
        )
        if versions
        else []
    )
    decoded = {t["id"]: msgspec.json.decode(t["definition"]) for t in texts}
    return {r["id"]: decoded.get(r["survey_version_id"]) for r in rows}


async def contact_attributes(db: Reader, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{contact id: attributes}``."""
    if not ids:
        return {}
    rows = await db.fetch_all(
        f"SELECT id, attributes FROM contacts WHERE id IN ({_marks(ids)})", tuple(ids)
    )
    return {r["id"]: msgspec.json.decode(r["attributes"] or "{}") for r in rows}
