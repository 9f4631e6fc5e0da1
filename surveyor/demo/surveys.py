"""``surveyor demo``: the four templates as published surveys, NPS also in Simplified Chinese.

Idempotent: a template is skipped when a published survey already starts with its kind
of question (other seeders look surveys up the same way, by their first question).
"""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.surveys import store
from surveyor.surveys.edit import apply_translations
from surveyor.surveys.templates_lib import TEMPLATE_NAMES, TRANSLATIONS, template_definition
from surveyor.surveys.validation import validate_definition

BRAND = {"en": "Acme", "zh_Hans": "Acme"}


async def _published_first_kinds(db: Any) -> set[str]:
    rows = await db.fetch_all(
        "SELECT v.definition FROM surveys s JOIN survey_versions v"
        " ON v.survey_id = s.id AND v.number = s.latest_version"
    )
    kinds = set()
    for row in rows:
        questions = msgspec.json.decode(row["definition"]).get("questions", [])
        if questions:
            kinds.add(questions[0]["kind"])
    return kinds


def demo_definition(template: str) -> Any:
    definition = template_definition(template)
    tree = msgspec.to_builtins(definition)
    tree["settings"] = {**tree.get("settings", {}), "brand": {"en": BRAND["en"]}}
    definition = msgspec.convert(tree, type(definition))
    for locale, strings in TRANSLATIONS.get(template, {}).items():
        definition = apply_translations(
            definition, locale, {**strings, "$.settings.brand": BRAND[locale]}
        )
    return definition


async def seed_surveys(svc: Any, out: Any) -> None:
    existing = await _published_first_kinds(svc.db)
    made = []
    for template, name in TEMPLATE_NAMES.items():
        if template in existing:
            continue
        definition = demo_definition(template)
        problems = validate_definition(definition)
        if problems:  # a template that cannot publish is a bug: say so, seed the rest
            out(f"Demo survey {name!r} skipped: {problems[0].path}: {problems[0].message}")
            continue
        survey = await store.create_survey(svc.db, name=name, definition=definition)
        await store.publish(svc.db, survey.id, definition)
        made.append(name)
    if made:
        out(f"Demo surveys published: {', '.join(made)} (the NPS one also in zh_Hans).")
    else:
        out("Demo surveys exist already.")
