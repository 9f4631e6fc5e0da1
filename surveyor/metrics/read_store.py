"""Row reads of the metrics read store: the rows behind the breakdowns, the key drivers,
the export and the question labels (the aggregates are in ``queries``).

Each scoped read takes a :class:`~surveyor.metrics.queries.Scope` and builds its WHERE clause
with ``queries.scope_where``, so it walks the same covering indexes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from surveyor.db import Database, Tx
from surveyor.metrics.queries import KEY_METRICS, Scope, scope_where

# -- rows for the breakdowns, the export and the labels ------------------------


async def nps_counts_by_channel(db: Database, scope: Scope) -> list[dict[str, Any]]:
    """``{channel, nps, n}`` rows: how many responses gave each NPS score, per channel."""
    where, params = scope_where(scope, db.backend)
    return await db.fetch_all(
        f"SELECT channel, nps, count(*) AS n FROM responses WHERE {where} AND nps IS NOT NULL"
        " GROUP BY channel, nps",
        params,
    )


async def newest_text_answers(db: Database, scope: Scope, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` answers that are JSON strings, newest response first, with the
    response's scores and the id of the follow-up case opened for it (or None)."""
    where, params = scope_where(scope, db.backend, alias="r")
    return await db.fetch_all(
        "SELECT r.id AS response_id, r.completed_at, r.survey_version_id, r.nps, r.ces,"
        " r.csat, r.emotion, a.question_id, a.value, f.id AS followup_id FROM responses r"
        " JOIN answers a ON a.response_id = r.id"
        " LEFT JOIN followups f ON f.response_id = r.id"
        f" WHERE {where} AND a.value LIKE '\"%'"
        " ORDER BY r.completed_at DESC LIMIT ?",
        [*params, limit],
    )


async def driver_rows(db: Database, scope: Scope, outcome: str, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` responses with ``outcome`` answered: one row per answer, with
    the key scores and the contact's attributes (JSON text), for the key drivers."""
    if outcome not in KEY_METRICS:
        raise ValueError(f"unknown metric {outcome!r}")
    where, params = scope_where(scope, db.backend)
    return await db.fetch_all(
        "SELECT r.id, r.completed_at, r.nps, r.ces, r.csat, r.emotion, c.attributes,"
        " a.question_id, a.value"
        " FROM (SELECT id, completed_at, contact_id, nps, ces, csat, emotion FROM responses"
        f" WHERE {where} AND {outcome} IS NOT NULL ORDER BY completed_at DESC, id LIMIT ?) r"
        " LEFT JOIN contacts c ON c.id = r.contact_id"
        " LEFT JOIN answers a ON a.response_id = r.id ORDER BY r.id",
        [*params, limit],
    )


async def data_version(db: Database, scope: Scope) -> int:
    """The scope's data version (migration 0100): the sum of the counters of its checkpoint
    and survey and of the "everything" row; it moves on every write a figure of the scope
    may depend on (counters only go up)."""
    clauses: list[str] = []
    params: list[Any] = []
    if scope.checkpoint_key is not None:
        clauses.append("checkpoint_key IN (?, '*')")
        params.append(scope.checkpoint_key)
    if scope.survey_id is not None:
        clauses.append("survey_id IN (?, '*')")
        params.append(scope.survey_id)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return int(await db.fetch_val(f"SELECT sum(n) FROM metrics_versions{where}", params) or 0)


async def completed_between(db: Database, scope: Scope, low: datetime, high: datetime) -> bool:
    """Whether a response of the scope's checkpoint and survey (any segment) completed in
    [low, high): one probe of the covering index, however wide the range."""
    if low >= high:
        return False
    probe = Scope(
        start=low, end=high, survey_id=scope.survey_id, checkpoint_key=scope.checkpoint_key
    )
    where, params = scope_where(probe, db.backend)
    found = await db.fetch_val(f"SELECT 1 FROM responses WHERE {where} LIMIT 1", params)
    return found is not None


def export_rows(db: Database, scope: Scope, batch: int) -> AsyncIterator[list[dict[str, Any]]]:
    """Batches of one row per answer (or one per response without answers), ordered by
    response, with the contact's external id: the export's single streamed query."""
    where, params = scope_where(scope, db.backend, alias="r")
    sql = (
        "SELECT r.id, r.survey_id, r.survey_version_id, r.checkpoint_key, r.channel, r.locale,"
        " r.status, r.started_at, r.completed_at, r.nps, r.ces, r.csat, r.emotion,"
        " c.external_id AS contact, a.question_id, a.value"
        " FROM responses r LEFT JOIN contacts c ON c.id = r.contact_id"
        " LEFT JOIN answers a ON a.response_id = r.id"
        f" WHERE {where} ORDER BY r.completed_at, r.id"
    )
    return db.stream(sql, params, batch)


async def published_versions(
    db: Database | Tx, *, survey_id: str | None = None, version_ids: list[str] | None = None
) -> list[dict[str, Any]]:
    """``{id, survey_id, number, definition}`` of the given versions, else of one survey's,
    else of every survey's, by survey and number."""
    sql = "SELECT id, survey_id, number, definition FROM survey_versions"
    params: list[Any] = []
    if version_ids:
        sql += f" WHERE id IN ({', '.join('?' * len(version_ids))})"
        params = list(version_ids)
    elif survey_id is not None:
        sql += " WHERE survey_id = ?"
        params = [survey_id]
    return await db.fetch_all(sql + " ORDER BY survey_id, number", params)
