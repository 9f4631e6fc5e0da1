"""SQL of the tables the records room writes for erasure and retention: the search index
(``response_search``, whose comments erasure and retention blank) and the retention log
(``retention_runs``). Split from ``surveyor.records.store``, which it reads from (one-way).
"""

from __future__ import annotations

from typing import Any

from surveyor.db import Database, Tx
from surveyor.ids import new_id, now_iso
from surveyor.records.store import RESPONSE_COLUMNS, response_from_row
from surveyor.respond.models import Response

# -- the search index (owned here) -------------------------------------------------------


async def index_response(tx: Tx, response_id: str, texts: list[str]) -> None:
    body = "\n".join(t for t in texts if t)
    now = now_iso()
    await tx.execute(
        "INSERT INTO response_search (response_id, body, has_comment, updated_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (response_id) DO UPDATE SET body = excluded.body,"
        " has_comment = excluded.has_comment, updated_at = excluded.updated_at",
        (response_id, body, 1 if body else 0, now),
    )


async def unindexed_responses(db: Database, limit: int = 500) -> list[Response]:
    rows = await db.fetch_all(
        f"SELECT {RESPONSE_COLUMNS} FROM responses r WHERE r.status = 'complete' AND NOT EXISTS"
        " (SELECT 1 FROM response_search s WHERE s.response_id = r.id)"
        " ORDER BY r.started_at LIMIT ?",
        (limit,),
    )
    return [response_from_row(r) for r in rows]


async def blank_search_text(tx: Tx, response_ids: list[str]) -> None:
    """Forget the comments of these responses in the index (``has_comment`` stays, so a
    count of commented responses does not change), and purge the words from FTS5's
    segments: a deleted row's tokens stay in them until they are merged."""
    if not response_ids:
        return
    marks = ", ".join("?" for _ in response_ids)
    await tx.execute(
        f"UPDATE response_search SET body = '', updated_at = ? WHERE response_id IN ({marks})",
        (now_iso(), *response_ids),
    )
    if tx.backend == "sqlite":
        await tx.execute("INSERT INTO response_fts (response_fts) VALUES ('optimize')")


# -- retention (owned here) --------------------------------------------------------------


async def responses_older_than(tx: Tx, cutoff: str, limit: int) -> list[str]:
    """Responses started before ``cutoff`` whose comments are still indexed."""
    rows = await tx.fetch_all(
        "SELECT r.id FROM responses r JOIN response_search s ON s.response_id = r.id"
        " WHERE r.started_at < ? AND s.body <> '' ORDER BY r.started_at LIMIT ?",
        (cutoff, limit),
    )
    return [r["id"] for r in rows]


async def log_retention_run(tx: Tx, cutoff: str, responses: int, contacts: int) -> None:
    await tx.execute(
        "INSERT INTO retention_runs (id, ran_at, cutoff, responses, contacts)"
        " VALUES (?, ?, ?, ?, ?)",
        (new_id(), now_iso(), cutoff, responses, contacts),
    )


async def retention_runs(db: Database, limit: int = 10) -> list[dict[str, Any]]:
    return await db.fetch_all(
        "SELECT ran_at, cutoff, responses, contacts FROM retention_runs"
        " ORDER BY ran_at DESC, id DESC LIMIT ?",
        (limit,),
    )
