"""SQL of the workbench's own tables: reply templates (shared by the team) and saved
inbox views (one person's named filters). Cases and their timeline stay in ``store``."""

from __future__ import annotations

import msgspec

from surveyor.db import Database, Tx
from surveyor.ids import new_id, now_iso

Reader = Database | Tx


class ReplyTemplate(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    subject: str
    body: str
    updated_by: str | None = None
    created_at: str
    updated_at: str


class SavedView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    user_id: str
    name: str
    query: str
    created_at: str


TEMPLATE_COLUMNS = "id, name, subject, body, updated_by, created_at, updated_at"
VIEW_COLUMNS = "id, user_id, name, query, created_at"


class NameTaken(Exception):
    """Another template (or another of this person's views) has that name."""


# -- reply templates ---------------------------------------------------------------


async def list_templates(db: Reader) -> list[ReplyTemplate]:
    rows = await db.fetch_all(
        f"SELECT {TEMPLATE_COLUMNS} FROM followup_reply_templates ORDER BY name"
    )
    return [msgspec.convert(r, ReplyTemplate) for r in rows]


async def get_template(db: Reader, template_id: str) -> ReplyTemplate | None:
    row = await db.fetch_one(
        f"SELECT {TEMPLATE_COLUMNS} FROM followup_reply_templates WHERE id = ?", (template_id,)
    )
    return None if row is None else msgspec.convert(row, ReplyTemplate)


async def save_template(
    tx: Tx, template_id: str, *, name: str, subject: str, body: str, user_id: str | None
) -> ReplyTemplate:
    """Create (``template_id`` empty) or update one template; NameTaken on a clash."""
    clash = await tx.fetch_val(
        "SELECT id FROM followup_reply_templates WHERE name = ? AND id <> ?", (name, template_id)
    )
    if clash:
        raise NameTaken(name)
    stamp = now_iso()
    if template_id:
        await tx.execute(
            "UPDATE followup_reply_templates SET name = ?, subject = ?, body = ?, updated_by = ?,"
            " updated_at = ? WHERE id = ?",
            (name, subject, body, user_id, stamp, template_id),
        )
    else:
        template_id = new_id()
        await tx.execute(
            f"INSERT INTO followup_reply_templates ({TEMPLATE_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (template_id, name, subject, body, user_id, stamp, stamp),
        )
    saved = await get_template(tx, template_id)
    assert saved is not None
    return saved


async def delete_template(tx: Tx, template_id: str) -> bool:
    return bool(
        await tx.execute("DELETE FROM followup_reply_templates WHERE id = ?", (template_id,))
    )


# -- saved views -------------------------------------------------------------------


async def list_views(db: Reader, user_id: str) -> list[SavedView]:
    rows = await db.fetch_all(
        f"SELECT {VIEW_COLUMNS} FROM followup_saved_views WHERE user_id = ? ORDER BY name",
        (user_id,),
    )
    return [msgspec.convert(r, SavedView) for r in rows]


async def save_view(tx: Tx, user_id: str, name: str, query: str) -> SavedView:
    """Store a named view for ``user_id``; the same name again replaces its query."""
    existing = await tx.fetch_val(
        "SELECT id FROM followup_saved_views WHERE user_id = ? AND name = ?", (user_id, name)
    )
    stamp = now_iso()
    if existing:
        await tx.execute(
            "UPDATE followup_saved_views SET query = ? WHERE id = ?", (query, existing)
        )
        view_id = existing
    else:
        view_id = new_id()
        await tx.execute(
            f"INSERT INTO followup_saved_views ({VIEW_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
            (view_id, user_id, name, query, stamp),
        )
    row = await tx.fetch_one(
        f"SELECT {VIEW_COLUMNS} FROM followup_saved_views WHERE id = ?", (view_id,)
    )
    return msgspec.convert(row, SavedView)


async def delete_view(tx: Tx, user_id: str, view_id: str) -> bool:
    """Only the owner's own view goes; someone else's id changes nothing."""
    return bool(
        await tx.execute(
            "DELETE FROM followup_saved_views WHERE id = ? AND user_id = ?", (view_id, user_id)
        )
    )
