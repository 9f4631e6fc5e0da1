"""Survey storage on both backends: drafts, publishing versions, reading them back."""

from __future__ import annotations

from typing import Any

from surveyor.surveys import store
from surveyor.surveys.models import Question, SurveyDefinition

DEFINITION = SurveyDefinition(
    questions=[Question(id="score", kind="nps", text={"en": "How likely…?"}, required=True)]
)


async def test_publishing_freezes_numbered_versions(db: Any) -> None:
    survey = await store.create_survey(db, name="Relationship NPS", definition=DEFINITION)
    assert await store.get_published_version(db, survey.id) is None

    first, created = await store.publish(db, survey.id, survey.draft)
    assert created and first.number == 1
    again, created = await store.publish(db, survey.id, survey.draft)
    assert not created and again.id == first.id

    changed = SurveyDefinition(
        questions=[*DEFINITION.questions, Question(id="why", kind="text", text={"en": "Why?"})]
    )
    await store.update_draft(db, survey.id, definition=changed, name="Renamed")
    assert (await store.get_published_version(db, survey.id)).number == 1  # draft is not live
    second, _ = await store.publish(db, survey.id, changed)

    latest = await store.get_published_version(db, survey.id)
    assert latest is not None and latest.id == second.id and latest.number == 2
    old = await store.get_version(db, first.id)
    assert old is not None and old.definition == DEFINITION
    assert [v.number for v in await store.list_versions(db, survey.id)] == [2, 1]
    reread = await store.get_survey(db, survey.id)
    assert reread is not None
    assert (reread.name, reread.status, reread.latest_version) == ("Renamed", "published", 2)


async def test_list_surveys_pages_with_a_cursor(db: Any) -> None:
    ids = [
        (await store.create_survey(db, name=f"S{i}", definition=DEFINITION)).id for i in range(5)
    ]
    page, cursor = await store.list_surveys(db, limit=3)
    assert [s.id for s in page] == ids[::-1][:3] and cursor
    rest, cursor = await store.list_surveys(db, limit=3, cursor=cursor)
    assert [s.id for s in rest] == ids[::-1][3:] and cursor is None
