"""What a case's notices say about it: the contact's name and the response's comment.

Read again from the database (notices are built later, from the case alone); opening a
case takes the comment from the ``ResponseCompleted`` event instead.
"""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.contacts.store import get_contact
from surveyor.db import Database, Tx
from surveyor.followups.models import Followup


async def comment_of(tx: Database | Tx, response: Any) -> str:
    """The free-text answers of a response, joined (what keyword rules look at)."""
    row = await tx.fetch_one(
        "SELECT definition FROM survey_versions WHERE id = ?", (response.survey_version_id,)
    )
    text_ids: set[str] = set()
    if row is not None:
        definition = msgspec.json.decode(row["definition"])
        text_ids = {q["id"] for q in definition.get("questions", []) if q.get("kind") == "text"}
    rows = await tx.fetch_all(
        "SELECT question_id, value FROM answers WHERE response_id = ? ORDER BY question_id",
        (response.id,),
    )
    texts = []
    for r in rows:
        value = msgspec.json.decode(r["value"])
        if r["question_id"] in text_ids and isinstance(value, str) and value.strip():
            texts.append(value.strip())
    return "\n\n".join(texts)


async def case_context(tx: Database | Tx, case: Followup) -> tuple[str, str]:
    """The contact's name and the response's comment, for notices."""
    contact = await get_contact(tx, case.contact_id) if case.contact_id else None
    response = await tx.fetch_one(
        "SELECT id, survey_version_id FROM responses WHERE id = ?", (case.response_id,)
    )
    comment = await comment_of(tx, msgspec.convert(response, _ResponseRef)) if response else ""
    name = (contact.name or contact.external_id) if contact else ""
    return name, comment


class _ResponseRef(msgspec.Struct, frozen=True):
    id: str
    survey_version_id: str
