"""The designer pages through the real app: htmx edits, translations, preview, publishing."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from surveyor.surveys.models import SurveyDefinition, SurveyVersion
from surveyor.surveys.templates_lib import template_definition
from tests.conftest import api_key, app_services, in_app, login, make_user
from tests.respond.helpers import invite

Client = AsyncTestClient[Litestar]
HTMX = {"HX-Request": "true"}


async def designer(client: Client, role: str = "designer") -> dict[str, str]:
    token = await login(client, await make_user(client, role))
    return {"X-CSRF-Token": token}


async def new_survey(client: Client, headers: dict[str, str], template: str = "nps") -> str:
    response = await client.post(
        "/surveys",
        data={"name": "Onboarding", "template": template},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


async def draft(client: Client, survey_id: str) -> SurveyDefinition:
    """The draft, read through the export page: the app's database connections belong to
    the test client's event loop, so the test never touches them directly."""
    exported = await client.get(f"/surveys/{survey_id}/export")
    assert exported.status_code == 200, exported.text
    return msgspec.convert(exported.json()["definition"], SurveyDefinition)


async def test_designer_edits_questions_without_reloading(client: Client) -> None:
    headers = await designer(client)
    sid = await new_survey(client, headers)
    page = await client.get(f"/surveys/{sid}")
    assert page.status_code == 200 and "How likely is it" in page.text
    assert "Shown only when" in page.text  # template logic described in words

    added = await client.post(
        f"/surveys/{sid}/questions", data={"kind": "single_choice"}, headers=headers | HTMX
    )
    # Adding opens the editor on a new question that is stored only once saved (issue 19).
    assert added.status_code == 200 and "hx-trigger" not in added.headers
    assert "<html" not in added.text and 'id="questions"' in added.text
    new_id = f"q{len((await draft(client, sid)).questions) + 1}"

    saved = await client.post(
        f"/surveys/{sid}/questions/{new_id}",
        data={
            "new_kind": "single_choice",
            "text": "Which plan are you on?",
            "options": "Free\nPro\n",
            "required": "1",
            "match": "all",
            "rule_question_0": "score",
            "rule_op_0": "between",
            "rule_value_0": "0, 6",
        },
        headers=headers | HTMX,
    )
    assert saved.status_code == 200, saved.text
    question = (await draft(client, sid)).questions[-1]
    assert question.text == {"en": "Which plan are you on?"} and question.required
    assert [o.label["en"] for o in question.options] == ["Free", "Pro"]
    assert msgspec.to_builtins(question.condition) == {
        "rules": [{"question": "score", "op": "between", "value": [0, 6]}]
    }
    assert "is between" in saved.text

    await client.post(f"/surveys/{sid}/questions/{new_id}/up", headers=headers | HTMX)
    ids = [q.id for q in (await draft(client, sid)).questions]
    assert ids.index(new_id) == len(ids) - 2
    await client.post(f"/surveys/{sid}/questions/{new_id}/duplicate", headers=headers | HTMX)
    assert len((await draft(client, sid)).questions) == len(ids) + 1
    await client.post(f"/surveys/{sid}/questions/{new_id}/delete", headers=headers | HTMX)
    assert new_id not in [q.id for q in (await draft(client, sid)).questions]


async def test_plain_forms_work_without_javascript(client: Client) -> None:
    headers = await designer(client)
    sid = await new_survey(client, headers, "csat")
    csrf = headers["X-CSRF-Token"]
    moved = await client.post(
        f"/surveys/{sid}/questions/checkout/up", data={"_csrf": csrf}, follow_redirects=False
    )
    assert moved.status_code == 303 and moved.headers["location"] == f"/surveys/{sid}"
    assert (await draft(client, sid)).questions[0].id == "checkout"


async def test_translations_view_shows_and_fills_missing_strings(client: Client) -> None:
    headers = await designer(client)
    sid = await new_survey(client, headers)
    await client.post(f"/surveys/{sid}/locales", data={"add": "zh-Hans"}, headers=headers)
    page = await client.get(f"/surveys/{sid}/translations")
    assert "zh_Hans" in page.text and "14 strings missing" in page.text
    saved = await client.post(
        f"/surveys/{sid}/translations",
        data={"path": "$.questions[0].text", "locale": "zh_Hans", "value": "您会推荐{brand}吗？"},
        headers=headers | HTMX,
    )
    assert saved.status_code == 200 and "13 strings missing" in saved.text
    assert (await draft(client, sid)).questions[0].text["zh_Hans"] == "您会推荐{brand}吗？"
    preview = await client.get(f"/surveys/{sid}/preview?locale=zh_Hans")
    assert "您会推荐我们吗？" in preview.text  # no brand: Chinese words, not "us" (issue 19)


async def test_preview_uses_respondent_templates_and_logic(client: Client) -> None:
    headers = await designer(client)
    sid = await new_survey(client, headers)
    plain = await client.get(f"/surveys/{sid}/preview")
    assert plain.status_code == 200
    assert 'name="q_score"' in plain.text and "What could we do better" not in plain.text
    low = await client.get(f"/surveys/{sid}/preview?q_score=3", headers=HTMX)
    assert "What could we do better" in low.text and "<html" not in low.text
    assert "sorry we fell short" in low.text
    high = await client.get(f"/surveys/{sid}/preview?q_score=10")
    assert "What did we get right" in high.text and "What could we do better" not in high.text
    panel = await client.get(f"/surveys/{sid}/preview-panel?device=desktop", headers=HTMX)
    assert 'class="frame desktop"' in panel.text


async def test_publish_shows_every_problem_inline_then_version_one(client: Client) -> None:
    headers = await designer(client)
    sid = await new_survey(client, headers)
    added = await client.post(
        f"/surveys/{sid}/questions", data={"kind": "multi_choice"}, headers=headers | HTMX
    )
    assert added.status_code == 200
    new_id = f"q{len((await draft(client, sid)).questions) + 1}"  # stored once saved
    await client.post(
        f"/surveys/{sid}/questions/{new_id}",
        data={"text": "", "options": "", "new_kind": "multi_choice"},
        headers=headers | HTMX,
    )
    refused = await client.post(f"/surveys/{sid}/publish", headers=headers | HTMX)
    assert refused.status_code == 422
    assert "$.questions[5].text.en" in refused.text and "$.questions[5].options" in refused.text
    await client.post(f"/surveys/{sid}/questions/{new_id}/delete", headers=headers | HTMX)
    published = await client.post(f"/surveys/{sid}/publish", headers=headers | HTMX)
    assert published.status_code == 200
    assert "Published as version 1" in published.text and 'hx-swap-oob="true"' in published.text
    page = await client.get(f"/surveys/{sid}")
    assert re.search(r"Version 1</a>", page.text)
    old = await client.get(f"/surveys/{sid}/versions/1")
    assert old.status_code == 200 and "How likely" in old.text
    listing = await client.get("/surveys")
    assert "Onboarding" in listing.text and "v1" in listing.text


async def test_managers_cannot_design_surveys(client: Client) -> None:
    headers = await designer(client, "manager")
    assert (await client.get("/surveys")).status_code == 403
    refused = await client.post("/surveys", data={"template": "nps"}, headers=headers)
    assert refused.status_code == 403


async def test_writes_need_the_csrf_token(client: Client) -> None:
    headers = await designer(client)
    sid = await new_survey(client, headers)
    response = await client.post(f"/surveys/{sid}/questions", data={"kind": "text"}, headers=HTMX)
    assert response.status_code == 403


XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>{{7*7}}"


async def test_survey_strings_stay_inert_and_template_syntax_literal(client: Client) -> None:
    """Every survey string set to markup and template syntax, seen in every designer page."""
    headers = await designer(client)
    sid = await import_polluted(client, headers)
    await client.post(f"/surveys/{sid}/publish", headers=headers)
    pages = [
        "/surveys",
        f"/surveys/{sid}",
        f"/surveys/{sid}/translations",
        f"/surveys/{sid}/preview",
        f"/surveys/{sid}/preview?q_score=3",
        f"/surveys/{sid}/versions/1",
    ]
    for url in pages:
        page = await client.get(url)
        assert_inert(page.status_code, page.text, url)


def assert_inert(status: int, html: str, where: str) -> None:
    assert status == 200, where
    assert "<script>alert" not in html, where
    assert "<img src=x" not in html, where
    assert "{{7*7}}" in html, where
    assert "&lt;script&gt;" in html, where


async def import_polluted(client: Client, headers: dict[str, str]) -> str:
    """A survey whose every string is markup plus template syntax, imported as a designer."""
    definition = template_definition("nps")
    tree: dict[str, Any] = msgspec.to_builtins(definition)
    tree["locales"] = ["en", "zh_Hans"]
    tree["title"] = {"en": XSS, "zh_Hans": XSS}
    tree["intro"] = {"en": XSS}
    tree["settings"] = {"brand": {"en": XSS}}
    for question in tree["questions"]:
        question["text"] = {"en": XSS + " {contact.name} {properties.order_id}"}
        question["help"] = {"en": XSS}
        question["low_label"] = {"en": XSS}
        question["high_label"] = {"en": XSS}
        for option in question.get("options", []):
            option["label"] = {"en": XSS}
    for ending in tree["endings"]:
        ending["text"] = {"en": XSS}
    polluted = msgspec.convert(tree, SurveyDefinition)
    # Through the import form: a write from the test's own event loop could wait forever on
    # the app's single writer, which lives in the test client's loop.
    imported = await client.post(
        "/surveys/import",
        data={"json": msgspec.json.encode({"name": XSS, "definition": polluted}).decode()},
        headers=headers,
        follow_redirects=False,
    )
    assert imported.status_code == 303, imported.text
    return imported.headers["location"].rsplit("/", 1)[1]


async def test_markup_in_survey_text_and_recalled_values_is_inert_for_respondents(
    client: Client,
) -> None:
    headers = await designer(client)
    sid = await import_polluted(client, headers)
    await client.post(f"/surveys/{sid}/publish", headers=headers)
    admin = await api_key(client, "admin")
    version = msgspec.convert(
        (await client.get(f"/api/v1/surveys/{sid}/versions/1", headers=admin)).json(),
        SurveyVersion,
    )
    db = app_services(client).db
    token, _ = await in_app(
        client, lambda: invite(db, version, name=XSS, properties={"order_id": XSS})
    )
    first = await client.get(f"/s/{token}")
    assert_inert(first.status_code, first.text, "first step")
    assert first.text.count("{{7*7}}") >= 3  # text, recalled name and recalled order id
    second = await client.post(
        f"/s/{token}", data={"step": "score", "q_score": "3"}, follow_redirects=True
    )
    assert_inert(second.status_code, second.text, "second step")
    third = await client.post(
        f"/s/{token}", data={"step": "improve", "q_improve": XSS}, follow_redirects=True
    )
    assert_inert(third.status_code, third.text, "third step")
    thanks = await client.post(f"/s/{token}", data={"step": "topics"}, follow_redirects=True)
    assert_inert(thanks.status_code, thanks.text, "ending")
