"""Pure survey logic: conditions, the path through a survey, answers, and recalled text.

No I/O here. The respondent pages, the designer preview and the validation of
definitions all call these functions, so a survey behaves the same everywhere.

* ``evaluate(condition, answers)`` — does a display condition hold?
* ``visible_questions`` / ``next_question`` / ``choose_ending`` — the path.
* ``check_answer(question, raw, kinds)`` — normalise one answer or raise ``AnswerError``.
* ``text_for(text, locale, default_locale)`` — a translated string with fallback.
* ``recall(text, contact=…, properties=…, brand=…)`` — survey text as *plain text*:
  only ``{contact.x}``, ``{properties.x}`` and ``{brand}`` are replaced, everything
  is escaped, and anything that looks like template syntax (``{{7*7}}``) stays literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from surveyor.surveys import wording
from surveyor.surveys.kinds import DEFAULT_KINDS, AnswerError, KindRegistry
from surveyor.surveys.models import Condition, Ending, Question, Rule, SurveyDefinition, Text

Answers = Mapping[str, Any]

__all__ = [
    "AnswerError",
    "check_answer",
    "choose_ending",
    "effective_answers",
    "evaluate",
    "evaluate_rule",
    "is_empty",
    "next_question",
    "recall",
    "recall_plain",
    "resolve_locale",
    "text_fields",
    "text_for",
    "visible_questions",
]

# -- conditions --------------------------------------------------------------------


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value) or value == ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _same(answer: Any, value: Any) -> bool:
    a, b = _number(answer), _number(value)
    if a is not None and b is not None:
        return a == b
    return str(answer) == str(value)


def _compare(answer: Any, value: Any, op: str) -> bool:
    a, b = _number(answer), _number(value)
    if a is None or b is None:
        return False
    return {"lt": a < b, "lte": a <= b, "gt": a > b, "gte": a >= b}[op]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def evaluate_rule(rule: Rule, answers: Answers) -> bool:
    answer = answers.get(rule.question)
    if is_empty(answer):
        return rule.op in ("not_answered", "ne", "not_in")
    op, value = rule.op, rule.value
    if op == "answered":
        return True
    if op == "not_answered":
        return False
    if isinstance(answer, list):  # multi_choice: "is" / "is one of" / "contains" mean overlap
        wanted = _as_list(value)
        overlap = any(_same(a, w) for a in answer for w in wanted)
        if op in ("eq", "in", "contains"):
            return overlap
        if op in ("ne", "not_in"):
            return not overlap
        return False
    if op == "eq":
        return _same(answer, value)
    if op == "ne":
        return not _same(answer, value)
    if op in ("lt", "lte", "gt", "gte"):
        return _compare(answer, value, op)
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            return False
        return _compare(answer, value[0], "gte") and _compare(answer, value[1], "lte")
    if op == "in":
        return any(_same(answer, v) for v in _as_list(value))
    if op == "not_in":
        return not any(_same(answer, v) for v in _as_list(value))
    if op == "contains":  # text answers: case-insensitive substring
        return any(str(v).casefold() in str(answer).casefold() for v in _as_list(value))
    return False


def evaluate(condition: Condition | None, answers: Answers) -> bool:
    """True when there is no condition, or its rules hold (all of them / any of them)."""
    if condition is None or not condition.rules:
        return True
    results = (evaluate_rule(rule, answers) for rule in condition.rules)
    return all(results) if condition.match == "all" else any(results)


# -- the path through a survey -------------------------------------------------------


def effective_answers(definition: SurveyDefinition, answers: Answers) -> dict[str, Any]:
    """Answers of the questions actually shown: a stale answer to a question that has
    since been hidden (the respondent went back and changed a score) no longer counts."""
    kept: dict[str, Any] = {}
    for question in definition.questions:
        if evaluate(question.condition, kept) and question.id in answers:
            kept[question.id] = answers[question.id]
    return kept


# -- per-definition memos --------------------------------------------------------------

_MEMOS: dict[int, tuple[SurveyDefinition, dict[str, dict[Any, Any]]]] = {}
MEMO_DEFINITIONS = 64  # published versions are few; the designer's previews come and go
MEMO_CASES = 256  # per definition and purpose


def definition_memo(definition: SurveyDefinition, purpose: str) -> dict[Any, Any]:
    """A memo of pure results over ``definition`` (the path's answers depend on nothing
    else): every page of a survey asks the same few cases again. The definition is held
    with it, so its id is never reused while the memo lives; both stay bounded."""
    entry = _MEMOS.get(id(definition))
    if entry is None or entry[0] is not definition:
        if len(_MEMOS) >= MEMO_DEFINITIONS:
            _MEMOS.clear()
        entry = _MEMOS[id(definition)] = (definition, {})
    found = entry[1].setdefault(purpose, {})
    if len(found) >= MEMO_CASES:
        found.clear()
    return found


def condition_inputs(definition: SurveyDefinition, answers: Answers) -> bytes | None:
    """What of ``answers`` the conditions can see: the answers of the questions a rule looks
    at (encoded, for a memo key). None when one cannot be encoded."""
    memo = definition_memo(definition, "referenced")
    referenced = memo.get("")
    if referenced is None:
        referenced = memo[""] = sorted(
            {r.question for q in definition.questions if q.condition for r in q.condition.rules}
        )
    try:
        return msgspec.json.encode({qid: answers[qid] for qid in referenced if qid in answers})
    except (TypeError, msgspec.EncodeError):
        return None


def visible_questions(definition: SurveyDefinition, answers: Answers) -> list[Question]:
    """Questions shown given the answers so far, in order (conditions see earlier answers)."""
    key = condition_inputs(definition, answers)
    memo = definition_memo(definition, "visible")
    found = memo.get(key) if key is not None else None
    if found is None:
        found = _visible_questions(definition, answers)
        if key is not None:
            memo[key] = found
    return list(found)


def _visible_questions(definition: SurveyDefinition, answers: Answers) -> list[Question]:
    kept: dict[str, Any] = {}
    shown = []
    for question in definition.questions:
        if evaluate(question.condition, kept):
            shown.append(question)
            if question.id in answers:
                kept[question.id] = answers[question.id]
    return shown


def next_question(
    definition: SurveyDefinition, answers: Answers, after: str | None = None
) -> Question | None:
    """The next question to show after question ``after`` (None: from the start), or
    None when the survey is over. Questions whose condition fails are skipped."""
    shown = visible_questions(definition, answers)
    if after is None:
        return shown[0] if shown else None
    order = {q.id: index for index, q in enumerate(definition.questions)}
    position = order.get(after, -1)
    for question in shown:
        if order[question.id] > position:
            return question
    return None


def choose_ending(definition: SurveyDefinition, answers: Answers) -> Ending | None:
    """The first ending whose condition holds; None when the survey has no endings."""
    kept = effective_answers(definition, answers)
    for ending in definition.endings:
        if evaluate(ending.condition, kept):
            return ending
    return None


# -- answers ----------------------------------------------------------------------


def check_answer(question: Question, raw: Any, kinds: KindRegistry = DEFAULT_KINDS) -> Any:
    """The normalised answer, or None for a skipped optional question.

    Raises ``AnswerError`` (a message for the respondent) when the answer does not fit.
    """
    if isinstance(raw, str) and not raw.strip():
        raw = None
    if is_empty(raw):
        if question.required:
            raise AnswerError("This question needs an answer.")
        return None
    kind = kinds.get(question.kind)
    if kind is None:
        raise AnswerError("This question cannot be answered right now.")
    return kind.check(question, raw)


# -- translations -------------------------------------------------------------------


def resolve_locale(definition: SurveyDefinition, wanted: list[str]) -> str:
    """The survey locale closest to the respondent's preferences (exact, then language)."""
    normal = {loc.lower(): loc for loc in definition.locales}
    for tag in wanted:
        tag = tag.replace("-", "_").lower()
        if tag in normal:
            return normal[tag]
        language = tag.split("_", 1)[0]
        if language == "zh" and ("tw" in tag or "hk" in tag or "hant" in tag):
            continue  # never show Simplified to a Traditional reader as an exact match
        for key, loc in normal.items():
            if key.split("_", 1)[0] == language:
                return loc
    return definition.default_locale


def text_for(text: Text, locale: str, default_locale: str = "en") -> str:
    """``text`` in ``locale``, else its language, else the default locale, else any."""
    if not text:
        return ""
    value = text.get(locale)
    if value:
        return value
    language = locale.split("_", 1)[0]
    for key, candidate in text.items():
        if candidate and key.split("_", 1)[0] == language:
            return candidate
    value = text.get(default_locale)
    if value:
        # A shipped text (a template's scale label, a kind's default) the designer left
        # untranslated: Surveyor's own translation, not the default locale's words.
        return wording.shipped_translation(value, locale) or value
    return next((v for v in text.values() if v), "")


def text_fields(definition: SurveyDefinition) -> Iterator[tuple[str, Text, bool]]:
    """Every translatable string as ``(json_path, text, required)``; ``required`` strings
    must exist in the default locale, optional ones only once used in some locale."""
    yield "$.title", definition.title, False
    yield "$.intro", definition.intro, False
    yield "$.settings.brand", definition.settings.brand, False
    for i, q in enumerate(definition.questions):
        base = f"$.questions[{i}]"
        yield f"{base}.text", q.text, True
        yield f"{base}.help", q.help, False
        yield f"{base}.low_label", q.low_label, False
        yield f"{base}.high_label", q.high_label, False
        for j, option in enumerate(q.options):
            yield f"{base}.options[{j}].label", option.label, True
    for i, ending in enumerate(definition.endings):
        yield f"$.endings[{i}].text", ending.text, True


# -- recalled text --------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{(?:(contact|properties)\.([A-Za-z0-9_]{1,64})|(brand))\}")
_SANDBOX = ImmutableSandboxedEnvironment(autoescape=True)
_SANDBOX_PLAIN = ImmutableSandboxedEnvironment(autoescape=False)
# The designer's text is never compiled: it only ever arrives as data (``parts``), so
# ``{{7*7}}`` or ``{% … %}`` in a question prints as typed. The sandbox guards the
# lookups into contact and properties values.
_RECALL_SOURCE = (
    "{% for literal, source, key in parts %}{{ literal }}"
    "{% if source %}{{ values[source][key] if key in values[source] else '' }}{% endif %}"
    "{% endfor %}"
)
_RECALL = _SANDBOX.from_string(_RECALL_SOURCE)
_RECALL_PLAIN = _SANDBOX_PLAIN.from_string(_RECALL_SOURCE)


def _mapping(value: Any) -> dict[str, str]:
    if isinstance(value, msgspec.Struct):
        value = msgspec.to_builtins(value)
    if not isinstance(value, Mapping):
        return {}
    flat: dict[str, Any] = {}
    nested = value.get("attributes")
    if isinstance(nested, Mapping):  # contact attributes are recalled as {contact.tier}
        flat.update(nested)
    flat.update(value)
    return {
        str(k): str(v)
        for k, v in flat.items()
        if isinstance(v, str | int | float) and not isinstance(v, bool)
    }


def _parts(text: str) -> list[tuple[str, str, str]]:
    parts: list[tuple[str, str, str]] = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        source, key = (match.group(1), match.group(2)) if match.group(1) else ("brand", "brand")
        parts.append((text[position : match.start()], source, key))
        position = match.end()
    parts.append((text[position:], "", ""))
    return parts


def _values(contact: Any, properties: Any, brand: str) -> dict[str, dict[str, str]]:
    return {
        "contact": _mapping(contact),
        "properties": _mapping(properties),
        "brand": {"brand": brand},
    }


def recall(text: str, *, contact: Any = None, properties: Any = None, brand: str = "") -> Markup:
    """Survey text for HTML: placeholders filled in, everything escaped. Without a brand,
    ``{brand}`` texts are reworded (``wording.without_brand``), never left raw."""
    if "{" not in text:
        # Most texts have no placeholder: escaping them is all the template would do, at
        # a hundredth of a sandboxed render (a respondent page recalls ~10 texts).
        return escape(text)
    if not brand.strip():
        text = wording.without_brand(text)
    html = _RECALL.render(parts=_parts(text), values=_values(contact, properties, brand))
    return Markup(html)  # noqa: S704 - produced by an autoescaping template


def recall_plain(text: str, *, contact: Any = None, properties: Any = None, brand: str = "") -> str:
    """Survey text for plain-text channels (SMS, the text part of an email, exports)."""
    if "{" not in text:
        return text
    if not brand.strip():
        text = wording.without_brand(text)
    return _RECALL_PLAIN.render(parts=_parts(text), values=_values(contact, properties, brand))
