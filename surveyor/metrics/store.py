"""SQL for annotations: dated changes on a checkpoint (an accelerator or a blocker)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from surveyor.auth.store import audit
from surveyor.db import Database, Tx
from surveyor.ids import new_id, now_iso

COLUMNS = (
    "id, checkpoint_key, survey_id, kind, title, description, happened_on, created_by, created_at"
)
AnnotationKind = Literal["accelerator", "blocker"]


class Annotation(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    checkpoint_key: str
    survey_id: str | None = None
    kind: AnnotationKind
    title: str
    description: str = ""
    happened_on: str  # YYYY-MM-DD
    created_by: str | None = None
    created_at: str


class AnnotationIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    kind: AnnotationKind
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    happened_on: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]


async def list_annotations(db: Database, checkpoint_key: str | None = None) -> list[Annotation]:
    sql = f"SELECT {COLUMNS} FROM annotations"
    params: list[Any] = []
    if checkpoint_key is not None:
        sql += " WHERE checkpoint_key = ?"
        params.append(checkpoint_key)
    rows = await db.fetch_all(sql + " ORDER BY happened_on, created_at", params)
    return [msgspec.convert(row, Annotation, strict=False) for row in rows]


async def get_annotation(db: Database, annotation_id: str) -> Annotation | None:
    row = await db.fetch_one(f"SELECT {COLUMNS} FROM annotations WHERE id = ?", (annotation_id,))
    return None if row is None else msgspec.convert(row, Annotation, strict=False)


async def add_annotation(
    db: Database | Tx,
    checkpoint_key: str,
    data: AnnotationIn,
    *,
    user: Any = None,
    survey_id: str | None = None,
    annotation_id: str | None = None,
) -> Annotation:
    annotation = Annotation(
        id=annotation_id or new_id(),
        checkpoint_key=checkpoint_key,
        survey_id=survey_id,
        kind=data.kind,
        title=data.title,
        description=data.description,
        happened_on=data.happened_on,
        created_by=getattr(user, "id", None),
        created_at=now_iso(),
    )

    async def insert(tx: Tx) -> None:
        await tx.execute(
            f"INSERT INTO annotations ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            tuple(msgspec.structs.astuple(annotation)),
        )
        if user is not None:
            await audit(
                tx,
                "annotation.added",
                actor=user,
                target_type="checkpoint",
                target_id=checkpoint_key,
                detail={"kind": data.kind, "title": data.title, "happened_on": data.happened_on},
            )

    if hasattr(db, "write"):
        await db.write(insert)  # type: ignore[union-attr]
    else:
        await insert(db)  # type: ignore[arg-type]
    return annotation


async def delete_annotation(db: Database, annotation_id: str, *, user: Any) -> bool:
    async def remove(tx: Tx) -> bool:
        changed = await tx.execute("DELETE FROM annotations WHERE id = ?", (annotation_id,))
        if changed:
            await audit(
                tx,
                "annotation.deleted",
                actor=user,
                target_type="annotation",
                target_id=annotation_id,
            )
        return changed > 0

    return await db.write(remove)


async def published_surveys(db: Database) -> list[dict[str, str]]:
    """``{id, name}`` of every survey with a published version, by name (the overview)."""
    rows = await db.fetch_all(
        "SELECT id, name FROM surveys WHERE latest_version IS NOT NULL ORDER BY name, id"
    )
    return [{"id": row["id"], "name": row["name"]} for row in rows]


async def followup_for_response(db: Database, response_id: str) -> dict[str, str] | None:
    """The follow-up case opened for a response (``{id, status}``), for its page."""
    row = await db.fetch_one(
        "SELECT id, status FROM followups WHERE response_id = ?", (response_id,)
    )
    return None if row is None else {"id": row["id"], "status": row["status"]}
