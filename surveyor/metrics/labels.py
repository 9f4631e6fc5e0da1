"""Question labels for people: exports, webhooks and pages show them, not only ids.

Labels come from the published version a response answered (``survey_versions``),
in the definition's default locale, so an export reads like the survey the customer saw.
How an answer prints is its question kind's business (``QuestionKind.answer_text``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from surveyor.db import Database, Tx
from surveyor.metrics import stats
from surveyor.metrics.read_store import published_versions
from surveyor.surveys.kinds import DEFAULT_KINDS, KindRegistry
from surveyor.surveys.logic import recall_plain
from surveyor.surveys.models import Question, SurveyDefinition, definition_from_json


class QuestionLabel(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    label: str
    options: dict[str, str] = {}
    comment: bool = False  # its kind's answers are free-text comments
    question: Question | None = None  # the question itself, for its kind's printing
    locale: str = "en"


class VersionLabels(msgspec.Struct, frozen=True, kw_only=True):
    version_id: str
    survey_id: str
    number: int
    title: str
    questions: list[QuestionLabel]

    def by_id(self) -> dict[str, QuestionLabel]:
        return {q.id: q for q in self.questions}

    def text_question_ids(self) -> set[str]:
        return {q.id for q in self.questions if q.comment}


def _text(value: dict[str, str], locale: str) -> str:
    return value.get(locale) or next(iter(value.values()), "")


def labels_of(
    version_id: str,
    survey_id: str,
    number: int,
    definition: SurveyDefinition,
    kinds: KindRegistry = DEFAULT_KINDS,
) -> VersionLabels:
    locale = definition.default_locale
    brand = _text(definition.settings.brand, locale)

    def worded(value: dict[str, str]) -> str:
        # "{brand}" becomes the survey's brand, or natural words without one (issue 19).
        return recall_plain(_text(value, locale), brand=brand)

    return VersionLabels(
        version_id=version_id,
        survey_id=survey_id,
        number=number,
        title=worded(definition.title),
        questions=[
            QuestionLabel(
                id=q.id,
                kind=q.kind,
                label=worded(q.text) or q.id,
                options={o.id: _text(o.label, locale) or o.id for o in q.options},
                comment=bool(getattr(kinds.get(q.kind), "comment", False)),
                question=q,
                locale=locale,
            )
            for q in definition.questions
        ],
    )


async def version_labels(
    db: Database | Tx,
    *,
    survey_id: str | None = None,
    version_ids: Iterable[str] = (),
    kinds: KindRegistry = DEFAULT_KINDS,
) -> dict[str, VersionLabels]:
    """Labels of every published version (of one survey, or of the given versions)."""
    rows = await published_versions(db, survey_id=survey_id, version_ids=list(version_ids))
    return {
        row["id"]: labels_of(
            row["id"],
            row["survey_id"],
            int(row["number"]),
            definition_from_json(row["definition"]),
            kinds,
        )
        for row in rows
    }


def answer_text(
    question: QuestionLabel | None, value: Any, kinds: KindRegistry = DEFAULT_KINDS
) -> str:
    """An answer as a person reads it, as its kind prints it (option labels for choices)."""
    if value is None:
        return ""
    if question is not None and question.question is not None:
        return kinds.answer_text(question.question, value, question.locale)
    if question is not None and question.options:
        if isinstance(value, list):
            return "; ".join(question.options.get(str(v), str(v)) for v in value)
        return question.options.get(str(value), str(value))
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value if isinstance(value, str) else msgspec.json.encode(value).decode()


def nps_class(score: int | None) -> str | None:
    """promoter (9–10), passive (7–8), detractor (0–6); None when the question was skipped."""
    if score is None:
        return None
    if score >= stats.PROMOTER_MIN:
        return "promoter"
    if score <= stats.DETRACTOR_MAX:
        return "detractor"
    return "passive"


def labelled_answers(
    labels: VersionLabels | None, answers: dict[str, Any], kinds: KindRegistry = DEFAULT_KINDS
) -> list[dict[str, Any]]:
    """Answers in question order, each with its label (what webhooks and pages carry)."""
    questions = labels.by_id() if labels else {}
    order = [q.id for q in labels.questions] if labels else []
    ids = [qid for qid in order if qid in answers] + sorted(set(answers) - set(order))
    found = []
    for qid in ids:
        question = questions.get(qid)
        found.append(
            {
                "question_id": qid,
                "kind": question.kind if question else "",
                "label": question.label if question else qid,
                "value": answers[qid],
                "text": answer_text(question, answers[qid], kinds),
            }
        )
    return found
