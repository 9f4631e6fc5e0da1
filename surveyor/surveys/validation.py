"""Whole-definition validation for publishing: every problem at once, each with its JSON path.

``validate_definition(definition, kinds)`` returns a list of :class:`Problem`; empty
means the definition may be published. Checks: at least one question, known kinds,
unique ids, locales, the default-locale string of every required text, each kind's
own checks (empty option lists…), conditions (unknown, later or self questions,
operators and values that do not fit the question) and reachability (a question or
ending whose condition can never hold).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from surveyor.surveys.kinds import (
    ALWAYS_OPS,
    CHOICE_OPS,
    DEFAULT_KINDS,
    NUMERIC_OPS,
    TEXT_OPS,
    KindRegistry,
)
from surveyor.surveys.logic import evaluate, text_fields
from surveyor.surveys.models import Condition, Problem, Question, SurveyDefinition

__all__ = ["ALWAYS_OPS", "CHOICE_OPS", "NUMERIC_OPS", "TEXT_OPS", "validate_definition"]
MAX_COMBINATIONS = 20_000  # reachability is brute force over possible answers; cap it


def _ops_for(question: Question, kinds: KindRegistry) -> frozenset[str] | None:
    kind = kinds.get(question.kind)
    return kind.operators if kind is not None else None  # None: any operator


def _bounds(question: Question, kinds: KindRegistry) -> tuple[int, int] | None:
    kind = kinds.get(question.kind)
    return kind.numeric_range(question) if kind is not None else None


def _check_condition(
    condition: Condition,
    path: str,
    earlier: dict[str, Question],
    later: set[str],
    kinds: KindRegistry,
) -> Iterator[Problem]:
    if not condition.rules:
        yield Problem(f"{path}.rules", "add at least one rule, or remove the condition")
    for k, rule in enumerate(condition.rules):
        where = f"{path}.rules[{k}]"
        target = earlier.get(rule.question)
        if target is None:
            if rule.question in later:
                yield Problem(
                    f"{where}.question",
                    f"refers to {rule.question!r}, which is not asked before this point",
                )
            else:
                yield Problem(f"{where}.question", f"unknown question {rule.question!r}")
            continue
        ops = _ops_for(target, kinds)
        if ops is not None and rule.op not in ops:
            yield Problem(f"{where}.op", f"{rule.op!r} does not apply to a {target.kind} question")
            continue
        yield from _check_value(rule.op, rule.value, target, f"{where}.value", kinds)


def _check_value(
    op: str, value: Any, target: Question, path: str, kinds: KindRegistry
) -> Iterator[Problem]:
    if op in ALWAYS_OPS:
        return
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            yield Problem(path, "between needs two numbers: [low, high]")
            return
    elif op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            yield Problem(path, "give a list of one or more values")
            return
    elif value is None or (isinstance(value, list) and op not in ("contains",)):
        yield Problem(path, "give one value to compare with")
        return
    values = value if isinstance(value, list) else [value]
    bounds = _bounds(target, kinds)
    if bounds is not None:
        for item in values:
            if isinstance(item, bool) or not isinstance(item, int | float):
                yield Problem(path, f"{item!r} is not a number")
                return
    kind = kinds.get(target.kind)
    if kind is not None and kind.has_options:
        known = {o.id for o in target.options}
        for item in values:
            if str(item) not in known:
                yield Problem(path, f"{item!r} is not one of the options of {target.id!r}")


def _possible_answers(question: Question, reachable: bool, kinds: KindRegistry) -> list[Any] | None:
    """Every distinct answer that matters to a condition, or None when unknowable."""
    if not reachable:
        return [None]
    skippable = [None] if not question.required or question.condition is not None else []
    kind = kinds.get(question.kind)
    possible = kind.possible_answers(question) if kind is not None else None
    return None if possible is None else [*possible, *skippable]


def _can_hold(
    condition: Condition | None,
    questions: dict[str, Question],
    reachable: dict[str, bool],
    kinds: KindRegistry,
) -> bool:
    if condition is None or not condition.rules:
        return True
    names = sorted({rule.question for rule in condition.rules if rule.question in questions})
    domains = []
    for name in names:
        domain = _possible_answers(questions[name], reachable.get(name, True), kinds)
        if domain is None:
            return True  # free text or a plugin kind: assume it can
        domains.append(domain)
    total = 1
    for domain in domains:
        total *= len(domain)
    if total > MAX_COMBINATIONS:
        return True
    for combination in itertools.product(*domains):
        answers = {n: v for n, v in zip(names, combination, strict=True) if v is not None}
        if evaluate(condition, answers):
            return True
    return False


def validate_definition(
    definition: SurveyDefinition, kinds: KindRegistry = DEFAULT_KINDS
) -> list[Problem]:
    problems: list[Problem] = []
    default = definition.default_locale
    if default not in definition.locales:
        problems.append(Problem("$.default_locale", f"{default!r} is not in locales"))
    if len(set(definition.locales)) != len(definition.locales):
        problems.append(Problem("$.locales", "a locale is listed twice"))
    if not definition.questions:
        problems.append(Problem("$.questions", "add at least one question"))

    for path, text, required in text_fields(definition):
        for locale in text:
            if locale not in definition.locales:
                problems.append(Problem(f"{path}.{locale}", f"{locale!r} is not in locales"))
        if (required or any(text.values())) and not (text.get(default) or "").strip():
            problems.append(Problem(f"{path}.{default}", f"missing text in {default}"))

    seen: dict[str, Question] = {}
    all_ids = {q.id for q in definition.questions}
    reachable: dict[str, bool] = {}
    for i, question in enumerate(definition.questions):
        base = f"$.questions[{i}]"
        if question.id in seen:
            problems.append(Problem(f"{base}.id", f"duplicate question id {question.id!r}"))
        kind = kinds.get(question.kind)
        if kind is None:
            problems.append(Problem(f"{base}.kind", f"unknown question kind {question.kind!r}"))
        else:
            problems.extend(
                Problem(f"{base}.{where}", message) for where, message in kind.validate(question)
            )
            if question.options and not kind.has_options:
                problems.append(
                    Problem(f"{base}.options", f"a {kind.name} question has no options")
                )
        if question.condition is not None:
            later = all_ids - set(seen)
            found = list(
                _check_condition(question.condition, f"{base}.condition", seen, later, kinds)
            )
            problems.extend(found)
            if not found and not _can_hold(question.condition, seen, reachable, kinds):
                problems.append(
                    Problem(f"{base}.condition", "unreachable: no earlier answers can satisfy this")
                )
                reachable[question.id] = False
        reachable.setdefault(question.id, True)
        seen.setdefault(question.id, question)

    ending_ids: set[str] = set()
    always_ends = False
    for i, ending in enumerate(definition.endings):
        base = f"$.endings[{i}]"
        if ending.id in ending_ids:
            problems.append(Problem(f"{base}.id", f"duplicate ending id {ending.id!r}"))
        ending_ids.add(ending.id)
        if always_ends:
            problems.append(Problem(base, "unreachable: an earlier ending is always chosen first"))
        if ending.condition is None or not ending.condition.rules:
            always_ends = True
            continue
        found = list(_check_condition(ending.condition, f"{base}.condition", seen, set(), kinds))
        problems.extend(found)
        if not found and not _can_hold(ending.condition, seen, reachable, kinds):
            problems.append(
                Problem(f"{base}.condition", "unreachable: no answers can satisfy this")
            )
    return problems
