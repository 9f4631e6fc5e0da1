"""Ready-to-publish starting points: relationship NPS, CES, CSAT and the emotion check.

Each template is a plain definition that passes ``validate_definition`` as is; the
designer (or ``POST /api/v1/surveys {"template": …}``) copies it into a new draft.
``TRANSLATIONS`` holds Simplified Chinese strings for the NPS template, keyed by JSON
path, used by the demo and as an example of a fully translated survey.
"""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.surveys.models import SurveyDefinition

TEMPLATE_NAMES: dict[str, str] = {
    "nps": "Relationship NPS",
    "ces": "Customer effort after a support case",
    "csat": "Satisfaction after a purchase",
    "emotion": "Emotion check after a delivery",
}


def _rule(question: str, op: str, value: Any = None) -> dict[str, Any]:
    rule = {"question": question, "op": op}
    if value is not None:
        rule["value"] = value
    return rule


def _when(*rules: dict[str, Any], match: str = "all") -> dict[str, Any]:
    return {"match": match, "rules": list(rules)}


def _en(text: str) -> dict[str, str]:
    return {"en": text}


_TEMPLATES: dict[str, dict[str, Any]] = {
    "nps": {
        "title": _en("Tell us what you think"),
        "questions": [
            {
                "id": "score",
                "kind": "nps",
                "required": True,
                "text": _en(
                    "How likely is it that you would recommend {brand} to a friend or colleague?"
                ),
                "low_label": _en("Not at all likely"),
                "high_label": _en("Extremely likely"),
            },
            {
                "id": "improve",
                "kind": "text",
                "multiline": True,
                "text": _en("What could we do better?"),
                "condition": _when(_rule("score", "lte", 6)),
            },
            {
                "id": "higher",
                "kind": "text",
                "multiline": True,
                "text": _en("What would make you rate us higher?"),
                "condition": _when(_rule("score", "between", [7, 8])),
            },
            {
                "id": "right",
                "kind": "text",
                "multiline": True,
                "text": _en("What did we get right?"),
                "condition": _when(_rule("score", "gte", 9)),
            },
            {
                "id": "topics",
                "kind": "multi_choice",
                "text": _en("Which of these mattered most?"),
                "options": [
                    {"id": "product", "label": _en("The product")},
                    {"id": "support", "label": _en("Customer support")},
                    {"id": "price", "label": _en("Price")},
                    {"id": "ease", "label": _en("Ease of use")},
                ],
            },
        ],
        "endings": [
            {
                "id": "sorry",
                "text": _en("Thank you. We are sorry we fell short: our team may get in touch."),
                "condition": _when(_rule("score", "lte", 6)),
            },
            {"id": "thanks", "text": _en("Thank you for your feedback!")},
        ],
    },
    "ces": {
        "title": _en("Your support case"),
        "questions": [
            {
                "id": "effort",
                "kind": "ces",
                "required": True,
                "text": _en("{brand} made it easy for me to handle my issue."),
                "low_label": _en("Strongly disagree"),
                "high_label": _en("Strongly agree"),
            },
            {
                "id": "resolved",
                "kind": "single_choice",
                "text": _en("Was your issue resolved?"),
                "options": [
                    {"id": "yes", "label": _en("Yes")},
                    {"id": "partly", "label": _en("Partly")},
                    {"id": "no", "label": _en("No")},
                ],
            },
            {
                "id": "hard",
                "kind": "text",
                "multiline": True,
                "text": _en("What made it hard?"),
                "condition": _when(
                    _rule("effort", "lte", 4), _rule("resolved", "eq", "no"), match="any"
                ),
            },
        ],
        "endings": [{"id": "thanks", "text": _en("Thank you for helping us improve support.")}],
    },
    "csat": {
        "title": _en("Your purchase"),
        "questions": [
            {
                "id": "satisfaction",
                "kind": "csat",
                "required": True,
                "text": _en("How satisfied were you with your purchase?"),
                "low_label": _en("Very dissatisfied"),
                "high_label": _en("Very satisfied"),
            },
            {
                "id": "checkout",
                "kind": "rating",
                "scale_max": 5,
                "text": _en("How would you rate the checkout?"),
            },
            {
                "id": "improve",
                "kind": "text",
                "multiline": True,
                "text": _en("What should we improve?"),
                "condition": _when(_rule("satisfaction", "lte", 3)),
            },
        ],
        "endings": [{"id": "thanks", "text": _en("Thank you for shopping with us!")}],
    },
    "emotion": {
        "title": _en("Your delivery"),
        "questions": [
            {
                "id": "feeling",
                "kind": "emotion",
                "required": True,
                "text": _en("How did your delivery make you feel?"),
                "low_label": _en("Very upset"),
                "high_label": _en("Delighted"),
            },
            {
                "id": "wrong",
                "kind": "text",
                "multiline": True,
                "text": _en("We are sorry. What went wrong?"),
                "condition": _when(_rule("feeling", "lte", 3)),
            },
            {
                "id": "good",
                "kind": "text",
                "multiline": True,
                "text": _en("What made it a good experience?"),
                "condition": _when(_rule("feeling", "gte", 8)),
            },
        ],
        "endings": [{"id": "thanks", "text": _en("Thank you! Enjoy your order.")}],
    },
}

TRANSLATIONS: dict[str, dict[str, dict[str, str]]] = {
    "nps": {
        "zh_Hans": {
            "$.title": "告诉我们您的想法",
            "$.questions[0].text": "您有多大可能向朋友或同事推荐{brand}？",
            "$.questions[0].low_label": "完全不可能",
            "$.questions[0].high_label": "非常可能",
            "$.questions[1].text": "我们可以在哪些方面做得更好？",
            "$.questions[2].text": "怎样才能让您给我们更高的评分？",
            "$.questions[3].text": "我们哪些方面做得好？",
            "$.questions[4].text": "以下哪些方面对您最重要？",
            "$.questions[4].options[0].label": "产品",
            "$.questions[4].options[1].label": "客户支持",
            "$.questions[4].options[2].label": "价格",
            "$.questions[4].options[3].label": "易用性",
            "$.endings[0].text": "谢谢。很抱歉我们没有做好：我们的团队可能会与您联系。",
            "$.endings[1].text": "感谢您的反馈！",
        }
    }
}


def template_definition(name: str) -> SurveyDefinition:
    """A fresh copy of template ``name`` (``KeyError`` when there is no such template)."""
    return msgspec.convert(_TEMPLATES[name], SurveyDefinition)


def blank_definition(locale: str = "en") -> SurveyDefinition:
    return SurveyDefinition(default_locale=locale, locales=[locale])
