"""Conditions, the path through a survey, answer checks, translations and recalled text."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from surveyor.surveys.kinds import AnswerError
from surveyor.surveys.logic import (
    check_answer,
    choose_ending,
    evaluate,
    next_question,
    recall,
    recall_plain,
    resolve_locale,
    text_for,
    visible_questions,
)
from surveyor.surveys.models import Condition, Question, SurveyDefinition
from surveyor.surveys.templates_lib import template_definition


def when(*rules: tuple[str, str, Any], match: str = "all") -> Condition:
    return msgspec.convert(
        {"match": match, "rules": [{"question": q, "op": op, "value": v} for q, op, v in rules]},
        Condition,
    )


@pytest.mark.parametrize(
    ("condition", "answers", "expected"),
    [
        (when(("s", "lte", 6)), {"s": 6}, True),
        (when(("s", "lte", 6)), {"s": 7}, False),
        (when(("s", "lte", 6)), {}, False),  # unanswered never compares
        (when(("s", "lt", 6)), {"s": 6}, False),
        (when(("s", "gt", 8)), {"s": 9}, True),
        (when(("s", "gte", 9)), {"s": 9}, True),
        (when(("s", "eq", 10)), {"s": 10}, True),
        (when(("s", "eq", 10)), {"s": "10"}, True),  # form posts are text
        (when(("s", "ne", 10)), {"s": 9}, True),
        (when(("s", "ne", 10)), {}, True),
        (when(("s", "between", [7, 8])), {"s": 7}, True),
        (when(("s", "between", [7, 8])), {"s": 8}, True),
        (when(("s", "between", [7, 8])), {"s": 9}, False),
        (when(("s", "between", 7)), {"s": 7}, False),  # malformed value is never true
        (when(("s", "in", [1, 2, 3])), {"s": 2}, True),
        (when(("s", "not_in", [1, 2, 3])), {"s": 4}, True),
        (when(("c", "eq", "no")), {"c": "no"}, True),
        (when(("c", "in", ["no", "partly"])), {"c": "yes"}, False),
        (when(("m", "contains", "price")), {"m": ["support", "price"]}, True),
        (when(("m", "contains", "price")), {"m": ["support"]}, False),
        (when(("m", "eq", "price")), {"m": ["price"]}, True),
        (when(("m", "not_in", ["price"])), {"m": ["support"]}, True),
        (when(("t", "contains", "REFUND")), {"t": "I want a refund"}, True),
        (when(("t", "answered", None)), {"t": "x"}, True),
        (when(("t", "answered", None)), {"t": ""}, False),
        (when(("t", "not_answered", None)), {}, True),
        (when(("s", "lte", 6), ("c", "eq", "no")), {"s": 3, "c": "yes"}, False),
        (when(("s", "lte", 6), ("c", "eq", "no"), match="any"), {"s": 3, "c": "yes"}, True),
        (when(("s", "lte", 6), ("c", "eq", "no"), match="any"), {"s": 9, "c": "yes"}, False),
        (None, {}, True),
        (Condition(rules=[]), {}, True),
        (when(("s", "gt", "abc")), {"s": 5}, False),  # no crash on nonsense
    ],
)
def test_conditions(condition: Condition | None, answers: dict[str, Any], expected: bool) -> None:
    assert evaluate(condition, answers) is expected


NPS = template_definition("nps")


@pytest.mark.parametrize(
    ("answers", "shown", "ending"),
    [
        ({"score": 3}, ["score", "improve", "topics"], "sorry"),
        ({"score": 7}, ["score", "higher", "topics"], "thanks"),
        ({"score": 10}, ["score", "right", "topics"], "thanks"),
        ({}, ["score", "topics"], "thanks"),
    ],
)
def test_nps_template_path_follows_the_score(
    answers: dict[str, Any], shown: list[str], ending: str
) -> None:
    assert [q.id for q in visible_questions(NPS, answers)] == shown
    found = choose_ending(NPS, answers)
    assert found is not None and found.id == ending


def test_next_question_skips_hidden_questions() -> None:
    assert next_question(NPS, {}).id == "score"  # type: ignore[union-attr]
    assert next_question(NPS, {"score": 10}, after="score").id == "right"  # type: ignore[union-attr]
    assert next_question(NPS, {"score": 10}, after="right").id == "topics"  # type: ignore[union-attr]
    assert next_question(NPS, {"score": 10}, after="topics") is None


def test_a_stale_answer_to_a_hidden_question_does_not_steer_later_logic() -> None:
    definition = msgspec.convert(
        {
            "questions": [
                {"id": "s", "kind": "nps", "text": {"en": "s"}},
                {
                    "id": "c",
                    "kind": "single_choice",
                    "text": {"en": "c"},
                    "options": [{"id": "x", "label": {"en": "x"}}],
                    "condition": {"rules": [{"question": "s", "op": "lte", "value": 6}]},
                },
            ],
            "endings": [
                {
                    "id": "e1",
                    "text": {"en": "1"},
                    "condition": {"rules": [{"question": "c", "op": "eq", "value": "x"}]},
                },
                {"id": "e2", "text": {"en": "2"}},
            ],
        },
        SurveyDefinition,
    )
    assert choose_ending(definition, {"s": 3, "c": "x"}).id == "e1"  # type: ignore[union-attr]
    assert choose_ending(definition, {"s": 9, "c": "x"}).id == "e2"  # type: ignore[union-attr]


def q(kind: str, **extra: Any) -> Question:
    return msgspec.convert({"id": "q", "kind": kind, **extra}, Question)


OPTIONS = [{"id": "a"}, {"id": "b"}, {"id": "c"}]


@pytest.mark.parametrize(
    ("question", "raw", "expected"),
    [
        (q("nps"), 0, 0),
        (q("nps"), "10", 10),
        (q("nps"), 11, AnswerError),
        (q("nps"), -1, AnswerError),
        (q("nps"), 7.5, AnswerError),
        (q("nps"), True, AnswerError),
        (q("nps"), "seven", AnswerError),
        (q("ces"), 1, 1),
        (q("ces"), 0, AnswerError),
        (q("ces"), 8, AnswerError),
        (q("csat"), 5, 5),
        (q("csat"), 6, AnswerError),
        (q("emotion"), 10, 10),
        (q("emotion"), 0, AnswerError),
        (q("rating"), 5, 5),
        (q("rating"), 6, AnswerError),
        (q("rating", scale_max=10), 10, 10),
        (q("single_choice", options=OPTIONS), "b", "b"),
        (q("single_choice", options=OPTIONS), "z", AnswerError),
        (q("single_choice", options=OPTIONS), ["a", "b"], AnswerError),
        (q("multi_choice", options=OPTIONS), ["c", "a", "a"], ["a", "c"]),
        (q("multi_choice", options=OPTIONS), "b", ["b"]),
        (q("multi_choice", options=OPTIONS), ["a", "z"], AnswerError),
        (q("text"), "  fine \r\nthanks ", "fine \nthanks"),
        (q("text"), "x" * 501, AnswerError),
        (q("text", multiline=True), "x" * 501, "x" * 501),
        (q("text"), 5, AnswerError),
        (q("text"), "", None),
        (q("nps"), None, None),
        (q("nps", required=True), None, AnswerError),
        (q("text", required=True), "   ", AnswerError),
        (q("multi_choice", options=OPTIONS, required=True), [], AnswerError),
        (q("slider"), 5, AnswerError),  # unknown kind
    ],
)
def test_answer_checks(question: Question, raw: Any, expected: Any) -> None:
    if expected is AnswerError:
        with pytest.raises(AnswerError):
            check_answer(question, raw)
    else:
        assert check_answer(question, raw) == expected


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ({"en": "Hi", "zh_Hans": "你好"}, "zh_Hans", "你好"),
        ({"en": "Hi", "zh_Hans": "你好"}, "zh_Hans_CN", "你好"),  # same language
        ({"en": "Hi", "zh_Hans": ""}, "zh_Hans", "Hi"),  # empty falls back
        ({"en": "Hi"}, "fr", "Hi"),
        ({"fr": "Salut"}, "de", "Salut"),  # anything beats nothing
        ({}, "en", ""),
    ],
)
def test_text_falls_back_to_the_default_locale(
    text: dict[str, str], locale: str, expected: str
) -> None:
    assert text_for(text, locale, "en") == expected


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (["zh-CN", "en"], "zh_Hans"),
        (["zh-Hans"], "zh_Hans"),
        (["zh-TW"], "en"),  # Traditional readers are not served Simplified
        (["fr", "en-GB"], "en"),
        ([], "en"),
    ],
)
def test_resolve_locale(wanted: list[str], expected: str) -> None:
    definition = SurveyDefinition(locales=["en", "zh_Hans"])
    assert resolve_locale(definition, wanted) == expected


@pytest.mark.parametrize(
    ("text", "contact", "properties", "expected"),
    [
        ("Hi {contact.name}!", {"name": "Ann"}, {}, "Hi Ann!"),
        ("Order {properties.order_id}", {}, {"order_id": 42}, "Order 42"),
        ("Tier {contact.tier}", {"attributes": {"tier": "gold"}}, {}, "Tier gold"),
        ("{contact.missing}|", {}, {}, "|"),
        ("{{7*7}} {% if 1 %}x{% endif %}", {}, {}, "{{7*7}} {% if 1 %}x{% endif %}"),
        ("<b>{contact.name}</b>", {"name": "<script>alert(1)</script>"}, {}, None),
        ("{properties.x}", {}, {"x": "{{7*7}}"}, "{{7*7}}"),  # recalled values never re-render
        ("{contact.__class__}", {}, {}, ""),  # only keys of the mapping, never attributes
        ("Recommend {brand}?", {}, {}, "Recommend us?"),
    ],
)
def test_recall_treats_survey_text_as_plain_text(
    text: str, contact: dict[str, Any], properties: dict[str, Any], expected: str | None
) -> None:
    html = recall(text, contact=contact, properties=properties)
    assert "<script>" not in html and "<b>" not in html
    if expected is not None:
        assert recall_plain(text, contact=contact, properties=properties) == expected
    assert "49" not in html


def test_recall_escapes_designer_text_and_recalled_values() -> None:
    html = recall("<b>{contact.name}</b>", contact={"name": "<script>alert(1)</script>"})
    assert html == "&lt;b&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;/b&gt;"
    assert recall("Thanks {brand}", brand="Acme & Co") == "Thanks Acme &amp; Co"
