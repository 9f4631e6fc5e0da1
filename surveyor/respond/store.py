"""SQL for responses, answers and public links (invitations: ``surveyor.invitations.store``).

Reads go through the readers; each answer POST is one write unit (``save_answers``)
that creates the response on first use, upserts the answers, moves the step and, when
the last step is done, completes the response with a conditional UPDATE, so two
concurrent final submits produce exactly one completion.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from surveyor.db import Database, Tx
from surveyor.ids import new_id, new_token, now_iso, token_hash
from surveyor.invitations.store import mark_opened_or_answered

# Public links live in links_store.py; re-exported for the callers of this module.
from surveyor.respond.links_store import (
    create_public_link,
    get_public_link,
    public_links_for_survey,
)
from surveyor.respond.models import METRICS, NewResponse, ReadInUnit, Response, SaveResult
from surveyor.respond.rows import RESPONSE_COLUMNS, response_from_row

# Moved to ``surveyor.invitations.store`` (the table's one owner); re-exported while
# callers in other rooms (respond/views.py, the follow-up and webhook tests) move over.
from surveyor.invitations.store import (  # noqa: F401  isort: skip
    LinkState,
    create_invitation,
    get_invitation,
    invitation_for_token,
)

# Runs inside the unit that completes a response, with the response and every answer it
# holds (``surveyor.respond.completion.on_completion`` builds the domain event from them).
CompleteTx = Callable[[Tx, Response, dict[str, Any]], Awaitable[None]]

_json = msgspec.json.encode


# -- responses -------------------------------------------------------------------


async def get_response(db: Database | Tx, response_id: str) -> Response | None:
    row = await db.fetch_one(
        f"SELECT {RESPONSE_COLUMNS} FROM responses WHERE id = ?", (response_id,)
    )
    return None if row is None else response_from_row(row)


async def response_for_resume_key(db: Database, raw: str) -> Response | None:
    row = await db.fetch_one(
        f"SELECT {RESPONSE_COLUMNS} FROM responses WHERE resume_hash = ?", (token_hash(raw),)
    )
    return None if row is None else response_from_row(row)


async def get_answers(db: Database | Tx, response_id: str) -> dict[str, Any]:
    rows = await db.fetch_all(
        "SELECT question_id, value FROM answers WHERE response_id = ?", (response_id,)
    )
    return {row["question_id"]: msgspec.json.decode(row["value"]) for row in rows}


def new_resume_key() -> str:
    """The secret an anonymous respondent's page carries to continue its response."""
    return new_token()


async def save_answers_tx(
    tx: Tx,
    new: NewResponse,
    answers: dict[str, Any],
    *,
    step: str,
    complete: bool = False,
    scores: dict[str, int | None] | None = None,
    on_complete: CompleteTx | None = None,
    read: ReadInUnit | None = None,
) -> SaveResult:
    """Save one step's answers inside ``tx``; complete the response when ``complete``.

    A response that is already complete is never changed: the result says so and the
    caller shows the thank-you page. ``on_complete`` runs inside the unit that
    completes the response; if it raises, nothing of this step is stored.

    ``read`` is what the caller read earlier in this same unit. On SQLite a unit runs
    alone on the one writer, so it still holds: the response is neither inserted again
    nor re-read, the answers are not read back, and an invitation already marked opened
    is left alone (an answer POST then costs four statements instead of ten). On
    PostgreSQL another transaction may have changed the rows since: the response row is
    locked, and ``read`` is trusted only while its status, step and ``updated_at`` are
    still the ones read (every write of a response's answers moves ``updated_at``, the
    erasure's too); otherwise, and before the response exists, the row is inserted or
    locked and read again.
    """

    now = now_iso()
    key_column, key = (
        ("invitation_id", new.invitation_id)
        if new.invitation_id is not None
        else ("resume_hash", new.resume_hash)
    )
    if key is None:
        raise ValueError("a response needs an invitation or a resume key")
    values = {m: (scores or {}).get(m) for m in METRICS}
    if (
        tx.backend != "sqlite"
        and read is not None
        and (read.response is None or not await _unchanged_since(tx, read.response))
    ):
        read = None
    if read is not None and read.response is not None:
        response, fresh = read.response, False
        if response.status == "complete":
            return SaveResult(response=response, answers=read.answers, already_complete=True)
    else:
        response, fresh = await _insert_or_lock(
            tx, new, key_column, key, step, now, complete, values
        )
        if response.status == "complete" and not fresh:
            return SaveResult(
                response=response,
                answers=await get_answers(tx, response.id),
                already_complete=True,
            )
    given = {qid: value for qid, value in answers.items() if value is not None}
    skipped = [
        (response.id, qid)
        for qid, value in answers.items()
        if value is None and (read is None or qid in read.answers)
    ]
    if skipped and not fresh:  # an optional question left empty clears an earlier answer
        await tx.execute_many(
            "DELETE FROM answers WHERE response_id = ? AND question_id = ?", skipped
        )
    if given:
        await tx.execute_many(
            "INSERT INTO answers (response_id, question_id, value, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (response_id, question_id) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            [(response.id, qid, _json(value).decode(), now) for qid, value in given.items()],
        )
    if fresh:  # a response created just now has exactly the answers of this step
        stored = dict(given)
    elif read is not None:
        stored = {q: v for q, v in read.answers.items() if q not in answers} | given
    else:
        stored = await get_answers(tx, response.id)
    if not complete:
        if not fresh:
            await tx.execute(
                "UPDATE responses SET current_step = ?, updated_at = ? WHERE id = ?",
                (step, now, response.id),
            )
        unopened = read is None or read.invitation_status in ("scheduled", "sent", "failed")
        if new.invitation_id is not None and unopened:
            await mark_opened_or_answered(tx, new.invitation_id, "opened", now)
        return SaveResult(
            response=msgspec.structs.replace(response, current_step=step, updated_at=now),
            answers=stored,
        )
    changed = 1
    if not fresh:
        changed = await tx.execute(
            "UPDATE responses SET status = 'complete', current_step = ?, updated_at = ?,"
            " completed_at = ?, nps = ?, ces = ?, csat = ?, emotion = ?"
            " WHERE id = ? AND status = 'partial'",
            (step, now, now, *(values[m] for m in METRICS), response.id),
        )
    if changed != 1:  # someone else completed it between our read and write
        return SaveResult(response=response, answers=stored, already_complete=True)
    if new.invitation_id is not None:
        await mark_opened_or_answered(tx, new.invitation_id, "answered", now)
    done = msgspec.structs.replace(
        response,
        status="complete",
        current_step=step,
        updated_at=now,
        completed_at=now,
        **values,
    )
    if on_complete is not None:
        await on_complete(tx, done, stored)
    return SaveResult(response=done, answers=stored, completed_now=True)


async def _unchanged_since(tx: Tx, read: Response) -> bool:
    """Lock the response row; is it still the partial one ``read`` saw?"""
    # One statement instead of three (insert-or-nothing, lock, answers): the answer POST
    # is the hot path. A lock that had to wait returns the row as the other unit left it.
    if read.status != "partial":
        return False
    row = await tx.fetch_one(
        "SELECT status, current_step, updated_at FROM responses WHERE id = ? FOR UPDATE",
        (read.id,),
    )
    return row is not None and (row["status"], row["current_step"], row["updated_at"]) == (
        read.status,
        read.current_step,
        read.updated_at,
    )


async def _insert_or_lock(
    tx: Tx,
    new: NewResponse,
    key_column: str,
    key: str,
    step: str,
    now: str,
    complete: bool,
    values: dict[str, int | None],
) -> tuple[Response, bool]:
    """The response of ``new``, inserted now (``True``) or found and locked (``False``)."""
    # Insert-or-nothing (a first answer that also completes is inserted complete), then,
    # when the row existed, lock it: a concurrent submit for the same invitation waits
    # there (PostgreSQL) or runs after us (the SQLite writer).
    inserted = await tx.fetch_one(
        "INSERT INTO responses (id, invitation_id, resume_hash, public_slug, survey_id,"
        " survey_version_id, contact_id, checkpoint_key, channel, locale, hidden, status,"
        " current_step, started_at, updated_at, completed_at, nps, ces, csat, emotion)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        f" ON CONFLICT ({key_column}) DO NOTHING RETURNING {RESPONSE_COLUMNS}",
        (
            new_id(),
            new.invitation_id,
            new.resume_hash,
            new.public_slug,
            new.survey_id,
            new.survey_version_id,
            new.contact_id,
            new.checkpoint_key,
            new.channel,
            new.locale,
            _json(new.hidden).decode(),
            "complete" if complete else "partial",
            step,
            now,
            now,
            now if complete else None,
            *((values[m] for m in METRICS) if complete else (None,) * len(METRICS)),
        ),
    )
    if inserted is not None:
        return response_from_row(inserted), True
    lock = " FOR UPDATE" if tx.backend == "postgresql" else ""
    row = await tx.fetch_one(
        f"SELECT {RESPONSE_COLUMNS} FROM responses WHERE {key_column} = ?{lock}", (key,)
    )
    assert row is not None
    return response_from_row(row), False


async def save_answers(
    db: Database,
    new: NewResponse,
    answers: dict[str, Any],
    *,
    step: str,
    complete: bool = False,
    scores: dict[str, int | None] | None = None,
    on_complete: CompleteTx | None = None,
) -> SaveResult:
    """``save_answers_tx`` in a unit of its own."""
    return await db.write(
        lambda tx: save_answers_tx(
            tx,
            new,
            answers,
            step=step,
            complete=complete,
            scores=scores,
            on_complete=on_complete,
        )
    )


async def completed_counts(db: Database, survey_ids: list[str]) -> dict[str, int]:
    """Completed responses per survey, from the (survey_id, completed_at, …) index alone."""
    if not survey_ids:
        return {}
    marks = ", ".join("?" for _ in survey_ids)
    rows = await db.fetch_all(
        "SELECT survey_id, COUNT(*) AS n FROM responses"
        f" WHERE survey_id IN ({marks}) AND completed_at IS NOT NULL GROUP BY survey_id",
        tuple(survey_ids),
    )
    return {row["survey_id"]: int(row["n"]) for row in rows}


async def abandoned_responses(
    db: Database, *, before: str, limit: int = 200
) -> list[dict[str, Any]]:
    """Partial responses with at least one answer, untouched since ``before``."""
    return await db.fetch_all(
        "SELECT r.id, r.invitation_id, r.resume_hash, r.survey_id, r.survey_version_id,"
        " r.contact_id FROM responses r WHERE r.status = 'partial' AND r.updated_at < ?"
        " AND EXISTS (SELECT 1 FROM answers a WHERE a.response_id = r.id)"
        " ORDER BY r.updated_at LIMIT ?",
        (before, limit),
    )


# -- erasure and retention (issue 12) --------------------------------------------------


async def responses_of_contact(tx: Tx | Database, contact_id: str) -> list[Response]:
    rows = await tx.fetch_all(
        f"SELECT {RESPONSE_COLUMNS} FROM responses WHERE contact_id = ? ORDER BY started_at, id",
        (contact_id,),
    )
    return [response_from_row(r) for r in rows]


async def blank_answers(tx: Tx, answers: list[tuple[str, str]], now: str) -> int:
    """Replace free-text answers (``(response id, question id)``) with an empty string and
    drop the responses' hidden fields; the key scores on ``responses`` stay as they are,
    so every metric is unchanged."""
    # A partial response's ``updated_at`` moves too (the row first, the order an answer
    # POST locks in): a concurrent POST then re-reads the answers instead of trusting
    # the ones it read before (``save_answers_tx``).
    for response_id in dict.fromkeys(r for r, _ in answers):
        await tx.execute(
            "UPDATE responses SET updated_at = ? WHERE id = ? AND status = 'partial'",
            (now, response_id),
        )
    for response_id, question_id in answers:
        await tx.execute(
            "UPDATE answers SET value = '\"\"', updated_at = ?"
            " WHERE response_id = ? AND question_id = ?",
            (now, response_id, question_id),
        )
    return len(answers)


async def blank_hidden(tx: Tx, response_ids: list[str]) -> None:
    for response_id in response_ids:
        await tx.execute("UPDATE responses SET hidden = '{}' WHERE id = ?", (response_id,))


__all__ = ["create_public_link", "get_public_link", "public_links_for_survey"]
