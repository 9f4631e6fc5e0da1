"""How many questions a respondent can still be shown: the bounds behind "Question 2 of 3".

Pure code over a definition and the answers so far (``flow`` asks it for each step a
page shows); no I/O. Each future answer a later condition looks at is tried, one
representative per distinct outcome of the rules on it, so the total never grows
mid-survey.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from surveyor.surveys import logic
from surveyor.surveys.kinds import DEFAULT_KINDS, KindRegistry
from surveyor.surveys.models import Question, SurveyDefinition


class _TooManyPaths(Exception):
    pass


PATH_BUDGET = 5000  # partial paths walked before falling back to the visible count


def path_bounds(
    definition: SurveyDefinition,
    answers: Mapping[str, Any],
    *,
    before: str = "",
    kinds: KindRegistry = DEFAULT_KINDS,
) -> tuple[int, int]:
    """The fewest and the most questions this respondent can be shown in all, given the
    answers so far: what "Question 2 of 3" counts, so the total never grows mid-survey.

    Every future answer that a later condition looks at is tried, one representative per
    distinct outcome of the rules on it (an NPS score tested by ``≤ 6``, ``7–8`` and
    ``≥ 9`` gives three); a question before ``before`` without an answer was skipped.
    Past ``PATH_BUDGET`` partial paths it gives up and counts the questions visible now.
    Remembered per definition (``logic.definition_memo``): it depends on nothing else.
    """
    inputs = logic.condition_inputs(definition, answers)
    if inputs is None:  # an answer msgspec cannot encode: walk again
        return _walk_bounds(definition, answers, before=before, kinds=kinds)
    answered = tuple(q.id for q in definition.questions if q.id in answers)
    memo = logic.definition_memo(definition, "bounds")
    key = (before, answered, inputs, id(kinds))
    found = memo.get(key)
    if found is None or found[0] is not kinds:  # held, so its id is not reused meanwhile
        found = memo[key] = (kinds, _walk_bounds(definition, answers, before=before, kinds=kinds))
    return found[1]


def _walk_bounds(
    definition: SurveyDefinition,
    answers: Mapping[str, Any],
    *,
    before: str,
    kinds: KindRegistry,
) -> tuple[int, int]:
    questions = definition.questions
    rules: dict[str, list[Any]] = {}
    for question in questions:
        for rule in question.condition.rules if question.condition else ():
            rules.setdefault(rule.question, []).append(rule)
    order = {q.id: i for i, q in enumerate(questions)}
    skipped_until = order.get(before, 0)
    bounds = [len(questions) + 1, -1]
    visits = 0

    def walk(i: int, kept: dict[str, Any], count: int) -> None:
        nonlocal visits
        visits += 1
        if visits > PATH_BUDGET:
            raise _TooManyPaths
        if i == len(questions):
            bounds[0], bounds[1] = min(bounds[0], count), max(bounds[1], count)
            return
        question = questions[i]
        if not logic.evaluate(question.condition, kept):
            walk(i + 1, kept, count)
        elif question.id in answers:
            walk(i + 1, {**kept, question.id: answers[question.id]}, count + 1)
        elif question.id not in rules or i < skipped_until:
            walk(i + 1, kept, count + 1)
        else:
            for value in representatives(question, rules[question.id], kinds):
                walk(i + 1, kept if value is None else {**kept, question.id: value}, count + 1)

    try:
        walk(0, {}, 0)
    except _TooManyPaths:
        visible = len(logic.visible_questions(definition, answers))
        return visible, visible
    return bounds[0], bounds[1]


def representatives(question: Question, rules: list[Any], kinds: KindRegistry) -> list[Any]:
    """One answer per distinct outcome of ``rules`` (None: skipped, when optional)."""
    kind = kinds.get(question.kind)
    possible = kind.possible_answers(question) if kind is not None else None
    pool: list[Any] = list(possible) if possible is not None else []
    if possible is None:
        for rule in rules:
            values = rule.value if isinstance(rule.value, list) else [rule.value]
            pool.extend(v for v in values if v is not None)
        pool.extend(o.id for o in question.options)
        pool.extend([o.id] for o in question.options)
        pool.append([o.id for o in question.options] or "\x00any other answer")
    if not question.required:
        pool.append(None)
    chosen: dict[tuple[bool, ...], Any] = {}
    for value in pool:
        seen = {} if value is None else {question.id: value}
        chosen.setdefault(tuple(logic.evaluate_rule(rule, seen) for rule in rules), value)
    return list(chosen.values())
