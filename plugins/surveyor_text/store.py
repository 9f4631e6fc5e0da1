"""SQL of the surveyor_text plugin: analyses, their themes, the dictionary, the rules."""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.db import Tx
from surveyor.ids import new_id, now_iso
from surveyor.metrics.queries import Scope, scope_where
from surveyor_text.analyze import Result, Theme, default_themes
from surveyor_text.models import Analysis, TextRule, ThemeIn

RULE_COLUMNS = (
    "id, name, position, active, nps_classes, max_sentiment, sentiment_labels, themes, "
    "priority, sla_hours, assignee_email, created_at"
)
JSON_RULE_FIELDS = ("nps_classes", "sentiment_labels", "themes")


# -- the dictionary ------------------------------------------------------------------------


async def dictionary_version(db: Any) -> int:
    return int(await db.fetch_val("SELECT dictionary_version FROM text_state WHERE id = 1") or 0)


async def load_themes(db: Any) -> list[Theme] | None:
    """The stored dictionary, or None while it was never saved (the default applies)."""
    rows = await db.fetch_all(
        "SELECT name, keywords_en, keywords_zh FROM text_themes ORDER BY position, name"
    )
    if not rows and await dictionary_version(db) == 0:
        return None
    return [
        Theme(
            name=row["name"],
            en=tuple(msgspec.json.decode(row["keywords_en"])),
            zh=tuple(msgspec.json.decode(row["keywords_zh"])),
        )
        for row in rows
    ]


async def themes_or_default(db: Any) -> list[Theme]:
    found = await load_themes(db)
    return default_themes() if found is None else found


async def versioned_themes(db: Any) -> tuple[int, tuple[Theme, ...]]:
    """The dictionary version and its themes, read in ONE statement so they match (a
    save replaces the themes and bumps the version in one unit)."""
    rows = await db.fetch_all(
        "SELECT v.version, t.name, t.keywords_en, t.keywords_zh"
        " FROM (SELECT COALESCE(MAX(dictionary_version), 0) AS version"
        " FROM text_state WHERE id = 1) v"
        " LEFT JOIN text_themes t ON 1 = 1 ORDER BY t.position, t.name"
    )
    version = int(rows[0]["version"]) if rows else 0
    found = [row for row in rows if row["name"] is not None]
    if not found and version == 0:
        return version, tuple(default_themes())
    return version, tuple(
        Theme(
            name=row["name"],
            en=tuple(msgspec.json.decode(row["keywords_en"])),
            zh=tuple(msgspec.json.decode(row["keywords_zh"])),
        )
        for row in found
    )


async def save_themes(tx: Tx, themes: list[ThemeIn]) -> int:
    """Replace the whole dictionary; returns its new version."""
    now = now_iso()
    await tx.execute("DELETE FROM text_themes")
    for position, theme in enumerate(themes):
        await tx.execute(
            "INSERT INTO text_themes (name, position, keywords_en, keywords_zh, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                theme.name,
                position,
                msgspec.json.encode(list(theme.en)).decode(),
                msgspec.json.encode(list(theme.zh)).decode(),
                now,
            ),
        )
    await tx.execute(
        "UPDATE text_state SET dictionary_version = dictionary_version + 1 WHERE id = 1"
    )
    return int(await tx.fetch_val("SELECT dictionary_version FROM text_state WHERE id = 1"))


async def set_reindex(tx: Tx, total: int) -> None:
    await tx.execute(
        "UPDATE text_state SET reindex_total = ?, reindex_done = 0 WHERE id = 1", (total,)
    )


async def add_reindexed(tx: Tx, done: int) -> None:
    await tx.execute("UPDATE text_state SET reindex_done = reindex_done + ? WHERE id = 1", (done,))


async def reindex_state(db: Any) -> dict[str, Any] | None:
    return await db.fetch_one(
        "SELECT dictionary_version, reindex_total, reindex_done FROM text_state WHERE id = 1"
    )


# -- analyses ------------------------------------------------------------------------------


async def save_analysis(
    tx: Tx, response_id: str, comment: str, result: Result, version: int
) -> Analysis:
    now = now_iso()
    themes = msgspec.json.encode(list(result.themes)).decode()
    phrases = msgspec.json.encode(list(result.key_phrases)).decode()
    await tx.execute("DELETE FROM text_response_themes WHERE response_id = ?", (response_id,))
    await tx.execute("DELETE FROM text_analyses WHERE response_id = ?", (response_id,))
    await tx.execute(
        "INSERT INTO text_analyses (response_id, language, sentiment_score, sentiment_label,"
        " themes, key_phrases, comment, dictionary_version, analyzed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            response_id,
            result.language,
            round(result.score, 4),
            result.label,
            themes,
            phrases,
            comment,
            version,
            now,
        ),
    )
    for theme in result.themes:
        await tx.execute(
            "INSERT INTO text_response_themes (response_id, theme) VALUES (?, ?)",
            (response_id, theme),
        )
    return Analysis(
        response_id=response_id,
        language=result.language,
        sentiment_score=round(result.score, 4),
        sentiment_label=result.label,
        themes=list(result.themes),
        key_phrases=list(result.key_phrases),
        comment=comment,
        dictionary_version=version,
        analyzed_at=now,
    )


def _analysis(row: dict[str, Any]) -> Analysis:
    data = dict(row)
    data["themes"] = msgspec.json.decode(data["themes"])
    data["key_phrases"] = msgspec.json.decode(data["key_phrases"])
    return msgspec.convert(data, Analysis, strict=False)


async def get_analysis(db: Any, response_id: str) -> Analysis | None:
    row = await db.fetch_one(
        "SELECT response_id, language, sentiment_score, sentiment_label, themes, key_phrases,"
        " comment, dictionary_version, analyzed_at FROM text_analyses WHERE response_id = ?",
        (response_id,),
    )
    return None if row is None else _analysis(row)


async def analyses_brief(db: Any, response_ids: list[str]) -> dict[str, dict[str, Any]]:
    """``{response id: {sentiment, label, language, themes}}`` for those analysed."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(response_ids), 500):
        chunk = response_ids[start : start + 500]
        rows = await db.fetch_all(
            "SELECT response_id, language, sentiment_score, sentiment_label, themes"
            f" FROM text_analyses WHERE response_id IN ({', '.join('?' * len(chunk))})",
            tuple(chunk),
        )
        for row in rows:
            out[row["response_id"]] = {
                "sentiment": row["sentiment_score"],
                "label": row["sentiment_label"],
                "language": row["language"],
                "themes": msgspec.json.decode(row["themes"]),
            }
    return out


async def response_facts(db: Any, response_id: str) -> dict[str, Any] | None:
    return await db.fetch_one(
        "SELECT id, survey_id, checkpoint_key, completed_at, nps, status FROM responses"
        " WHERE id = ?",
        (response_id,),
    )


async def case_response_id(db: Any, case_id: str) -> str | None:
    return await db.fetch_val("SELECT response_id FROM followups WHERE id = ?", (case_id,))


async def analysed_in_scope(db: Any, scope: Scope) -> list[dict[str, Any]]:
    """Every completed response in the scope with its NPS, day, and analysis (if any)."""
    where, params = scope_where(scope, db.backend, alias="r")
    return await db.fetch_all(
        "SELECT r.id, r.nps, r.completed_at, a.sentiment_score, a.sentiment_label, a.themes"
        " FROM responses r LEFT JOIN text_analyses a ON a.response_id = r.id"
        f" WHERE r.status = 'complete' AND {where}",
        params,
    )


async def export_rows(db: Any, scope: Scope) -> list[dict[str, Any]]:
    """Every analysed response in the scope, oldest first, for the export."""
    where, params = scope_where(scope, db.backend, alias="r")
    return await db.fetch_all(
        "SELECT r.id AS response_id, r.completed_at, r.survey_id, r.checkpoint_key, r.nps,"
        " a.language, a.sentiment_score, a.sentiment_label, a.themes, a.key_phrases"
        " FROM text_analyses a JOIN responses r ON r.id = a.response_id"
        f" WHERE {where} ORDER BY r.completed_at, r.id",
        params,
    )


async def erase_comments(tx: Tx, response_ids: list[str]) -> None:
    """Forget the erased contact's words kept with each analysis: the comment and its key
    phrases. Language, sentiment and themes stay, as the response's scores do (issue 12)."""
    if not response_ids:
        return
    marks = ", ".join("?" for _ in response_ids)
    await tx.execute(
        f"UPDATE text_analyses SET comment = '', key_phrases = '[]' WHERE response_id IN ({marks})",
        tuple(response_ids),
    )


async def unanalysed_text_answers(db: Any, after: str, limit: int) -> list[dict[str, Any]]:
    """Text answers of completed responses that have no analysis (answered before the
    plugin was on, or by a seeder), in response id order after ``after``."""
    return await db.fetch_all(
        "SELECT r.id AS response_id, r.survey_version_id, a.question_id, a.value"
        " FROM responses r JOIN answers a ON a.response_id = r.id"
        " WHERE r.status = 'complete' AND r.id > ? AND a.value LIKE '\"%'"
        " AND NOT EXISTS (SELECT 1 FROM text_analyses t WHERE t.response_id = r.id)"
        " AND r.id IN (SELECT r2.id FROM responses r2 WHERE r2.status = 'complete'"
        " AND r2.id > ? AND NOT EXISTS (SELECT 1 FROM text_analyses t2"
        " WHERE t2.response_id = r2.id) AND EXISTS (SELECT 1 FROM answers a2"
        " WHERE a2.response_id = r2.id AND a2.value LIKE '\"%') ORDER BY r2.id LIMIT ?)"
        " ORDER BY r.id, a.question_id",
        (after, after, limit),
    )


async def stale_analyses(db: Any, version: int, after: str, limit: int) -> list[str]:
    """Responses analysed with an older dictionary, in id order after ``after``."""
    rows = await db.fetch_all(
        "SELECT response_id FROM text_analyses WHERE dictionary_version < ? AND response_id > ?"
        " ORDER BY response_id LIMIT ?",
        (version, after, limit),
    )
    return [row["response_id"] for row in rows]


async def count_stale(db: Any, version: int) -> int:
    return int(
        await db.fetch_val(
            "SELECT COUNT(*) FROM text_analyses WHERE dictionary_version < ?", (version,)
        )
        or 0
    )


async def count_analyses(db: Any) -> int:
    return int(await db.fetch_val("SELECT COUNT(*) FROM text_analyses") or 0)


# -- rules ---------------------------------------------------------------------------------


def _rule(row: dict[str, Any]) -> TextRule:
    data = dict(row)
    for key in JSON_RULE_FIELDS:
        data[key] = msgspec.json.decode(data[key])
    data["active"] = bool(data["active"])
    return msgspec.convert(data, TextRule, strict=False)


async def list_rules(db: Any) -> list[TextRule]:
    rows = await db.fetch_all(f"SELECT {RULE_COLUMNS} FROM text_rules ORDER BY position, id")
    return [_rule(row) for row in rows]


async def replace_rules(tx: Tx, rules: list[TextRule]) -> list[TextRule]:
    await tx.execute("DELETE FROM text_rules")
    saved = []
    for position, rule in enumerate(rules):
        rule = msgspec.structs.replace(
            rule, id=rule.id or new_id(), position=position, created_at=now_iso()
        )
        values = msgspec.to_builtins(rule)
        for key in JSON_RULE_FIELDS:
            values[key] = msgspec.json.encode(values[key]).decode()
        values["active"] = int(rule.active)
        columns = [c.strip() for c in RULE_COLUMNS.split(",")]
        await tx.execute(
            f"INSERT INTO text_rules ({RULE_COLUMNS}) VALUES ({', '.join('?' * len(columns))})",
            tuple(values[c] for c in columns),
        )
        saved.append(rule)
    return saved


async def staff_id_by_email(db: Any, email: str) -> str | None:
    return await db.fetch_val(
        "SELECT id FROM users WHERE lower(email) = lower(?) AND disabled = 0", (email,)
    )


async def recent_key_phrases(db: Any, limit: int = 2000) -> list[str]:
    """The key phrases of the latest analyses (newest first), for suggested themes."""
    rows = await db.fetch_all(
        "SELECT key_phrases FROM text_analyses ORDER BY analyzed_at DESC, response_id LIMIT ?",
        (limit,),
    )
    return [p for row in rows for p in msgspec.json.decode(row["key_phrases"])]
