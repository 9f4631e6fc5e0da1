"""SQL for follow-up rules: which responses open a case, with what priority and SLA.

Readers take a ``Database`` or a ``Tx``; writers the caller's ``tx``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.db import Database, Tx
from surveyor.followups.models import DEFAULT_RULE, FollowupRule
from surveyor.ids import new_id, now_iso

Reader = Database | Tx
RULE_COLUMNS = "id, name, survey_id, checkpoint_key, definition, active, created_at, updated_at"


def rule_from_row(row: dict[str, Any]) -> FollowupRule:
    definition = msgspec.json.decode(row["definition"] or "{}")
    definition.update(
        id=row["id"],
        name=row["name"],
        active=bool(row["active"]),
        survey_id=row["survey_id"],
        # The pure rule calls its checkpoint scope ``checkpoint_id``; cases and responses
        # carry the checkpoint's key, which is what is stored there.
        checkpoint_id=row["checkpoint_key"],
    )
    return msgspec.convert(definition, FollowupRule, strict=False)


async def list_rules(db: Reader) -> list[FollowupRule]:
    """Every rule, most specific first: checkpoint rules, then survey rules, then global
    ones (``rules.decide`` prefers the earlier rule on a priority tie)."""
    rows = await db.fetch_all(
        f"SELECT {RULE_COLUMNS} FROM followup_rules"
        " ORDER BY CASE WHEN checkpoint_key IS NOT NULL THEN 0"
        " WHEN survey_id IS NOT NULL THEN 1 ELSE 2 END, created_at, id"
    )
    return [rule_from_row(row) for row in rows]


async def get_rule(db: Reader, rule_id: str) -> FollowupRule | None:
    row = await db.fetch_one(f"SELECT {RULE_COLUMNS} FROM followup_rules WHERE id = ?", (rule_id,))
    return None if row is None else rule_from_row(row)


async def rules_or_default(db: Reader) -> list[FollowupRule]:
    """The configured rules, or the built-in default when there are none at all."""
    return await list_rules(db) or [DEFAULT_RULE]


async def rule_or_default(db: Reader, rule_id: str) -> FollowupRule:
    """A case's rule (a deleted rule reads as the default)."""
    if rule_id == DEFAULT_RULE.id:
        return DEFAULT_RULE
    return await get_rule(db, rule_id) or DEFAULT_RULE


async def save_rule(tx: Tx, rule: FollowupRule) -> FollowupRule:
    """Insert the rule (no id yet) or replace it; returns it with its id."""
    now = now_iso()
    rule = rule if rule.id else msgspec.structs.replace(rule, id=new_id())
    body = msgspec.to_builtins(rule)
    for key in ("id", "name", "active", "survey_id", "checkpoint_id"):
        body.pop(key, None)
    await tx.execute(
        f"INSERT INTO followup_rules ({RULE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, survey_id = excluded.survey_id,"
        " checkpoint_key = excluded.checkpoint_key, definition = excluded.definition,"
        " active = excluded.active, updated_at = excluded.updated_at",
        (
            rule.id,
            rule.name,
            rule.survey_id,
            rule.checkpoint_id,
            msgspec.json.encode(body).decode(),
            int(rule.active),
            now,
            now,
        ),
    )
    return rule


async def delete_rule(tx: Tx, rule_id: str) -> bool:
    return await tx.execute("DELETE FROM followup_rules WHERE id = ?", (rule_id,)) > 0


async def count_rules(db: Reader) -> int:
    return int(await db.fetch_val("SELECT count(*) FROM followup_rules"))
