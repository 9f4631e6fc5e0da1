"""The path through a survey, step by step: pure code over a definition and answers.

A *step* is what one page shows: one question (the default) or every visible question
(``settings.one_page``). Posting a step checks each of its answers against the kind;
``advance`` then says which step comes next or that the response is complete. The
respondent views, the designer preview and the tests all use these functions, so the
path is the same everywhere. No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from surveyor.respond.models import METRICS
from surveyor.respond.path_bounds import path_bounds as path_bounds
from surveyor.surveys import logic
from surveyor.surveys.kinds import DEFAULT_KINDS, AnswerError, KindRegistry, read_one
from surveyor.surveys.models import Question, SurveyDefinition
from surveyor.surveys.questionview import field_name

MAX_FIELD_CHARS = 20_000  # a raw form value longer than this is refused before any check
PAGE_STEP = "*page*"  # current_step of a one-page survey


@dataclass(frozen=True)
class Step:
    """What the page shows now."""

    questions: list[Question]
    position: int  # 1-based index of the first question among the visible ones
    total: int  # the most questions this respondent can be shown (see ``path_bounds``)
    minimum: int = 0  # the fewest; equal to ``total`` when the path is known
    # False for a step read from an answer POST inside the writer's unit: its bounds are
    # only counted (``counted``) when a page shows it, never while the write lock is held.
    counted: bool = True

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]

    @property
    def exact(self) -> bool:
        """Whether ``total`` is certain ("Question 2 of 3") or a ceiling ("of up to 3")."""
        return self.minimum >= self.total

    @property
    def percent(self) -> int:
        return round(100 * (self.position - 1) / self.total) if self.total else 0


@dataclass(frozen=True)
class Outcome:
    """The result of posting a step: new answers, errors, and where the flow goes next."""

    answers: dict[str, Any]  # the checked answers of this step (None = skipped)
    errors: dict[str, str] = field(default_factory=dict)  # question id -> message
    next_step: str = ""  # question id (or PAGE_STEP) to show next; "" when complete
    complete: bool = False


def first_step(
    definition: SurveyDefinition, answers: Mapping[str, Any], current: str = ""
) -> Step | None:
    """The step to show for a response whose saved position is ``current``.

    Resuming shows the saved step if it is still visible, else the first visible
    question without an answer. None means there is nothing left to ask.
    """
    shown = logic.visible_questions(definition, answers)
    if not shown:
        return None
    if definition.settings.one_page:
        return Step(questions=shown, position=1, total=len(shown), minimum=len(shown))
    by_id = {q.id: i for i, q in enumerate(shown)}
    index = by_id.get(current)
    if index is None:
        index = next((i for i, q in enumerate(shown) if q.id not in answers), None)
        if index is None:
            return None
    return _step(definition, answers, shown, [shown[index]], index)


def optional_together(definition: SurveyDefinition, answers: Mapping[str, Any], step: Step) -> Step:
    """``step`` with the optional questions that follow it, for a page with JavaScript.

    A customer who has JavaScript gets the optional questions left on their path on one
    page (one POST instead of one per question). The page grows from an optional question
    by each following one that is optional and whose condition does not look at a question
    already on the page (the answers given there could show or hide it); a required
    question ends it. A question hidden now stays hidden: its condition looks only at
    answers already saved. Without JavaScript the path stays one question per page.
    """
    if definition.settings.one_page or len(step.questions) != 1 or step.questions[0].required:
        return step
    first = step.questions[0]
    on_page, ids = [first], {first.id}
    visible = {q.id for q in logic.visible_questions(definition, answers)}
    start = next(i for i, q in enumerate(definition.questions) if q.id == first.id)
    for question in definition.questions[start + 1 :]:
        rules = question.condition.rules if question.condition is not None else []
        if any(rule.question in ids for rule in rules):
            break
        if question.id not in visible:
            continue
        if question.required:
            break
        on_page.append(question)
        ids.add(question.id)
    if len(on_page) == 1:
        return step
    return Step(questions=on_page, position=step.position, total=step.total)


def step_for_ids(
    definition: SurveyDefinition, answers: Mapping[str, Any], ids: list[str]
) -> Step | None:
    """The step a POST claims to answer, if those questions are visible right now."""
    shown = logic.visible_questions(definition, answers)
    position = {q.id: i for i, q in enumerate(shown)}
    if not ids or any(i not in position for i in ids):
        return None
    questions = [q for q in shown if q.id in set(ids)]
    index = position[questions[0].id]
    return Step(
        questions=questions,
        position=index + 1,
        total=len(shown),
        minimum=len(shown),
        counted=False,
    )


def counted(definition: SurveyDefinition, answers: Mapping[str, Any], step: Step) -> Step:
    """``step`` with its path bounds, for the page that shows it."""
    if step.counted:
        return step
    shown = logic.visible_questions(definition, answers)
    return _step(definition, answers, shown, step.questions, step.position - 1)


def _step(
    definition: SurveyDefinition,
    answers: Mapping[str, Any],
    shown: list[Question],
    questions: list[Question],
    index: int,
    kinds: KindRegistry = DEFAULT_KINDS,
) -> Step:
    low, high = path_bounds(definition, answers, before=questions[0].id, kinds=kinds)
    # The bounds count every shown question; never below what is on screen already.
    high = max(high, index + len(questions))
    return Step(questions=questions, position=index + 1, total=high, minimum=max(low, 0))


def check_step(
    step: Step, form: Mapping[str, Any], kinds: KindRegistry = DEFAULT_KINDS
) -> tuple[dict[str, Any], dict[str, str]]:
    """Each question's answer from the form, checked by its kind; errors by question id."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in step.questions:
        if too_long(form.get(field_name(question.id))):
            errors[question.id] = "This answer is too long."
            continue
        try:
            raw = read_answer(question, form, kinds)
            if too_long(raw):
                errors[question.id] = "This answer is too long."
                continue
            answers[question.id] = logic.check_answer(question, raw, kinds)
        except AnswerError as exc:
            errors[question.id] = str(exc)
    return answers, errors


def read_answer(question: Question, form: Mapping[str, Any], kinds: KindRegistry) -> Any:
    """The raw answer of one question from a posted form, read as its kind says."""
    kind = kinds.get(question.kind)
    read = kind.read if kind is not None else read_one
    return read(question, form, field_name(question.id))


def posted_value(question: Question, form: Mapping[str, Any], kinds: KindRegistry) -> Any:
    """What the respondent posted, to show again beside an error (None when unreadable)."""
    try:
        raw = read_answer(question, form, kinds)
    except AnswerError:
        return None
    return None if too_long(raw) else raw


def too_long(raw: Any) -> bool:
    if isinstance(raw, dict):
        return len(raw) > 200 or any(too_long(v) for v in raw.values())
    if isinstance(raw, list):
        return len(raw) > 200 or any(too_long(v) for v in raw)
    return isinstance(raw, str) and len(raw) > MAX_FIELD_CHARS


def advance(
    definition: SurveyDefinition,
    saved: Mapping[str, Any],
    step: Step,
    form: Mapping[str, Any],
    kinds: KindRegistry = DEFAULT_KINDS,
) -> Outcome:
    """Check the posted step and decide what comes next."""
    answers, errors = check_step(step, form, kinds)
    if errors:
        return Outcome(answers={}, errors=errors)
    merged = merge(saved, answers)
    if definition.settings.one_page:
        # Conditions may reveal questions the page did not show yet: show the page again.
        revealed = [
            q
            for q in logic.visible_questions(definition, merged)
            if q.id not in step.ids and q.id not in merged
        ]
        if revealed:
            return Outcome(answers=answers, next_step=PAGE_STEP)
        missing = missing_required(definition, merged)
        if missing:
            return Outcome(answers=answers, next_step=PAGE_STEP)
        return Outcome(answers=answers, complete=True)
    following = logic.next_question(definition, merged, after=step.ids[-1])
    if following is not None:
        return Outcome(answers=answers, next_step=following.id)
    missing = missing_required(definition, merged)
    if missing:  # a crafted POST skipped a required question: go back to it
        return Outcome(answers=answers, next_step=missing[0].id)
    return Outcome(answers=answers, complete=True)


def merge(saved: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Saved answers updated by new ones; a skipped optional question (None) is dropped."""
    merged = dict(saved)
    for key, value in new.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def missing_required(definition: SurveyDefinition, answers: Mapping[str, Any]) -> list[Question]:
    return [
        q
        for q in logic.visible_questions(definition, answers)
        if q.required and logic.is_empty(answers.get(q.id))
    ]


def scores(
    definition: SurveyDefinition, answers: Mapping[str, Any], kinds: KindRegistry = DEFAULT_KINDS
) -> dict[str, int | None]:
    """The key scores of a response: the first shown question feeding each metric."""
    found: dict[str, int | None] = dict.fromkeys(METRICS)
    kept = logic.effective_answers(definition, answers)
    for question in definition.questions:
        kind = kinds.get(question.kind)
        if kind is None or kind.metric not in found or found[kind.metric] is not None:
            continue
        value = kept.get(question.id)
        if isinstance(value, int) and not isinstance(value, bool):
            found[kind.metric] = value
    return found


def preselect(
    definition: SurveyDefinition, raw: str | None, kinds: KindRegistry = DEFAULT_KINDS
) -> dict[str, Any]:
    """``?score=N`` from an email button: an answer to the first question, if it fits.

    Nothing is stored: the page shows the choice and the respondent confirms it.
    """
    if raw is None or len(raw) > 5:
        return {}
    step = first_step(definition, {})
    if step is None:
        return {}
    question = step.questions[0]
    kind = kinds.get(question.kind)
    if kind is None or kind.numeric_range(question) is None:
        return {}
    try:
        value = logic.check_answer(question, raw, kinds)
    except AnswerError:
        return {}
    return {} if value is None else {question.id: value}


# -- presentation ------------------------------------------------------------------


def ending_text(
    definition: SurveyDefinition,
    answers: Mapping[str, Any],
    *,
    locale: str,
    contact: Any = None,
    properties: Any = None,
    brand: str | None = None,
) -> Markup:
    """The thank-you text of the first ending whose condition holds ('' for the default)."""
    ending = logic.choose_ending(definition, answers)
    if ending is None:
        return Markup("")
    default = definition.default_locale
    return logic.recall(
        logic.text_for(ending.text, locale, default),
        contact=contact,
        properties=properties,
        brand=logic.text_for(definition.settings.brand, locale, default)
        if brand is None
        else brand,
    )
