"""Keeping the search index in step: a completed response's comments are indexed in the
transaction that completes it, and responses completed before this room existed are
indexed at start-up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from surveyor.db import Tx
from surveyor.events import ResponseCompleted
from surveyor.metrics.labels import version_labels
from surveyor.records import erasure_store
from surveyor.respond.store import get_answers
from surveyor.services import Services
from surveyor.surveys.kinds import question_kinds


def comment_texts(svc: Services, answers: list[tuple[str, Any]]) -> list[str]:
    """The free-text answers among ``(question kind, value)`` pairs."""
    kinds = question_kinds(svc)
    return [
        value.strip()
        for kind, value in answers
        if isinstance(value, str) and value.strip() and getattr(kinds.get(kind), "comment", False)
    ]


def completion_listener(svc: Services) -> Callable[[Tx, ResponseCompleted], Awaitable[None]]:
    async def index(tx: Tx, event: ResponseCompleted) -> None:
        texts = comment_texts(svc, [(a.question.kind, a.value) for a in event.answers])
        await erasure_store.index_response(tx, event.response.id, texts)

    return index


async def index_missing(svc: Services) -> int:
    """Index completed responses that have no search row yet; returns how many."""
    done = 0
    kinds = question_kinds(svc)
    while batch := await erasure_store.unindexed_responses(svc.db):
        labels = await version_labels(
            svc.db, version_ids=sorted({r.survey_version_id for r in batch}), kinds=kinds
        )
        rows = []
        for response in batch:
            version = labels.get(response.survey_version_id)
            comment_ids = version.text_question_ids() if version else set()
            answers = await get_answers(svc.db, response.id)
            texts = [
                v.strip()
                for q, v in answers.items()
                if q in comment_ids and isinstance(v, str) and v.strip()
            ]
            rows.append((response.id, texts))

        async def unit(tx: Tx, rows: list[tuple[str, list[str]]] = rows) -> None:
            for response_id, texts in rows:
                await erasure_store.index_response(tx, response_id, texts)

        await svc.db.write(unit)
        done += len(rows)
    return done
