"""``surveyor demo`` seeds the four templates as published surveys, NPS also in zh_Hans."""

from __future__ import annotations

from typing import Any

from surveyor.demo.surveys import seed_surveys
from surveyor.surveys import store
from surveyor.surveys.edit import missing_translations


async def test_demo_publishes_the_four_templates_once(services: Any) -> None:
    lines: list[str] = []
    await seed_surveys(services, lines.append)
    surveys, _ = await store.list_surveys(services.db)
    assert len(surveys) == 4 and all(s.status == "published" for s in surveys)
    first_kinds = set()
    for survey in surveys:
        version = await store.get_published_version(services.db, survey.id)
        assert version is not None and version.number == 1
        first_kinds.add(version.definition.questions[0].kind)
        if version.definition.questions[0].kind == "nps":
            assert version.definition.locales == ["en", "zh_Hans"]
            assert missing_translations(version.definition)["zh_Hans"] == []
    assert first_kinds == {"nps", "ces", "csat", "emotion"}

    await seed_surveys(services, lines.append)
    assert len((await store.list_surveys(services.db))[0]) == 4
    assert lines[-1] == "Demo surveys exist already."
