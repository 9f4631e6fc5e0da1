"""Publishing validation: every problem at once, each with its JSON path."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from surveyor.surveys.edit import apply_translations, missing_translations
from surveyor.surveys.models import SurveyDefinition
from surveyor.surveys.templates_lib import TEMPLATE_NAMES, TRANSLATIONS, template_definition
from surveyor.surveys.validation import validate_definition


def nps(**extra: Any) -> dict[str, Any]:
    return {"id": "s", "kind": "nps", "text": {"en": "Score?"}, **extra}


def text_q(qid: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "kind": "text", "text": {"en": "Why?"}, **extra}


def rule(question: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"rules": [{"question": question, "op": op, "value": value}]}


def problems(raw: dict[str, Any]) -> list[tuple[str, str]]:
    definition = msgspec.convert(raw, SurveyDefinition)
    return [(p.path, p.message) for p in validate_definition(definition)]


@pytest.mark.parametrize("name", sorted(TEMPLATE_NAMES))
def test_every_template_is_ready_to_publish(name: str) -> None:
    assert validate_definition(template_definition(name)) == []


def test_translated_nps_template_is_complete() -> None:
    definition = apply_translations(
        template_definition("nps"), "zh_Hans", TRANSLATIONS["nps"]["zh_Hans"]
    )
    assert validate_definition(definition) == []
    assert missing_translations(definition)["zh_Hans"] == []


@pytest.mark.parametrize(
    ("definition", "expected_path", "fragment"),
    [
        ({"questions": []}, "$.questions", "at least one question"),
        ({"questions": [nps(), nps()]}, "$.questions[1].id", "duplicate"),
        ({"questions": [nps(kind="slider")]}, "$.questions[0].kind", "unknown question kind"),
        ({"questions": [nps(text={})]}, "$.questions[0].text.en", "missing text in en"),
        ({"questions": [nps(text={"en": "  "})]}, "$.questions[0].text.en", "missing text"),
        ({"questions": [nps(help={"fr": "x"})]}, "$.questions[0].help.fr", "not in locales"),
        (
            {"locales": ["en", "fr"], "questions": [nps(help={"fr": "aide"})]},
            "$.questions[0].help.en",
            "missing text in en",
        ),
        ({"default_locale": "fr", "questions": [nps()]}, "$.default_locale", "not in locales"),
        (
            {"questions": [{"id": "c", "kind": "single_choice", "text": {"en": "c"}}]},
            "$.questions[0].options",
            "at least one option",
        ),
        (
            {
                "questions": [
                    {
                        "id": "c",
                        "kind": "multi_choice",
                        "text": {"en": "c"},
                        "options": [{"id": "a", "label": {"en": "A"}}, {"id": "a", "label": {}}],
                    }
                ]
            },
            "$.questions[0].options[1].id",
            "duplicate option id",
        ),
        (
            {
                "questions": [
                    {
                        "id": "c",
                        "kind": "single_choice",
                        "text": {"en": "c"},
                        "options": [{"id": "a"}],
                    }
                ]
            },
            "$.questions[0].options[0].label.en",
            "missing text",
        ),
        ({"questions": [nps(options=[{"id": "a"}])]}, "$.questions[0].options", "has no options"),
        ({"questions": [nps(kind="rating", scale_max=20)]}, "$.questions[0].scale_max", "2 to 10"),
        (
            {"questions": [text_q("why", condition=rule("s", "lte", 6)), nps()]},
            "$.questions[0].condition.rules[0].question",
            "not asked before",
        ),
        (
            {"questions": [nps(condition=rule("s", "lte", 6))]},
            "$.questions[0].condition.rules[0].question",
            "not asked before",
        ),
        (
            {"questions": [nps(), text_q("why", condition=rule("nope", "lte", 6))]},
            "$.questions[1].condition.rules[0].question",
            "unknown question",
        ),
        (
            {"questions": [nps(), text_q("why", condition=rule("s", "contains", "x"))]},
            "$.questions[1].condition.rules[0].op",
            "does not apply",
        ),
        (
            {"questions": [nps(), text_q("why", condition=rule("s", "lte", "six"))]},
            "$.questions[1].condition.rules[0].value",
            "not a number",
        ),
        (
            {"questions": [nps(), text_q("why", condition=rule("s", "between", [1]))]},
            "$.questions[1].condition.rules[0].value",
            "two numbers",
        ),
        (
            {"questions": [nps(), text_q("why", condition={"rules": []})]},
            "$.questions[1].condition.rules",
            "at least one rule",
        ),
        (
            {"questions": [nps(), text_q("why", condition=rule("s", "gt", 10))]},
            "$.questions[1].condition",
            "unreachable",
        ),
        (
            {
                "questions": [
                    nps(required=True),
                    text_q(
                        "why",
                        condition={
                            "rules": [
                                {"question": "s", "op": "gte", "value": 9},
                                {"question": "s", "op": "lte", "value": 6},
                            ]
                        },
                    ),
                ]
            },
            "$.questions[1].condition",
            "unreachable",
        ),
        (
            {
                "questions": [
                    nps(),
                    text_q("a", condition=rule("s", "gt", 10)),
                    text_q("b", condition=rule("a", "answered")),
                ]
            },
            "$.questions[2].condition",
            "unreachable",  # depends on an unreachable question
        ),
        (
            {
                "questions": [
                    nps(),
                    {
                        "id": "c",
                        "kind": "single_choice",
                        "text": {"en": "c"},
                        "options": [{"id": "a", "label": {"en": "A"}}],
                    },
                    text_q("why", condition=rule("c", "eq", "zzz")),
                ]
            },
            "$.questions[2].condition.rules[0].value",
            "not one of the options",
        ),
        (
            {"questions": [nps()], "endings": [{"id": "e", "text": {"en": "x"}}, {"id": "f"}]},
            "$.endings[1]",
            "an earlier ending is always chosen",
        ),
        (
            {"questions": [nps()], "endings": [{"id": "e", "condition": rule("s", "lte", 6)}]},
            "$.endings[0].text.en",
            "missing text",
        ),
        (
            {
                "questions": [nps()],
                "endings": [{"id": "e", "text": {"en": "x"}, "condition": rule("zz", "lte", 6)}],
            },
            "$.endings[0].condition.rules[0].question",
            "unknown question",
        ),
    ],
)
def test_validation_names_the_path_of_each_problem(
    definition: dict[str, Any], expected_path: str, fragment: str
) -> None:
    found = problems(definition)
    assert any(path == expected_path and fragment in message for path, message in found), found


def test_conditions_on_earlier_questions_are_fine() -> None:
    definition = {
        "questions": [
            nps(required=True),
            text_q("why", condition=rule("s", "between", [0, 6])),
            text_q(
                "other",
                condition={
                    "match": "any",
                    "rules": [
                        {"question": "s", "op": "gte", "value": 9},
                        {"question": "why", "op": "contains", "value": "price"},
                    ],
                },
            ),
        ],
        "endings": [{"id": "e", "text": {"en": "x"}, "condition": rule("why", "answered")}],
    }
    assert problems(definition) == []


def test_every_problem_is_reported_at_once() -> None:
    definition = {
        "questions": [
            nps(text={}),
            nps(),
            {"id": "c", "kind": "single_choice", "text": {"en": "c"}},
            text_q("why", condition=rule("later", "lte", 6)),
            text_q("later"),
        ]
    }
    paths = {path for path, _ in problems(definition)}
    assert {
        "$.questions[0].text.en",
        "$.questions[1].id",
        "$.questions[2].options",
        "$.questions[3].condition.rules[0].question",
    } <= paths
