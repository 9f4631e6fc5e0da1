"""What a case's notices say about it: the contact's name and the response's comment.

Read again from the database (notices are built later, from the case alone); opening a
case takes the comment from the ``ResponseCompleted`` event instead.
"""

from __future__ import annotations

from typing import Any

from surveyor.contacts.store import get_contact
from surveyor.db import Database, Tx
from surveyor.followups import context_store
from surveyor.followups.models import Followup
from surveyor.surveys.kinds import DEFAULT_KINDS, KindRegistry


def comment_text(
    definition: Any, values: dict[str, Any], kinds: KindRegistry = DEFAULT_KINDS
) -> str:
    """The comment answers (kinds whose ``comment`` is set), joined in question-id order:
    what keyword rules look at."""
    comment_ids = {
        q["id"]
        for q in (definition or {}).get("questions", [])
        if getattr(kinds.get(q.get("kind", "")), "comment", False)
    }
    texts = [
        value.strip()
        for qid, value in sorted(values.items())
        if qid in comment_ids and isinstance(value, str) and value.strip()
    ]
    return "\n\n".join(texts)


async def case_context(
    tx: Database | Tx, case: Followup, kinds: KindRegistry = DEFAULT_KINDS
) -> tuple[str, str]:
    """The contact's name and the response's comment, for notices."""
    contact = await get_contact(tx, case.contact_id) if case.contact_id else None
    response = await context_store.case_response(tx, case.response_id)
    comment = ""
    if response is not None:
        definition = await context_store.version_definition(tx, response["survey_version_id"])
        values = await context_store.answer_values(tx, case.response_id)
        comment = comment_text(definition, values, kinds)
    name = (contact.name or contact.external_id) if contact else ""
    return name, comment
