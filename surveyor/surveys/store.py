"""SQL for surveys and their published versions.

For other domains: ``get_published_version(db, survey_id)`` is what links and
checkpoints serve (the latest published version), ``get_version(db, version_id)`` is
what a response that points at a version reads back.
"""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.auth.models import User
from surveyor.auth.store import audit
from surveyor.db import Database, Tx
from surveyor.ids import new_id, now_iso
from surveyor.surveys.models import (
    Survey,
    SurveyDefinition,
    SurveyVersion,
    definition_from_json,
    definition_to_json,
)

SURVEY_COLUMNS = "id, name, status, draft, latest_version, created_by, created_at, updated_at"
VERSION_COLUMNS = "id, survey_id, number, definition, published_at, published_by"


class SurveyNotFound(LookupError):
    pass


def _survey(row: dict[str, Any] | None) -> Survey | None:
    if row is None:
        return None
    draft = definition_from_json(row["draft"])
    return msgspec.convert({**row, "draft": draft}, Survey, strict=False, from_attributes=True)


def _version(row: dict[str, Any] | None) -> SurveyVersion | None:
    if row is None:
        return None
    definition = definition_from_json(row["definition"])
    return msgspec.convert(
        {**row, "definition": definition}, SurveyVersion, strict=False, from_attributes=True
    )


# -- reads ----------------------------------------------------------------------------


async def get_survey(db: Database, survey_id: str) -> Survey | None:
    return _survey(
        await db.fetch_one(f"SELECT {SURVEY_COLUMNS} FROM surveys WHERE id = ?", (survey_id,))
    )


async def completed_response_counts(db: Database, ids: list[str]) -> dict[str, int]:
    """Completed responses per survey; {} when the installation has no ``responses``
    table (the respond domain switched off)."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    try:
        rows = await db.fetch_all(
            "SELECT survey_id, COUNT(*) AS n FROM responses"
            f" WHERE status = 'complete' AND survey_id IN ({marks}) GROUP BY survey_id",
            tuple(ids),
        )
    except Exception:  # no responses table in this installation: nothing to count
        return {}
    return {row["survey_id"]: int(row["n"]) for row in rows}


async def list_surveys(
    db: Database, *, limit: int = 50, cursor: str | None = None, include_archived: bool = True
) -> tuple[list[Survey], str | None]:
    """Newest first. ``cursor`` is opaque to callers: ``created_at|id`` of the last survey
    of the previous page (ids made in the same millisecond do not sort by time)."""
    where, params = [], []
    if cursor:
        created, _, last_id = cursor.partition("|")
        where.append("(created_at < ? OR (created_at = ? AND id < ?))")
        params.extend([created, created, last_id])
    if not include_archived:
        where.append("status <> 'archived'")
    sql = f"SELECT {SURVEY_COLUMNS} FROM surveys"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = await db.fetch_all(
        sql + " ORDER BY created_at DESC, id DESC LIMIT ?", (*params, limit + 1)
    )
    surveys = [s for s in map(_survey, rows[:limit]) if s is not None]
    last = surveys[-1] if surveys else None
    next_cursor = f"{last.created_at}|{last.id}" if len(rows) > limit and last else None
    return surveys, next_cursor


async def get_version(db: Database, version_id: str) -> SurveyVersion | None:
    """A published version by its id (what a response points at)."""
    return _version(
        await db.fetch_one(
            f"SELECT {VERSION_COLUMNS} FROM survey_versions WHERE id = ?", (version_id,)
        )
    )


async def get_version_number(db: Database, survey_id: str, number: int) -> SurveyVersion | None:
    return _version(
        await db.fetch_one(
            f"SELECT {VERSION_COLUMNS} FROM survey_versions WHERE survey_id = ? AND number = ?",
            (survey_id, number),
        )
    )


async def get_published_version(db: Database, survey_id: str) -> SurveyVersion | None:
    """The latest published version of a survey, or None if it was never published
    (or is archived: an archived survey is no longer sent)."""
    row = await db.fetch_one(
        f"SELECT {', '.join('v.' + c.strip() for c in VERSION_COLUMNS.split(','))}"
        " FROM survey_versions v JOIN surveys s ON s.id = v.survey_id"
        " WHERE v.survey_id = ? AND s.status <> 'archived'"
        " ORDER BY v.number DESC LIMIT 1",
        (survey_id,),
    )
    return _version(row)


async def list_versions(db: Database, survey_id: str) -> list[SurveyVersion]:
    rows = await db.fetch_all(
        f"SELECT {VERSION_COLUMNS} FROM survey_versions WHERE survey_id = ? ORDER BY number DESC",
        (survey_id,),
    )
    return [v for v in map(_version, rows) if v is not None]


async def version_counts(db: Database, survey_ids: list[str]) -> dict[str, int]:
    if not survey_ids:
        return {}
    marks = ", ".join("?" for _ in survey_ids)
    rows = await db.fetch_all(
        f"SELECT survey_id, COUNT(*) AS n FROM survey_versions WHERE survey_id IN ({marks})"
        " GROUP BY survey_id",
        tuple(survey_ids),
    )
    return {row["survey_id"]: int(row["n"]) for row in rows}


# -- writes ---------------------------------------------------------------------------


async def create_survey(
    db: Database, *, name: str, definition: SurveyDefinition, user: User | None = None
) -> Survey:
    now = now_iso()
    survey = Survey(
        id=new_id(),
        name=name,
        status="draft",
        draft=definition,
        created_at=now,
        updated_at=now,
        created_by=user.id if user else None,
    )

    async def insert(tx: Tx) -> None:
        await tx.execute(
            "INSERT INTO surveys (id, name, status, draft, created_by, created_at, updated_at)"
            " VALUES (?, ?, 'draft', ?, ?, ?, ?)",
            (survey.id, name, definition_to_json(definition).decode(), survey.created_by, now, now),
        )
        await audit(tx, "survey.created", actor=user, target_type="survey", target_id=survey.id)

    await db.write(insert)
    return survey


async def update_draft(
    db: Database,
    survey_id: str,
    *,
    definition: SurveyDefinition | None = None,
    name: str | None = None,
    user: User | None = None,
) -> Survey:
    """Replace the draft (and/or rename). Published versions are untouched."""
    now = now_iso()

    async def update(tx: Tx) -> None:
        sets, params = ["updated_at = ?"], [now]
        if definition is not None:
            sets.append("draft = ?")
            params.append(definition_to_json(definition).decode())
        if name is not None:
            sets.append("name = ?")
            params.append(name)
        changed = await tx.execute(
            f"UPDATE surveys SET {', '.join(sets)} WHERE id = ?", (*params, survey_id)
        )
        if not changed:
            raise SurveyNotFound(survey_id)

    await db.write(update)
    found = await get_survey(db, survey_id)
    if found is None:
        raise SurveyNotFound(survey_id)
    return found


async def publish(
    db: Database, survey_id: str, definition: SurveyDefinition, user: User | None = None
) -> tuple[SurveyVersion, bool]:
    """Freeze ``definition`` (already validated) as the next version.

    Returns ``(version, created)``: publishing a definition identical to the latest
    version creates nothing and returns that version.
    """
    body = definition_to_json(definition).decode()
    now = now_iso()

    async def freeze(tx: Tx) -> tuple[dict[str, Any], bool]:
        latest = await tx.fetch_one(
            f"SELECT {VERSION_COLUMNS} FROM survey_versions WHERE survey_id = ?"
            " ORDER BY number DESC LIMIT 1",
            (survey_id,),
        )
        if latest is not None and latest["definition"] == body:
            return latest, False
        number = (int(latest["number"]) if latest else 0) + 1
        row = {
            "id": new_id(),
            "survey_id": survey_id,
            "number": number,
            "definition": body,
            "published_at": now,
            "published_by": user.id if user else None,
        }
        await tx.execute(
            f"INSERT INTO survey_versions ({VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            tuple(row.values()),
        )
        await tx.execute(
            "UPDATE surveys SET status = 'published', latest_version = ?, updated_at = ?"
            " WHERE id = ?",
            (number, now, survey_id),
        )
        await audit(
            tx,
            "survey.published",
            actor=user,
            target_type="survey",
            target_id=survey_id,
            detail={"version": number},
        )
        return row, True

    row, created = await db.write(freeze)
    version = _version(row)
    assert version is not None
    return version, created


async def discard_draft(
    db: Database, survey_id: str, version: SurveyVersion, user: User | None = None
) -> None:
    """Replace the draft by a published version's definition (the designer's "discard
    draft changes"), audited."""
    now = now_iso()

    async def reset(tx: Tx) -> None:
        changed = await tx.execute(
            "UPDATE surveys SET draft = ?, updated_at = ? WHERE id = ?",
            (definition_to_json(version.definition).decode(), now, survey_id),
        )
        if not changed:
            raise SurveyNotFound(survey_id)
        await audit(
            tx,
            "survey.draft_discarded",
            actor=user,
            target_type="survey",
            target_id=survey_id,
            detail={"version": version.number},
        )

    await db.write(reset)
