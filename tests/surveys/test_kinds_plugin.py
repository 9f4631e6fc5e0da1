"""A plugin brings a new question kind: its checks, its metric and its respondent template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from surveyor import hookimpl
from surveyor.app import create_app
from surveyor.plugins import PluginError, make_plugin_manager
from surveyor.settings import Settings
from surveyor.surveys.kinds import AnswerError, KindRegistry, QuestionKind, as_int, builtin_kinds
from surveyor.surveys.logic import check_answer
from surveyor.surveys.models import Question, SurveyDefinition
from surveyor.surveys.validation import validate_definition
from tests.conftest import api_key, in_app, login, make_user


def check_slider(question: Question, raw: Any) -> int:
    value = as_int(raw)
    top = int(question.config.get("max", 100))
    if not 0 <= value <= top:
        raise AnswerError(f"Slide between 0 and {top}.")
    return value


def validate_slider(question: Question) -> list[tuple[str, str]]:
    top = question.config.get("max", 100)
    if not isinstance(top, int) or top < 1:
        return [("config.max", "a slider needs a positive whole maximum")]
    return []


SLIDER = QuestionKind(
    name="slider",
    label="Slider",
    check=check_slider,
    validate=validate_slider,
    template="slider/_question_slider.html",
    default_text={"en": "Where would you put it?"},
    default_config={"max": 100},
)


class SliderPlugin:
    def __init__(self, templates: Path) -> None:
        self.templates = templates

    @hookimpl
    def register_question_kinds(self, register: Any) -> None:
        register(SLIDER)

    @hookimpl
    def register_template_dirs(self, register: Any) -> None:
        register(self.templates)


@pytest.fixture
def slider_templates(tmp_path: Path) -> Path:
    folder = tmp_path / "slider_templates"
    (folder / "slider").mkdir(parents=True)
    (folder / "slider" / "_question_slider.html").write_text(
        '<div class="question slider"><label for="{{ q.name }}">{{ q.text }}</label>'
        '{% if q.error %}<p class="error" role="alert">{{ q.error }}</p>{% endif %}'
        '<input type="range" id="{{ q.name }}" name="{{ q.name }}" min="0"'
        ' max="{{ q.config.max }}" value="{{ q.value or 0 }}"></div>'
    )
    return folder


SURVEY = {
    "questions": [
        {"id": "where", "kind": "slider", "text": {"en": "Slide it"}, "config": {"max": 10}},
        {
            "id": "why",
            "kind": "text",
            "text": {"en": "Why so low?"},
            "condition": {"rules": [{"question": "where", "op": "lt", "value": 3}]},
        },
    ]
}


async def test_hook_register_question_kinds(settings: Settings, slider_templates: Path) -> None:
    pm = make_plugin_manager(
        settings.plugin_allow_list, settings.plugins_dir, extra=(SliderPlugin(slider_templates),)
    )
    app = create_app(settings, pm=pm)
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
        kinds = app.state["services"].question_kinds
        assert kinds["slider"].template_name == "slider/_question_slider.html"
        question = msgspec.convert(SURVEY["questions"][0], Question)
        assert check_answer(question, "7", kinds) == 7
        with pytest.raises(AnswerError):
            check_answer(question, 11, kinds)

        # A survey uses the new kind through the API: validation accepts it, and the kind's
        # own definition check runs on publish.
        headers = await api_key(client, "admin")
        created = await client.post(
            "/api/v1/surveys", json={"name": "Slider", "definition": SURVEY}, headers=headers
        )
        assert created.status_code == 201 and created.json()["problems"] == []
        sid = created.json()["id"]
        published = await client.post(f"/api/v1/surveys/{sid}/publish", headers=headers)
        assert published.status_code == 201, published.text

        broken = {"questions": [{**SURVEY["questions"][0], "config": {"max": -1}}]}
        await client.put(f"/api/v1/surveys/{sid}", json={"definition": broken}, headers=headers)
        refused = await client.post(f"/api/v1/surveys/{sid}/publish", headers=headers)
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["field"] == "$.questions[0].config.max"

        # The designer offers the kind and previews it with the plugin's template.
        await login(client, await make_user(client, "designer"))
        await client.put(f"/api/v1/surveys/{sid}", json={"definition": SURVEY}, headers=headers)
        editor = await client.get(f"/surveys/{sid}")
        assert '<option value="slider">Slider</option>' in editor.text
        preview = await client.get(f"/surveys/{sid}/preview", params={"q_where": "2"})
        assert 'type="range"' in preview.text and 'max="10"' in preview.text
        assert "Why so low?" in preview.text  # the condition reads the slider's answer

        # And a respondent answers it on the real public page, checked by the kind.
        from surveyor.respond import store as respond_store

        db = app.state["services"].db
        await client.post(f"/api/v1/surveys/{sid}/publish", headers=headers)
        link = await in_app(client, lambda: respond_store.create_public_link(db, sid))
        page = await client.get(f"/p/{link.slug}")
        assert 'type="range"' in page.text
        refused = await client.post(f"/p/{link.slug}", data={"step": "where", "q_where": "11"})
        assert "Slide between 0 and 10." in refused.text
        accepted = await client.post(
            f"/p/{link.slug}", data={"step": "where", "q_where": "2"}, follow_redirects=True
        )
        assert "Why so low?" in accepted.text


def test_a_kind_name_cannot_be_taken_twice() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        KindRegistry([SLIDER, SLIDER])
    with pytest.raises(ValueError, match="registered twice"):
        KindRegistry([*builtin_kinds(), QuestionKind(name="nps", label="Mine", check=check_slider)])


def test_without_the_plugin_the_kind_is_unknown() -> None:
    definition = msgspec.convert(SURVEY, SurveyDefinition)
    problems = validate_definition(definition)
    assert [p.path for p in problems] == ["$.questions[0].kind"]


async def test_a_broken_kind_registration_stops_the_start(settings: Settings) -> None:
    class Broken:
        @hookimpl
        def register_question_kinds(self, register: Any) -> None:
            register("not a kind")

    from surveyor.app import build_services
    from surveyor.surveys.kinds import question_kinds

    svc = build_services(
        settings,
        make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir, extra=(Broken(),)),
    )
    with pytest.raises((PluginError, TypeError)):
        question_kinds(svc)
