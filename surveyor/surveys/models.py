"""The survey definition: what a designer edits and what a published version freezes.

A definition is plain JSON (stored as TEXT, exchanged by the API) decoded into these
frozen msgspec Structs. Other domains (respondent pages, delivery, metrics) import
from here and from :mod:`surveyor.surveys.logic` (conditions, endings, answer checks,
recalled text) and :mod:`surveyor.surveys.store` (``get_published_version``,
``get_version``).

Every respondent-facing string is a :data:`Text`: a dict ``{locale: string}`` such as
``{"en": "How likely…", "zh_Hans": "您有多大可能…"}``. ``SurveyDefinition.default_locale``
must always be present; other locales fall back to it (see ``logic.text_for``).

Answers are keyed by question id. Their shape depends on the kind:

* ``nps`` (0–10), ``ces`` (1–7), ``csat`` (1–5), ``emotion`` (1–10), ``rating``
  (1–``scale_max``): ``int``;
* ``single_choice``: the chosen option's ``id`` (``str``);
* ``multi_choice``: a list of option ids;
* ``text``: ``str``;
* plugin kinds: whatever their ``check`` returns (JSON-serialisable).

A display ``Condition`` is ``{"match": "all"|"any", "rules": [{"question", "op",
"value"}]}``: one level of AND/OR, which is what a non-programmer can read back.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

# Limits on one definition (docs/api.md, "Survey limits"): far above any real survey,
# low enough that a definition stays quick to validate, store, render and export.
MAX_QUESTIONS = 200
MAX_OPTIONS = 100  # per question
MAX_ENDINGS = 20
MAX_RULES = 50  # per condition
MAX_HIDDEN_FIELDS = 50
MAX_LANGUAGES = 30  # locales of a survey, and translations of one text
MAX_TEXT = 5000  # characters of one text in one language

Text = Annotated[
    dict[
        Annotated[str, msgspec.Meta(max_length=35)],
        Annotated[str, msgspec.Meta(max_length=MAX_TEXT)],
    ],
    msgspec.Meta(max_length=MAX_LANGUAGES),
]
"""One string in several locales: ``{"en": "…", "zh_Hans": "…"}``."""

# Identifiers designers type are kept short and URL/HTML-id safe.
Ident = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Locale = Annotated[str, msgspec.Meta(min_length=2, max_length=35, pattern=r"^[A-Za-z_]+$")]

Operator = Literal[
    "eq",  # answer == value
    "ne",  # answer != value (true when unanswered)
    "lt",
    "lte",
    "gt",
    "gte",
    "between",  # value = [low, high], inclusive
    "in",  # answer is one of value (list)
    "not_in",
    "contains",  # multi_choice answer includes value (or any of value when a list)
    "answered",
    "not_answered",
]
OPERATORS: tuple[str, ...] = (
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "between",
    "in",
    "not_in",
    "contains",
    "answered",
    "not_answered",
)
ConditionValue = int | float | str | list[int | float | str] | None


class Part(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """Base of every definition part: unknown fields are errors, defaults are not written
    out, so an exported definition is short and reads like what the designer set."""


class Rule(Part):
    """One comparison against an earlier answer."""

    question: str
    op: Operator
    value: ConditionValue = None


class Condition(Part):
    """Rules joined by AND (``all``) or OR (``any``). No rules means always true."""

    match: Literal["all", "any"] = "all"
    rules: Annotated[list[Rule], msgspec.Meta(max_length=MAX_RULES)] = msgspec.field(
        default_factory=list
    )


class Option(Part):
    """A choice: ``id`` is what the answer stores; ``label`` what people read."""

    id: Ident
    label: Text = msgspec.field(default_factory=dict)


class Question(Part):
    id: Ident
    kind: str
    text: Text = msgspec.field(default_factory=dict)
    help: Text = msgspec.field(default_factory=dict)
    required: bool = False
    # single_choice / multi_choice
    options: Annotated[list[Option], msgspec.Meta(max_length=MAX_OPTIONS)] = msgspec.field(
        default_factory=list
    )
    low_label: Text = msgspec.field(
        default_factory=dict
    )  # scale kinds: label under the lowest score
    high_label: Text = msgspec.field(default_factory=dict)  # … and under the highest
    scale_max: int | None = None  # rating: number of stars/points (default 5)
    multiline: bool = False  # text: long answer
    condition: Condition | None = None
    config: dict[str, Any] = msgspec.field(
        default_factory=dict
    )  # settings of plugin kinds (e.g. a slider's step)


class Ending(Part):
    """A thank-you screen. The first ending whose condition holds is shown."""

    id: Ident
    text: Text = msgspec.field(default_factory=dict)
    condition: Condition | None = None


class SurveySettings(Part):
    one_page: bool = False  # all visible questions on one page instead of one at a time
    # Event properties / public-link query parameters that may be kept with a response.
    hidden_fields: Annotated[list[Ident], msgspec.Meta(max_length=MAX_HIDDEN_FIELDS)] = (
        msgspec.field(default_factory=list)
    )
    brand: Text = msgspec.field(default_factory=dict)  # replaces ``{brand}`` in survey text


class SurveyDefinition(Part):
    default_locale: Locale = "en"
    locales: Annotated[list[Locale], msgspec.Meta(min_length=1, max_length=MAX_LANGUAGES)] = (
        msgspec.field(default_factory=lambda: ["en"])
    )
    title: Text = msgspec.field(default_factory=dict)
    intro: Text = msgspec.field(default_factory=dict)
    questions: Annotated[list[Question], msgspec.Meta(max_length=MAX_QUESTIONS)] = msgspec.field(
        default_factory=list
    )
    endings: Annotated[list[Ending], msgspec.Meta(max_length=MAX_ENDINGS)] = msgspec.field(
        default_factory=list
    )
    settings: SurveySettings = msgspec.field(default_factory=SurveySettings)


SurveyStatus = Literal["draft", "published", "archived"]


class Survey(msgspec.Struct, frozen=True, kw_only=True):
    """A survey and its editable draft. ``latest_version`` is None until first published."""

    id: str
    name: str
    status: SurveyStatus
    draft: SurveyDefinition
    created_at: str
    updated_at: str
    created_by: str | None = None
    latest_version: int | None = None


class SurveyVersion(msgspec.Struct, frozen=True, kw_only=True):
    """A frozen, published definition. Responses point at ``id``."""

    id: str
    survey_id: str
    number: int
    definition: SurveyDefinition
    published_at: str
    published_by: str | None = None


class Problem(msgspec.Struct, frozen=True):
    """A validation problem: a JSON path into the definition and a message for people."""

    path: str
    message: str


def definition_to_json(definition: SurveyDefinition) -> bytes:
    return msgspec.json.encode(definition)


def definition_from_json(data: bytes | str) -> SurveyDefinition:
    return msgspec.json.decode(data, type=SurveyDefinition)
