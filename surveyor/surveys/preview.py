"""The designer's live preview: a draft rendered with the respondent's own templates.

Answers typed into the preview arrive in the query string (``q_<id>=…``); they are
checked like real answers (but never stored) and drive the display logic, so the
designer sees exactly which questions and which ending a respondent would get.
Sample contact and event values fill recalled placeholders.
"""

from __future__ import annotations

from typing import Any

import msgspec
from markupsafe import Markup

from surveyor.services import services
from surveyor.surveys import logic
from surveyor.surveys.kinds import AnswerError, question_kinds
from surveyor.surveys.models import SurveyDefinition
from surveyor.surveys.questionview import question_view

SAMPLE_CONTACT = {"name": "Alex Sample", "email": "alex@example.com"}
SAMPLE_PROPERTIES = {"order_id": "A-1042"}
FIELD_PREFIX = "q_"


def preview_context(
    request: Any, definition: SurveyDefinition, locale: str, query: dict[str, Any]
) -> dict[str, Any]:
    kinds = question_kinds(services(request))
    locale = locale if locale in definition.locales else definition.default_locale
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in definition.questions:
        raw = query.get(FIELD_PREFIX + question.id)
        if raw in (None, "", []):
            continue
        try:
            # A preview may leave anything out: required questions are checked as optional.
            value = logic.check_answer(
                msgspec.structs.replace(question, required=False), raw, kinds
            )
        except AnswerError as exc:
            errors[question.id] = str(exc)
            continue
        if value is not None:
            answers[question.id] = value
    visible = logic.visible_questions(definition, answers)
    default = definition.default_locale
    brand = logic.text_for(definition.settings.brand, locale, default)

    def recall(text: dict[str, str]) -> Markup:
        return logic.recall(
            logic.text_for(text, locale, default),
            contact=SAMPLE_CONTACT,
            properties=SAMPLE_PROPERTIES,
            brand=brand,
        )

    views = [
        question_view(
            question,
            definition=definition,
            locale=locale,
            value=answers.get(question.id),
            error=errors.get(question.id, ""),
            contact=SAMPLE_CONTACT,
            properties=SAMPLE_PROPERTIES,
            kinds=kinds,
        )
        for question in visible
    ]
    ending = logic.choose_ending(definition, answers)
    return {
        "questions": views,
        "title": recall(definition.title),
        "intro": recall(definition.intro),
        "ending": recall(ending.text) if ending else Markup(""),
        "preview_locale": locale,
        "hidden_count": len(definition.questions) - len(visible),
    }
