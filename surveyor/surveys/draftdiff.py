"""What the draft changes against the last published version, in words for the designer.

Pure: two definitions in, a list of :class:`DraftChange` out. Questions and endings are
matched by id (a relabelled question is "changed", not "removed and added"); an order
that differs is one "reordered" change for the list.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from surveyor.surveys.logic import text_for
from surveyor.surveys.models import SurveyDefinition

Action = Literal["added", "removed", "changed", "reordered"]
Part = Literal["question", "questions", "ending", "endings", "survey"]


class DraftChange(msgspec.Struct, frozen=True, kw_only=True):
    action: Action
    part: Part
    label: str = ""  # the question's or ending's text (default locale), or the field


def _items(definition: SurveyDefinition, field: str) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in msgspec.to_builtins(getattr(definition, field))}


def _label(item: dict[str, Any], definition: SurveyDefinition) -> str:
    locale = definition.default_locale
    text = text_for(item.get("text") or {}, locale, locale) or item["id"]
    return text if len(text) <= 60 else text[:59] + "…"


def _list_changes(
    published: SurveyDefinition, draft: SurveyDefinition, field: str, one: Part, many: Part
) -> list[DraftChange]:
    before, after = _items(published, field), _items(draft, field)
    found = []
    for key, item in after.items():
        if key not in before:
            found.append(DraftChange(action="added", part=one, label=_label(item, draft)))
        elif item != before[key]:
            found.append(DraftChange(action="changed", part=one, label=_label(item, draft)))
    for key, item in before.items():
        if key not in after:
            found.append(DraftChange(action="removed", part=one, label=_label(item, published)))
    kept_before = [key for key in before if key in after]
    kept_after = [key for key in after if key in before]
    if kept_before != kept_after:
        found.append(DraftChange(action="reordered", part=many))
    return found


SURVEY_FIELDS = {
    "title": "title",
    "intro": "introduction",
    "settings": "settings",
    "locales": "languages",
    "default_locale": "default language",
}


def draft_changes(published: SurveyDefinition, draft: SurveyDefinition) -> list[DraftChange]:
    """Every difference between the published definition and the draft; [] when equal."""
    if msgspec.json.encode(published) == msgspec.json.encode(draft):
        return []
    found = _list_changes(published, draft, "questions", "question", "questions")
    found += _list_changes(published, draft, "endings", "ending", "endings")
    before, after = msgspec.to_builtins(published), msgspec.to_builtins(draft)
    for field, label in SURVEY_FIELDS.items():
        if before.get(field) != after.get(field):
            found.append(DraftChange(action="changed", part="survey", label=label))
    return found
