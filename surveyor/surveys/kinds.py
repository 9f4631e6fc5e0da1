"""The question-kind registry: what each kind accepts, what it feeds, how it is shown.

A kind brings four things: its answer check (``check(question, raw) -> value``, raising
:class:`AnswerError`), its definition check (``validate(question) -> [(path, message)]``
with paths relative to the question, e.g. ``"options"``), the metric its answers feed
(``"nps"``, ``"ces"``, ``"csat"``, ``"emotion"`` or None) and the respondent template
that renders it (``respond/_question_<kind>.html`` for built-ins).

Plugins add kinds through the ``register_question_kinds(register)`` hook with
``register(QuestionKind(...))``. :func:`question_kinds` builds the registry of an app
once and keeps it in ``services.question_kinds``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from surveyor.surveys.models import Question, Text

MAX_TEXT_ANSWER = 5000
MAX_SHORT_TEXT_ANSWER = 500


class AnswerError(ValueError):
    """An answer that does not fit its question; the message is shown to the respondent."""


Check = Callable[[Question, Any], Any]
Validate = Callable[[Question], list[tuple[str, str]]]


def _no_problems(_: Question) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class QuestionKind:
    name: str
    label: str  # for the designer's kind picker
    check: Check
    template: str = ""  # respondent template; defaults to respond/_question_<name>.html
    metric: str | None = None
    scale: tuple[int, int] | None = None  # fixed numeric range, when the kind has one
    has_options: bool = False
    validate: Validate = _no_problems
    default_text: Text = field(default_factory=dict)
    default_config: dict[str, Any] = field(default_factory=dict)

    @property
    def template_name(self) -> str:
        return self.template or f"respond/_question_{self.name}.html"

    def score(self, value: Any) -> float | None:
        """The number this answer adds to its metric (None when it feeds none)."""
        if self.metric is None or isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)


# -- answer checks ---------------------------------------------------------------


def as_int(raw: Any) -> int:
    """Accept 7, "7", " 7 " (form posts are text); refuse 7.5, True and garbage."""
    if isinstance(raw, bool):
        raise AnswerError("Choose a number.")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit() and len(raw.strip()) < 6:
        return int(raw.strip())
    raise AnswerError("Choose a number.")


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


def builtin_kinds() -> list[QuestionKind]:
    return [
        QuestionKind(
            "nps",
            "Net Promoter Score (0–10)",
            scale_check(0, 10),
            metric="nps",
            scale=(0, 10),
            default_text={
                "en": "How likely is it that you would recommend {brand} to a friend or colleague?"
            },
        ),
        QuestionKind(
            "ces",
            "Customer Effort Score (1–7)",
            scale_check(1, 7),
            metric="ces",
            scale=(1, 7),
            default_text={"en": "{brand} made it easy for me to handle my issue."},
        ),
        QuestionKind(
            "csat",
            "Customer satisfaction (1–5)",
            scale_check(1, 5),
            metric="csat",
            scale=(1, 5),
            default_text={"en": "How satisfied were you with your purchase?"},
        ),
        QuestionKind(
            "emotion",
            "Emotion (1–10)",
            scale_check(1, 10),
            metric="emotion",
            scale=(1, 10),
            default_text={"en": "How did this make you feel?"},
        ),
        QuestionKind(
            "rating",
            "Rating (stars)",
            check_rating,
            validate=validate_rating,
            default_text={"en": "How would you rate it?"},
        ),
        QuestionKind(
            "single_choice",
            "Single choice",
            check_single,
            has_options=True,
            validate=validate_choices,
            default_text={"en": "Which one fits best?"},
        ),
        QuestionKind(
            "multi_choice",
            "Multiple choice",
            check_multi,
            has_options=True,
            validate=validate_choices,
            default_text={"en": "Which of these apply?"},
        ),
        QuestionKind(
            "text",
            "Text answer",
            check_text,
            default_text={"en": "What is the main reason for your score?"},
        ),
    ]


class KindRegistry(Mapping[str, QuestionKind]):
    """Kinds by name; built-ins first, then plugins (a plugin may not replace a built-in)."""

    def __init__(self, kinds: list[QuestionKind] | None = None) -> None:
        self._kinds: dict[str, QuestionKind] = {}
        for kind in builtin_kinds():
            self._kinds[kind.name] = kind
        for kind in kinds or []:
            self.add(kind)

    def add(self, kind: QuestionKind) -> None:
        if not isinstance(kind, QuestionKind):
            raise TypeError(f"register_question_kinds: expected a QuestionKind, got {kind!r}")
        if kind.name in self._kinds:
            raise ValueError(f"question kind {kind.name!r} is registered twice")
        self._kinds[kind.name] = kind

    def __getitem__(self, name: str) -> QuestionKind:
        return self._kinds[name]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)


DEFAULT_KINDS = KindRegistry()


def question_kinds(svc: Any) -> KindRegistry:
    """The app's registry (built-ins + plugin kinds), made once per app."""
    found = svc.question_kinds
    if found is None:
        from surveyor.plugins import collect

        found = svc.question_kinds = KindRegistry(collect(svc.pm.hook.register_question_kinds))
    return found
