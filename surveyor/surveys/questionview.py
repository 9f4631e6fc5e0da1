"""What a respondent template gets for one question: the view model shared by the real
respondent pages (``surveyor.respond``) and the designer's live preview, so the two can
never drift. It belongs to the surveys domain because each kind's template reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from surveyor.surveys import logic
from surveyor.surveys.kinds import DEFAULT_KINDS, KindRegistry
from surveyor.surveys.models import Question, SurveyDefinition

FIELD_PREFIX = "q_"  # form field of a question: q_<question id>


def field_name(question_id: str) -> str:
    return FIELD_PREFIX + question_id


@dataclass(frozen=True)
class QuestionView:
    """What a ``respond/_question_<kind>.html`` template gets as ``q``.

    Texts are already translated and recalled (escaped Markup); ``value`` is the current
    answer (an int, an option id, a list of ids, text, or what a plugin kind stores, e.g. a
    dict row → value) or None. ``scale`` lists the numbers of a numeric kind.
    """

    id: str
    name: str  # the form field
    kind: str
    template: str
    text: Markup
    help: Markup
    required: bool
    value: Any
    error: str
    scale: list[int]
    low_label: Markup
    high_label: Markup
    options: list[tuple[str, Markup]]
    multiline: bool
    config: dict[str, Any]


def question_view(
    question: Question,
    *,
    definition: SurveyDefinition,
    locale: str,
    value: Any = None,
    error: str = "",
    contact: Any = None,
    properties: Any = None,
    kinds: KindRegistry = DEFAULT_KINDS,
    brand: str | None = None,
) -> QuestionView:
    """``brand`` is the name ``{brand}`` becomes (default: the survey's own ``settings.brand``;
    the respondent pages pass the resolved brand, which falls back to the workspace's)."""
    default = definition.default_locale
    if brand is None:
        brand = logic.text_for(definition.settings.brand, locale, default)

    def text(value: dict[str, str]) -> Markup:
        return logic.recall(
            logic.text_for(value, locale, default),
            contact=contact,
            properties=properties,
            brand=brand,
        )

    kind = kinds.get(question.kind)
    bounds = kind.numeric_range(question) if kind is not None else None
    scale = list(range(bounds[0], bounds[1] + 1)) if bounds is not None else []
    return QuestionView(
        id=question.id,
        name=field_name(question.id),
        kind=question.kind,
        template=kind.template_name if kind else "respond/_question_text.html",
        text=text(question.text),
        help=text(question.help),
        required=question.required,
        value=value,
        error=error,
        scale=scale,
        low_label=text(question.low_label),
        high_label=text(question.high_label),
        options=[(o.id, text(o.label)) for o in question.options],
        multiline=question.multiline,
        config=dict(question.config),
    )
