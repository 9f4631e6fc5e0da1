"""Shipped survey words (issue 19): every template reads naturally with and without a
brand, in English and Chinese; nothing shows a raw ``{brand}``; the words Surveyor ships
are translated with the survey."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest

from surveyor.i18n import translations
from surveyor.metrics.labels import labels_of
from surveyor.surveys import logic, wording
from surveyor.surveys.builtin_kinds import builtin_kinds
from surveyor.surveys.models import SurveyDefinition
from surveyor.surveys.templates_lib import _TEMPLATES, TEMPLATE_NAMES, template_definition

LOCALES = ["en", "zh_Hans"]
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def all_texts(definition: SurveyDefinition, locale: str) -> list[str]:
    """Every text of a definition as a respondent in ``locale`` would get it."""
    return [
        logic.text_for(text, locale, definition.default_locale)
        for _, text, _ in logic.text_fields(definition)
        if text
    ]


def template_english() -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if set(node) == {"en"}:
                found.add(node["en"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(_TEMPLATES)
    return found


def test_every_shipped_text_is_in_the_list_and_translated() -> None:
    kinds = {k.default_text["en"] for k in builtin_kinds()}
    assert template_english() | kinds <= wording.SHIPPED
    catalog = translations("zh_Hans")
    untranslated = [
        text for text in wording.SHIPPED if catalog.pgettext(wording.CONTEXT, text) == text
    ]
    assert untranslated == []


@pytest.mark.parametrize("name", sorted(TEMPLATE_NAMES))
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("brand", ["", "Acme & Co"])
def test_every_template_reads_naturally_with_and_without_a_brand(
    name: str, locale: str, brand: str
) -> None:
    definition = template_definition(name)
    for text in all_texts(definition, locale):
        shown = logic.recall_plain(text, brand=brand)
        assert "{" not in shown and "}" not in shown, shown
        assert not shown.startswith(("us ", "Us ")), shown
        if brand:
            assert "{brand}" not in shown
        if locale == "zh_Hans":
            # Chinese all through: no English word is left but the brand's own name.
            leftover = ENGLISH_WORD.findall(shown.replace(brand, ""))
            assert leftover == [], (name, shown)


@pytest.mark.parametrize(
    ("text", "brand", "shown"),
    [
        (
            "How likely is it that you would recommend {brand} to a friend or colleague?",
            "",
            "How likely are you to recommend us to a friend or colleague?",
        ),
        (
            "How likely is it that you would recommend {brand} to a friend or colleague?",
            "Acme",
            "How likely is it that you would recommend Acme to a friend or colleague?",
        ),
        (
            "{brand} made it easy for me to handle my issue.",
            "",
            "It was easy for me to handle my issue.",
        ),
        (
            "{brand} made it easy for me to handle my issue.",
            "Acme",
            "Acme made it easy for me to handle my issue.",
        ),
        ("您有多大可能向朋友或同事推荐{brand}？", "", "您有多大可能向朋友或同事推荐我们？"),
        ("{brand}让我能够轻松地处理我的问题。", "", "我能够轻松地处理我的问题。"),
        # A designer's own text: worded by position.
        ("{brand} fixed it quickly.", "", "We fixed it quickly."),
        ("Would you buy from {brand} again?", "", "Would you buy from us again?"),
        ("Did you like {brand}'s app?", "", "Did you like our app?"),
        ("Thanks. {brand} will call.", "", "Thanks. We will call."),
        ("{brand}'s team was kind.", "", "Our team was kind."),
        ("{brand}的服务好吗？", "", "我们的服务好吗？"),
    ],
)
def test_brand_placeholders_become_natural_words(text: str, brand: str, shown: str) -> None:
    assert logic.recall_plain(text, brand=brand) == shown
    assert str(logic.recall(text, brand=brand)) == shown


def test_a_survey_translated_to_chinese_gets_chinese_scale_labels_and_defaults() -> None:
    definition = template_definition("ces")
    data = msgspec.to_builtins(definition)
    data["locales"] = ["en", "zh_Hans"]
    definition = msgspec.convert(data, SurveyDefinition)
    question = definition.questions[0]
    assert logic.text_for(question.low_label, "zh_Hans", "en") == "非常不同意"
    assert logic.text_for(question.high_label, "zh_Hans", "en") == "非常同意"
    assert logic.text_for(definition.title, "zh_Hans", "en") == "您的支持请求"
    # A designer's own words stay theirs until they translate them.
    assert logic.text_for({"en": "Our own words"}, "zh_Hans", "en") == "Our own words"
    # and English readers keep the English.
    assert logic.text_for(question.low_label, "en", "en") == "Strongly disagree"
    assert wording.scale_ends("nps", "zh_Hans") == ("完全不可能", "极有可能")
    assert wording.scale_ends("text", "zh_Hans") == ("", "")


def test_export_and_webhook_labels_never_show_a_raw_placeholder() -> None:
    labels = labels_of("v1", "s1", 1, template_definition("nps"))
    assert labels.questions[0].label == (
        "How likely are you to recommend us to a friend or colleague?"
    )
    branded = msgspec.to_builtins(template_definition("ces"))
    branded["settings"] = {"brand": {"en": "Acme"}}
    labels = labels_of("v1", "s1", 1, msgspec.convert(branded, SurveyDefinition))
    assert labels.questions[0].label == "Acme made it easy for me to handle my issue."
