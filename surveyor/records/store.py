"""SQL of the records room: the response feed (filters, search, cursor), contacts' lists
and histories (read across rooms, like ``followups.context_store``) and saved filters;
the search index and the retention log are in ``surveyor.records.erasure_store``.

Reads only, apart from the tables this room owns (``response_search``,
``saved_filters``, ``retention_runs``): erasing other rooms' rows goes through their
stores (see ``surveyor.records.erasure``).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from surveyor.db import Database, Tx
from surveyor.ids import new_id, now_iso
from surveyor.records.filters import BANDS, ResponseFilter, search_terms
from surveyor.respond.models import Response

RESPONSE_COLUMNS = (
    "r.id, r.invitation_id, r.public_slug, r.survey_id, r.survey_version_id, r.contact_id,"
    " r.checkpoint_key, r.channel, r.locale, r.hidden, r.status, r.current_step,"
    " r.started_at, r.updated_at, r.completed_at, r.nps, r.ces, r.csat, r.emotion"
)


class Viewer(msgspec.Struct, frozen=True, kw_only=True):
    """Whose records a query may return: everyone's, or a manager's own (the contacts of
    their cases and of the accounts they manage)."""

    all: bool
    user_id: str = ""
    email: str = ""


EVERYONE = Viewer(all=True)


def response_from_row(row: dict[str, Any]) -> Response:
    return msgspec.convert(
        {**row, "hidden": msgspec.json.decode(row["hidden"] or "{}")}, Response, strict=False
    )


def attribute_sql(backend: str) -> str:
    """A contact attribute (``?``) of ``c`` as text, on either engine."""
    if backend == "postgresql":
        return "(c.attributes::jsonb ->> ?)"
    return "CAST(json_extract(c.attributes, '$.\"' || ? || '\"') AS TEXT)"


def like_escape(text: str) -> str:
    """``text`` for ``LIKE … ESCAPE '\\'``: its own ``%`` and ``_`` match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def viewer_contacts_sql(viewer: Viewer, backend: str) -> tuple[str, list[Any]]:
    """SQL for "contact ids this viewer may see" (only for a non-``all`` viewer)."""
    return (
        "(SELECT f.contact_id FROM followups f WHERE f.assignee_id = ? AND f.contact_id IS NOT NULL"
        f" UNION SELECT c.id FROM contacts c WHERE {attribute_sql(backend)} IN (?, ?))",
        [viewer.user_id, "account_manager", viewer.user_id, viewer.email],
    )


def response_where(f: ResponseFilter, viewer: Viewer, backend: str) -> tuple[str, list[Any]]:
    """The feed's WHERE clause over ``responses r``; parameters in order."""
    clauses: list[str] = []
    params: list[Any] = []

    def add(sql: str, *values: Any) -> None:
        clauses.append(sql)
        params.extend(values)

    if not viewer.all:
        sql, values = viewer_contacts_sql(viewer, backend)
        add(
            f"(r.contact_id IN {sql} OR r.id IN"
            " (SELECT f2.response_id FROM followups f2 WHERE f2.assignee_id = ?))",
            *values,
            viewer.user_id,
        )
    if f.survey:
        add("r.survey_id = ?", f.survey)
    if f.checkpoint:
        add("r.checkpoint_key = ?", f.checkpoint)
    if f.channel:
        add("r.channel = ?", f.channel)
    if f.locale:
        add("r.locale = ?", f.locale)
    if f.contact_id:
        add("r.contact_id = ?", f.contact_id)
    if f.status:
        add("r.status = ?", f.status)
    if f.date_from:
        add("r.started_at >= ?", f.date_from)
    if f.date_to:
        add("r.started_at <= ?", f.date_to)
    for metric in BANDS:
        band = getattr(f, metric)
        if band:
            low, high = BANDS[metric][band]
            add(f"r.{metric} BETWEEN ? AND ?", low, high)
    if f.segment is not None:
        add(
            f"r.contact_id IN (SELECT c.id FROM contacts c WHERE {attribute_sql(backend)} = ?)",
            *f.segment,
        )
    for sql, values in f.extra:
        add(f"r.id IN ({sql})", *values)
    if f.has_comment is not None:
        sql = "r.id IN (SELECT s.response_id FROM response_search s WHERE s.has_comment = 1)"
        add(sql if f.has_comment else f"NOT {sql}")
    if f.q:
        words, substrings = search_terms(f.q)
        if words:
            if backend == "postgresql":
                # Only letters and digits reach to_tsquery: no operator can be injected.
                query = " & ".join(f"{w}:*" for w in words)
                add(
                    "r.id IN (SELECT s.response_id FROM response_search s"
                    " WHERE s.tsv @@ to_tsquery('simple', ?))",
                    query,
                )
            else:
                # Each word quoted as an FTS5 string (it holds no quote) with a prefix star.
                query = " ".join(f'"{w}"*' for w in words)
                add(
                    "r.id IN (SELECT s.response_id FROM response_search s"
                    " WHERE s.rowid IN (SELECT rowid FROM response_fts WHERE response_fts MATCH ?))",
                    query,
                )
        for sub in substrings:
            add(
                "r.id IN (SELECT s.response_id FROM response_search s"
                " WHERE lower(s.body) LIKE ? ESCAPE '\\')",
                f"%{like_escape(sub)}%",
            )
        if not words and not substrings:
            # Only punctuation was typed: nothing can match it.
            add("1 = 0")
    return (" AND ".join(clauses) or "1 = 1"), params


# -- the feed ----------------------------------------------------------------------------


def encode_cursor(response: Response) -> str:
    return base64.urlsafe_b64encode(f"{response.started_at}|{response.id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str] | None:
    try:
        started, sep, response_id = (
            base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        )
    except (ValueError, UnicodeDecodeError):
        return None
    if not sep or not started or not response_id:
        return None
    return started, response_id


async def list_responses(
    db: Database | Tx,
    f: ResponseFilter,
    viewer: Viewer,
    *,
    cursor: str = "",
    limit: int = 50,
) -> tuple[list[Response], str | None]:
    """Newest first (by start, then id), ``limit`` per page, and the next page's cursor."""
    where, params = response_where(f, viewer, db.backend)
    if cursor:
        after = decode_cursor(cursor)
        if after is not None:
            where += " AND (r.started_at < ? OR (r.started_at = ? AND r.id < ?))"
            params += [after[0], after[0], after[1]]
    rows = await db.fetch_all(
        f"SELECT {RESPONSE_COLUMNS} FROM responses r WHERE {where}"
        " ORDER BY r.started_at DESC, r.id DESC LIMIT ?",
        (*params, limit + 1),
    )
    items = [response_from_row(r) for r in rows[:limit]]
    more = len(rows) > limit
    return items, (encode_cursor(items[-1]) if more and items else None)


async def get_response(db: Database | Tx, response_id: str) -> Response | None:
    row = await db.fetch_one(
        f"SELECT {RESPONSE_COLUMNS} FROM responses r WHERE r.id = ?", (response_id,)
    )
    return None if row is None else response_from_row(row)


async def viewer_sees_contact(db: Database | Tx, viewer: Viewer, contact_id: str) -> bool:
    if viewer.all:
        return True
    sql, params = viewer_contacts_sql(viewer, db.backend)
    return bool(await db.fetch_val(f"SELECT 1 WHERE ? IN {sql}", (contact_id, *params)))


async def viewer_sees_response(db: Database | Tx, viewer: Viewer, response_id: str) -> bool:
    if viewer.all:
        return True
    where, params = response_where(ResponseFilter(), viewer, db.backend)
    return bool(
        await db.fetch_val(
            f"SELECT 1 FROM responses r WHERE r.id = ? AND {where}", (response_id, *params)
        )
    )


async def comments_of(db: Database | Tx, response_ids: list[str]) -> dict[str, str]:
    if not response_ids:
        return {}
    marks = ", ".join("?" for _ in response_ids)
    rows = await db.fetch_all(
        f"SELECT response_id, body FROM response_search WHERE response_id IN ({marks})",
        tuple(response_ids),
    )
    return {r["response_id"]: r["body"] for r in rows}


async def external_ids(db: Database | Tx, contact_ids: list[str]) -> dict[str, str]:
    ids = sorted({c for c in contact_ids if c})
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = await db.fetch_all(
        f"SELECT id, external_id FROM contacts WHERE id IN ({marks})", tuple(ids)
    )
    return {r["id"]: r["external_id"] for r in rows}


async def case_for_response(db: Database | Tx, response_id: str) -> dict[str, Any] | None:
    return await db.fetch_one(
        "SELECT id, status, priority, assignee_id, created_at FROM followups WHERE response_id = ?",
        (response_id,),
    )


# -- contacts ----------------------------------------------------------------------------

CONTACT_COLUMNS = (
    "c.id, c.external_id, c.email, c.phone, c.name, c.locale, c.timezone, c.attributes,"
    " c.unsubscribed_at, c.erased_at, c.created_at, c.updated_at"
)


def encode_contact_cursor(row: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(f"{row['created_at']}|{row['id']}".encode()).decode()


async def list_contacts(
    db: Database | Tx,
    viewer: Viewer,
    *,
    q: str = "",
    attribute: tuple[str, str] | None = None,
    cursor: str = "",
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """Contacts, newest first; ``q`` matches the start of the external id, email or name
    (case-insensitive) anywhere in the name; ``attribute`` an exact attribute value."""
    clauses: list[str] = []
    params: list[Any] = []
    if not viewer.all:
        sql, values = viewer_contacts_sql(viewer, db.backend)
        clauses.append(f"c.id IN {sql}")
        params += values
    if q:
        pattern = like_escape(q.lower())
        clauses.append(
            "(lower(c.external_id) LIKE ? ESCAPE '\\' OR lower(c.email) LIKE ? ESCAPE '\\'"
            " OR lower(c.name) LIKE ? ESCAPE '\\')"
        )
        params += [f"{pattern}%", f"{pattern}%", f"%{pattern}%"]
    if attribute is not None:
        clauses.append(f"{attribute_sql(db.backend)} = ?")
        params += list(attribute)
    if cursor:
        after = decode_cursor(cursor)
        if after is not None:
            clauses.append("(c.created_at < ? OR (c.created_at = ? AND c.id < ?))")
            params += [after[0], after[0], after[1]]
    where = " AND ".join(clauses) or "1 = 1"
    rows = await db.fetch_all(
        f"SELECT {CONTACT_COLUMNS} FROM contacts c WHERE {where}"
        " ORDER BY c.created_at DESC, c.id DESC LIMIT ?",
        (*params, limit + 1),
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_contact_cursor(rows[-1]) if more and rows else None)


async def contact_events(db: Database | Tx, contact_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        "SELECT id, checkpoint_key, decision, reason, properties, created_at FROM events"
        " WHERE contact_id = ? ORDER BY created_at, id",
        (contact_id,),
    )
    return [{**r, "properties": msgspec.json.decode(r["properties"] or "{}")} for r in rows]


async def contact_responses(db: Database | Tx, contact_id: str) -> list[Response]:
    rows = await db.fetch_all(
        f"SELECT {RESPONSE_COLUMNS} FROM responses r WHERE r.contact_id = ?"
        " ORDER BY r.started_at, r.id",
        (contact_id,),
    )
    return [response_from_row(r) for r in rows]


async def contact_cases(db: Database | Tx, contact_id: str) -> list[dict[str, Any]]:
    return await db.fetch_all(
        "SELECT id, response_id, status, priority, assignee_id, created_at, closed_at"
        " FROM followups WHERE contact_id = ? ORDER BY created_at, id",
        (contact_id,),
    )


async def contact_audit(db: Database | Tx, contact_id: str) -> list[dict[str, Any]]:
    return await db.fetch_all(
        "SELECT at, actor, action FROM audit_log WHERE target_type = 'contact' AND target_id = ?"
        " ORDER BY at, id",
        (contact_id,),
    )


# -- saved filters (owned here) ----------------------------------------------------------


async def saved_filters(db: Database, user_id: str) -> list[dict[str, Any]]:
    return await db.fetch_all(
        "SELECT id, name, query FROM saved_filters WHERE user_id = ? ORDER BY name, id",
        (user_id,),
    )


async def save_filter(db: Database, user_id: str, name: str, query: str) -> str:
    filter_id = new_id()

    async def unit(tx: Tx) -> None:
        # One filter per name and user: saving again under a name replaces it.
        await tx.execute(
            "DELETE FROM saved_filters WHERE user_id = ? AND name = ?", (user_id, name)
        )
        await tx.execute(
            "INSERT INTO saved_filters (id, user_id, name, query, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (filter_id, user_id, name, query, now_iso()),
        )

    await db.write(unit)
    return filter_id


async def delete_filter(db: Database, user_id: str, filter_id: str) -> bool:
    async def unit(tx: Tx) -> int:
        return await tx.execute(
            "DELETE FROM saved_filters WHERE id = ? AND user_id = ?", (filter_id, user_id)
        )

    return bool(await db.write(unit))


def export_rows(
    db: Database, f: ResponseFilter, viewer: Viewer, batch: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """The feed's responses in the export's row shape (``metrics.read_store.export_rows``):
    one row per answer, ordered by response, streamed in batches."""
    where, params = response_where(f, viewer, db.backend)
    sql = (
        "SELECT r.id, r.survey_id, r.survey_version_id, r.checkpoint_key, r.channel, r.locale,"
        " r.status, r.started_at, r.completed_at, r.nps, r.ces, r.csat, r.emotion,"
        " c.external_id AS contact, a.question_id, a.value"
        " FROM responses r LEFT JOIN contacts c ON c.id = r.contact_id"
        " LEFT JOIN answers a ON a.response_id = r.id"
        f" WHERE {where} ORDER BY r.started_at DESC, r.id DESC"
    )
    return db.stream(sql, params, batch)
