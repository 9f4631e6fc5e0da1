"""Pure edits of a draft definition, as the designer performs them.

Definitions are frozen; each edit returns a new one. Edits work on the JSON form
(``msgspec.to_builtins``) and convert back, so a bad edit fails with the same
validation error the API gives.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import msgspec

from surveyor.surveys.kinds import KindRegistry
from surveyor.surveys.logic import text_fields
from surveyor.surveys.models import SurveyDefinition

_TOKEN = re.compile(r"\.([A-Za-z_]+)|\[(\d+)\]")


class EditError(ValueError):
    pass


def _tree(definition: SurveyDefinition) -> dict[str, Any]:
    tree = copy.deepcopy(msgspec.to_builtins(definition))
    tree.setdefault("questions", [])  # defaults are omitted from the JSON form
    return tree


def _back(tree: dict[str, Any]) -> SurveyDefinition:
    try:
        return msgspec.convert(tree, SurveyDefinition)
    except msgspec.ValidationError as exc:
        raise EditError(str(exc)) from exc


def parse_path(path: str) -> list[str | int]:
    """``$.questions[2].text.en`` → ``["questions", 2, "text", "en"]``."""
    if not path.startswith("$"):
        raise EditError(f"not a JSON path: {path!r}")
    rest, tokens, position = path[1:], [], 0
    for match in _TOKEN.finditer(rest):
        if match.start() != position:
            raise EditError(f"not a JSON path: {path!r}")
        tokens.append(match.group(1) if match.group(1) else int(match.group(2)))
        position = match.end()
    if position != len(rest):
        raise EditError(f"not a JSON path: {path!r}")
    return tokens


def set_text(definition: SurveyDefinition, path: str, locale: str, value: str) -> SurveyDefinition:
    """Set one translatable string (``path`` names the Text, e.g. ``$.questions[0].text``)."""
    if path not in {p for p, _, _ in text_fields(definition)}:
        raise EditError(f"{path}: not a translatable string")
    if locale not in definition.locales:
        raise EditError(f"{locale}: not one of the survey's locales")
    tree = _tree(definition)
    node: Any = tree
    tokens = parse_path(path)
    for token in tokens[:-1]:
        if isinstance(node, dict) and isinstance(token, str):
            node = node.setdefault(token, {})
        else:
            node = node[token]
    text = node.setdefault(tokens[-1], {})
    if value.strip():
        text[locale] = value
    else:
        text.pop(locale, None)
    return _back(tree)


def missing_translations(definition: SurveyDefinition) -> dict[str, list[tuple[str, str]]]:
    """Per locale, the strings present in the default locale but missing in that one."""
    default = definition.default_locale
    missing: dict[str, list[tuple[str, str]]] = {loc: [] for loc in definition.locales}
    for path, text, _ in text_fields(definition):
        source = text.get(default, "")
        if not source:
            continue
        for locale in definition.locales:
            if locale != default and not text.get(locale):
                missing[locale].append((path, source))
    return missing


def _index(tree: dict[str, Any], question_id: str) -> int:
    for index, question in enumerate(tree["questions"]):
        if question["id"] == question_id:
            return index
    raise EditError(f"no question {question_id!r}")


def new_question_id(definition: SurveyDefinition, prefix: str) -> str:
    taken = {q.id for q in definition.questions}
    number = len(definition.questions) + 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


def add_question(
    definition: SurveyDefinition, kind_name: str, kinds: KindRegistry, after: str | None = None
) -> tuple[SurveyDefinition, str]:
    kind = kinds.get(kind_name)
    if kind is None:
        raise EditError(f"unknown question kind {kind_name!r}")
    tree = _tree(definition)
    new_id = new_question_id(definition, "q")
    question: dict[str, Any] = {"id": new_id, "kind": kind_name}
    default_text = kind.default_text.get(definition.default_locale) or kind.default_text.get("en")
    question["text"] = {definition.default_locale: default_text or "New question"}
    if kind.has_options:
        question["options"] = [
            {"id": "a", "label": {definition.default_locale: "Option A"}},
            {"id": "b", "label": {definition.default_locale: "Option B"}},
        ]
    if kind.default_config:
        question["config"] = dict(kind.default_config)
    position = _index(tree, after) + 1 if after else len(tree["questions"])
    tree["questions"].insert(position, question)
    return _back(tree), new_id


def move_question(definition: SurveyDefinition, question_id: str, delta: int) -> SurveyDefinition:
    tree = _tree(definition)
    index = _index(tree, question_id)
    target = max(0, min(len(tree["questions"]) - 1, index + delta))
    tree["questions"].insert(target, tree["questions"].pop(index))
    return _back(tree)


def duplicate_question(
    definition: SurveyDefinition, question_id: str
) -> tuple[SurveyDefinition, str]:
    tree = _tree(definition)
    index = _index(tree, question_id)
    clone = copy.deepcopy(tree["questions"][index])
    clone["id"] = new_question_id(definition, f"{question_id}_copy")
    tree["questions"].insert(index + 1, clone)
    return _back(tree), clone["id"]


def delete_question(definition: SurveyDefinition, question_id: str) -> SurveyDefinition:
    tree = _tree(definition)
    del tree["questions"][_index(tree, question_id)]
    return _back(tree)


def replace_question(
    definition: SurveyDefinition, question_id: str, fields: dict[str, Any]
) -> SurveyDefinition:
    """Overwrite some fields of one question (``None`` removes a field)."""
    tree = _tree(definition)
    question = tree["questions"][_index(tree, question_id)]
    for key, value in fields.items():
        if value is None:
            question.pop(key, None)
        else:
            question[key] = value
    return _back(tree)


def set_locales(
    definition: SurveyDefinition, locales: list[str], default_locale: str | None = None
) -> SurveyDefinition:
    tree = _tree(definition)
    tree["locales"] = list(dict.fromkeys(locales))
    if default_locale:
        tree["default_locale"] = default_locale
    default = tree.setdefault("default_locale", definition.default_locale)
    if default not in tree["locales"]:
        raise EditError(f"{default}: the default locale cannot be removed")
    return _back(tree)


def apply_translations(
    definition: SurveyDefinition, locale: str, strings: dict[str, str]
) -> SurveyDefinition:
    """Add ``locale`` if needed and set every ``{path: text}`` in it."""
    if locale not in definition.locales:
        definition = set_locales(definition, [*definition.locales, locale])
    for path, text in strings.items():
        definition = set_text(definition, path, locale, text)
    return definition


def _ending_index(tree: dict[str, Any], ending_id: str) -> int:
    for index, ending in enumerate(tree.setdefault("endings", [])):
        if ending["id"] == ending_id:
            return index
    raise EditError(f"no ending {ending_id!r}")


def add_ending(definition: SurveyDefinition) -> tuple[SurveyDefinition, str]:
    """A new ending, placed before the catch-all ending (if any) so it can be reached."""
    tree = _tree(definition)
    endings = tree.setdefault("endings", [])
    taken = {e["id"] for e in endings}
    number = len(endings) + 1
    while f"end{number}" in taken:
        number += 1
    ending = {"id": f"end{number}", "text": {definition.default_locale: "Thank you!"}}
    position = len(endings)
    if endings and not (endings[-1].get("condition") or {}).get("rules"):
        position -= 1
    endings.insert(position, ending)
    return _back(tree), ending["id"]


def replace_ending(
    definition: SurveyDefinition, ending_id: str, fields: dict[str, Any]
) -> SurveyDefinition:
    tree = _tree(definition)
    ending = tree["endings"][_ending_index(tree, ending_id)]
    for key, value in fields.items():
        if value is None:
            ending.pop(key, None)
        else:
            ending[key] = value
    return _back(tree)


def delete_ending(definition: SurveyDefinition, ending_id: str) -> SurveyDefinition:
    tree = _tree(definition)
    del tree["endings"][_ending_index(tree, ending_id)]
    return _back(tree)


def move_ending(definition: SurveyDefinition, ending_id: str, position: int) -> SurveyDefinition:
    """Put one ending at ``position`` (0-based, clamped). Order matters: the first ending
    whose condition holds is the one a respondent sees."""
    tree = _tree(definition)
    endings = tree["endings"]
    ending = endings.pop(_ending_index(tree, ending_id))
    endings.insert(max(0, min(len(endings), position)), ending)
    return _back(tree)
