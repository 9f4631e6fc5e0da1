"""Pure helpers of the designer pages: forms in, definitions out, conditions in words.

The condition editor posts rows ``rule_question_N``, ``rule_op_N``, ``rule_value_N``
plus ``match`` (``always`` | ``all`` | ``any``); :func:`condition_from_form` turns them
into a :class:`Condition`, typing values by the question they compare with.
"""

from __future__ import annotations

import re
from typing import Any

from surveyor.surveys.edit import EditError, replace_question
from surveyor.surveys.kinds import EditorField, KindRegistry
from surveyor.surveys.logic import text_for
from surveyor.surveys.models import Condition, Question, SurveyDefinition

# Operator labels for people, in the order the editor offers them.
OPERATOR_LABELS: dict[str, str] = {
    "eq": "is",
    "ne": "is not",
    "lt": "is less than",
    "lte": "is at most",
    "gt": "is more than",
    "gte": "is at least",
    "between": "is between (low, high)",
    "in": "is one of (a, b, …)",
    "not_in": "is none of (a, b, …)",
    "contains": "contains",
    "answered": "was answered",
    "not_answered": "was skipped",
}
LIST_OPS = {"between", "in", "not_in"}
NO_VALUE_OPS = {"answered", "not_answered"}
MAX_RULES = 10


def _scalar(raw: str, numeric: bool) -> Any:
    raw = raw.strip()
    if numeric:
        try:
            number = float(raw)
        except ValueError:
            return raw  # kept as typed; publishing explains what is wrong
        return int(number) if number.is_integer() else number
    return raw


def _numeric(question: Question | None, kinds: KindRegistry) -> bool:
    if question is None:
        return False
    kind = kinds.get(question.kind)
    return kind is not None and kind.numeric_range(question) is not None


def condition_from_form(
    form: dict[str, Any], questions: list[Question], kinds: KindRegistry
) -> Condition | None:
    match = str(form.get("match", "always"))
    if match not in ("all", "any"):
        return None
    by_id = {q.id: q for q in questions}
    rules = []
    for index in range(MAX_RULES):
        question_id = str(form.get(f"rule_question_{index}", "")).strip()
        if not question_id:
            continue
        op = str(form.get(f"rule_op_{index}", "eq"))
        if op not in OPERATOR_LABELS:
            raise EditError(f"rule {index + 1}: unknown comparison {op!r}")
        raw = str(form.get(f"rule_value_{index}", ""))
        numeric = _numeric(by_id.get(question_id), kinds)
        rule: dict[str, Any] = {"question": question_id, "op": op}
        if op in LIST_OPS:
            rule["value"] = [
                _scalar(part, numeric) for part in re.split(r"[,;]", raw) if part.strip()
            ]
        elif op not in NO_VALUE_OPS:
            rule["value"] = _scalar(raw, numeric)
        rules.append(rule)
    if not rules:
        return None
    import msgspec

    return msgspec.convert({"match": match, "rules": rules}, Condition)


def value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def describe_condition(
    condition: Condition | None, definition: SurveyDefinition, locale: str
) -> str:
    """``Shown when "How likely…" is at most 6 or "Resolved?" is no``, for people."""
    if condition is None or not condition.rules:
        return ""
    by_id = {q.id: q for q in definition.questions}
    parts = []
    for rule in condition.rules:
        question = by_id.get(rule.question)
        label = (
            text_for(question.text, locale, definition.default_locale)
            if question
            else rule.question
        )
        if len(label) > 40:
            label = label[:39] + "…"
        words = OPERATOR_LABELS.get(rule.op, rule.op).split(" (")[0]
        value = "" if rule.op in NO_VALUE_OPS else " " + value_text(rule.value)
        parts.append(f"“{label}” {words}{value}")
    joiner = " and " if condition.match == "all" else " or "
    return joiner.join(parts)


def options_from_lines(
    text: str, existing: list[dict[str, Any]], locale: str
) -> list[dict[str, Any]]:
    """One option label per line; the Nth line keeps the Nth option's id, so conditions that
    name an option survive a relabel. New lines get an id made from their label."""
    options = []
    taken: set[str] = set()
    for index, line in enumerate(line.strip() for line in text.splitlines()):
        if not line:
            continue
        if index < len(existing):
            option = dict(existing[index])
            option["label"] = {**option.get("label", {}), locale: line}
        else:
            base = re.sub(r"[^a-z0-9]+", "_", line.lower()).strip("_")[:40] or "option"
            candidate, number = base, 2
            while candidate in taken or any(o.get("id") == candidate for o in existing):
                candidate, number = f"{base}_{number}", number + 1
            option = {"id": candidate, "label": {locale: line}}
        taken.add(option["id"])
        options.append(option)
    return options


def _text(current: dict[str, str], locale: str, value: str) -> dict[str, str] | None:
    updated = dict(current)
    if value.strip():
        updated[locale] = value.strip()
    else:
        updated.pop(locale, None)
    return updated or None


def apply_question_form(
    definition: SurveyDefinition, question_id: str, form: dict[str, Any], kinds: KindRegistry
) -> SurveyDefinition:
    """The question editor's form, applied to the draft (texts in the default locale)."""
    import msgspec

    question = next((q for q in definition.questions if q.id == question_id), None)
    if question is None:
        raise EditError(f"no question {question_id!r}")
    locale = definition.default_locale
    kind = kinds.get(question.kind)
    earlier = definition.questions[: definition.questions.index(question)]
    fields: dict[str, Any] = {
        "text": _text(question.text, locale, str(form.get("text", ""))),
        "help": _text(question.help, locale, str(form.get("help", ""))),
        "required": True if form.get("required") else None,
        "condition": None,
    }
    condition = condition_from_form(form, earlier, kinds)
    if condition is not None:
        fields["condition"] = msgspec.to_builtins(condition)
    config = dict(question.config)
    for editor_field in kind.editor if kind is not None else ():
        value = editor_value(editor_field, question, form, locale)
        key = editor_field.config_key
        if key is None:
            fields[editor_field.name] = value
        elif value is None:
            config.pop(key, None)
        else:
            config[key] = value
    if kind is not None and any(f.config_key for f in kind.editor):
        fields["config"] = config or None
    return replace_question(definition, question_id, fields)


def editor_value(
    editor_field: EditorField, question: Question, form: dict[str, Any], locale: str
) -> Any:
    """One editor field's posted value, typed as the field says (None removes it)."""
    import msgspec

    name = editor_field.name
    raw = form.get(name, "")
    raw = str(raw[-1] if isinstance(raw, list) and raw else raw)
    if editor_field.type == "checkbox":
        return True if form.get(name) else None
    if editor_field.type == "number":
        raw = raw.strip()
        return int(raw) if raw.isdigit() else None
    if editor_field.type == "options":
        existing = [msgspec.to_builtins(o) for o in question.options]
        return options_from_lines(raw, existing, locale)
    if editor_field.type == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()] or None
    if editor_field.config_key is not None:
        return raw.strip() or None
    return _text(getattr(question, name), locale, raw)


_PART = re.compile(r"\.(questions|endings|options)\[(\d+)\]")
_FIELD_NAMES = {
    "text": "text",
    "help": "help text",
    "low_label": "lowest-score label",
    "high_label": "highest-score label",
    "label": "label",
    "condition": "display logic",
    "options": "options",
    "id": "id",
    "kind": "kind",
    "scale_max": "number of points",
    "title": "title",
    "intro": "introduction",
    "brand": "brand",
    "default_locale": "default language",
    "locales": "languages",
}


def path_label(path: str) -> str:
    """``$.questions[2].options[0].label.en`` → ``Question 3 › option 1 › label › en``,
    for people reading a publish error or a translation row."""
    words: list[str] = []
    rest = path.removeprefix("$")
    position = 0
    for match in _PART.finditer(rest):
        words.extend(_words(rest[position : match.start()]))
        number = int(match.group(2)) + 1
        noun = {"questions": "Question", "endings": "Ending", "options": "option"}[match.group(1)]
        words.append(f"{noun} {number}")
        position = match.end()
    words.extend(_words(rest[position:]))
    return " › ".join(words) or path


def _words(fragment: str) -> list[str]:
    out = []
    for part in fragment.split("."):
        if not part or part == "settings":
            continue
        if part.startswith("rules["):
            out.append(f"rule {int(part[6:-1]) + 1}")
        else:
            out.append(_FIELD_NAMES.get(part, part))
    return out
