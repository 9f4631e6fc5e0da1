"""The recovery re-survey: "Did we resolve this for you?" plus the original score question.

For each survey whose cases ask for it, a small companion survey is made once (and
published) from the original's latest version: a yes/no question, then the first
score question of the original, word for word and in every language it had, so the
two answers are comparable. Its id is kept in ``meta`` under
``followups.recovery_survey:<survey id>``. It is made before the resolving unit of
work (which must do database work only), and that unit invites the customer to it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.surveys import store as surveys
from surveyor.surveys.models import SurveyDefinition, definition_from_json

SCORE_KINDS = ("nps", "ces", "csat", "emotion")
ASK = {
    "en": "Did we resolve this for you?",
    "de": "Haben wir das für Sie gelöst?",
    "fr": "Avons-nous résolu cela pour vous ?",
    "es": "¿Lo hemos resuelto para usted?",
    "zh_Hans": "我们为您解决了这个问题吗？",
}
YES = {"en": "Yes", "de": "Ja", "fr": "Oui", "es": "Sí", "zh_Hans": "是"}
NO = {"en": "No", "de": "Nein", "fr": "Non", "es": "No", "zh_Hans": "否"}


def _meta_key(survey_id: str) -> str:
    return f"followups.recovery_survey:{survey_id}"


def recovery_definition(original: SurveyDefinition) -> SurveyDefinition | None:
    """The companion definition, or None when the original has no score question."""
    score = next((q for q in original.questions if q.kind in SCORE_KINDS), None)
    if score is None:
        return None
    locales = list(original.locales) or [original.default_locale]

    def words(table: dict[str, str]) -> dict[str, str]:
        return {loc: table.get(loc, table["en"]) for loc in locales}

    data = msgspec.to_builtins(original)
    data["questions"] = [
        {
            "id": "resolved",
            "kind": "single_choice",
            "text": words(ASK),
            "required": True,
            "options": [{"id": "yes", "label": words(YES)}, {"id": "no", "label": words(NO)}],
        },
        msgspec.to_builtins(score),
    ]
    data["endings"] = []
    data["title"] = words(ASK)
    data.pop("intro", None)
    return msgspec.convert(data, SurveyDefinition)


async def recovery_version(svc: Any, survey_id: str) -> tuple[str, str] | None:
    """``(survey id, version id)`` of ``survey_id``'s recovery survey, made on first use."""
    db = svc.db
    known = await db.fetch_val("SELECT value FROM meta WHERE key = ?", (_meta_key(survey_id),))
    if known:
        version = await surveys.get_published_version(db, known)
        if version is not None:
            return version.survey_id, version.id
    row = await db.fetch_one(
        "SELECT v.definition, s.name FROM survey_versions v JOIN surveys s ON s.id = v.survey_id"
        " WHERE v.survey_id = ? ORDER BY v.number DESC LIMIT 1",
        (survey_id,),
    )
    if row is None:
        return None
    definition = recovery_definition(definition_from_json(row["definition"]))
    if definition is None:
        return None
    made = await surveys.create_survey(
        db, name=f"Recovery: {row['name']}"[:200], definition=definition
    )
    version, _ = await surveys.publish(db, made.id, definition)

    async def remember(tx: Any) -> None:
        await tx.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (_meta_key(survey_id), made.id),
        )

    await db.write(remember)
    return version.survey_id, version.id
