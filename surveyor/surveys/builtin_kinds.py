"""The built-in question kinds: NPS, CES, CSAT, emotion, rating, single and multiple
choice, and text, with the answer and definition checks only they use.

:func:`builtin_kinds` is registered by the surveys domain's plugin; :data:`DEFAULT_KINDS`
holds the built-ins alone, for pure code and tests without an app. Both are re-exported
by :mod:`surveyor.surveys.kinds`.
"""

from __future__ import annotations

import itertools
from typing import Any

from surveyor.surveys.kinds import (
    ALWAYS_OPS,
    CHOICE_OPS,
    NUMERIC_OPS,
    TEXT_OPS,
    AnswerError,
    Check,
    EditorField,
    KindRegistry,
    QuestionKind,
    as_int,
    read_many,
)
from surveyor.surveys.models import Question

MAX_TEXT_ANSWER = 5000
MAX_SHORT_TEXT_ANSWER = 500


def scale_check(low: int, high: int) -> Check:
    def check(_: Question, raw: Any) -> int:
        value = as_int(raw)
        if not low <= value <= high:
            raise AnswerError(f"Choose a number from {low} to {high}.")
        return value

    return check


def rating_bounds(question: Question) -> tuple[int, int]:
    return 1, question.scale_max or 5


def check_rating(question: Question, raw: Any) -> int:
    low, high = rating_bounds(question)
    return scale_check(low, high)(question, raw)


def check_single(question: Question, raw: Any) -> str:
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if not isinstance(raw, str) or raw not in {o.id for o in question.options}:
        raise AnswerError("Choose one of the options.")
    return raw


def check_multi(question: Question, raw: Any) -> list[str]:
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise AnswerError("Choose among the options.")
    allowed = [o.id for o in question.options]
    if any(v not in allowed for v in values):
        raise AnswerError("Choose among the options.")
    chosen = set(values)
    return [option for option in allowed if option in chosen]  # definition order, no repeats


def check_text(question: Question, raw: Any) -> str:
    if not isinstance(raw, str):
        raise AnswerError("Write your answer as text.")
    value = raw.replace("\r\n", "\n").strip()
    limit = MAX_TEXT_ANSWER if question.multiline else MAX_SHORT_TEXT_ANSWER
    if len(value) > limit:
        raise AnswerError(f"Keep your answer under {limit} characters.")
    if "\x00" in value:
        raise AnswerError("Write your answer as text.")
    return value


# -- definition checks -------------------------------------------------------------


def validate_choices(question: Question) -> list[tuple[str, str]]:
    if not question.options:
        return [("options", "add at least one option")]
    problems = []
    seen: set[str] = set()
    for index, option in enumerate(question.options):
        if option.id in seen:
            problems.append((f"options[{index}].id", f"duplicate option id {option.id!r}"))
        seen.add(option.id)
    return problems


def validate_rating(question: Question) -> list[tuple[str, str]]:
    if question.scale_max is not None and not 2 <= question.scale_max <= 10:
        return [("scale_max", "a rating has from 2 to 10 points")]
    return []


def single_domain(question: Question) -> list[Any]:
    return [o.id for o in question.options]


def multi_domain(question: Question) -> list[Any] | None:
    if len(question.options) > 8:
        return None
    ids = [o.id for o in question.options]
    return [list(c) for n in range(1, len(ids) + 1) for c in itertools.combinations(ids, n)]


SCALE_LABELS = (
    EditorField("low_label", "Label of the lowest score"),
    EditorField("high_label", "Label of the highest score"),
)
OPTIONS = (EditorField("options", "Options, one per line", "options"),)


def _score_kind(name: str, label: str, low: int, high: int, text: str) -> QuestionKind:
    return QuestionKind(
        name,
        label,
        scale_check(low, high),
        metric=name,
        scale=(low, high),
        editor=SCALE_LABELS,
        operators=NUMERIC_OPS | ALWAYS_OPS,
        default_text={"en": text},
    )


def builtin_kinds() -> list[QuestionKind]:
    """The kinds every Surveyor has, registered by the surveys domain's plugin."""
    return [
        _score_kind(
            "nps",
            "Net Promoter Score (0–10)",
            0,
            10,
            "How likely is it that you would recommend {brand} to a friend or colleague?",
        ),
        _score_kind(
            "ces",
            "Customer Effort Score (1–7)",
            1,
            7,
            "{brand} made it easy for me to handle my issue.",
        ),
        _score_kind(
            "csat",
            "Customer satisfaction (1–5)",
            1,
            5,
            "How satisfied were you with your purchase?",
        ),
        _score_kind("emotion", "Emotion (1–10)", 1, 10, "How did this make you feel?"),
        QuestionKind(
            "rating",
            "Rating (stars)",
            check_rating,
            bounds=rating_bounds,
            validate=validate_rating,
            editor=(
                *SCALE_LABELS,
                EditorField(
                    "scale_max", "Number of points", "number", minimum=2, maximum=10, default=5
                ),
            ),
            operators=NUMERIC_OPS | ALWAYS_OPS,
            default_text={"en": "How would you rate it?"},
        ),
        QuestionKind(
            "single_choice",
            "Single choice",
            check_single,
            has_options=True,
            validate=validate_choices,
            editor=OPTIONS,
            operators=CHOICE_OPS | ALWAYS_OPS,
            domain=single_domain,
            default_text={"en": "Which one fits best?"},
        ),
        QuestionKind(
            "multi_choice",
            "Multiple choice",
            check_multi,
            has_options=True,
            validate=validate_choices,
            read=read_many,
            editor=OPTIONS,
            operators=CHOICE_OPS | ALWAYS_OPS,
            domain=multi_domain,
            default_text={"en": "Which of these apply?"},
        ),
        QuestionKind(
            "text",
            "Text answer",
            check_text,
            editor=(EditorField("multiline", "Long answer (several lines)", "checkbox"),),
            operators=TEXT_OPS | ALWAYS_OPS,
            comment=True,
            default_text={"en": "What is the main reason for your score?"},
        ),
    ]


DEFAULT_KINDS = KindRegistry(builtin_kinds())  # the built-ins alone, for code without an app
