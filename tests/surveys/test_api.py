"""``/api/v1/surveys`` on both backends: templates, drafts, publishing, versions, round trips."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from surveyor.surveys.models import SurveyDefinition
from surveyor.surveys.templates_lib import TEMPLATE_NAMES
from tests.conftest import api_key

Client = AsyncTestClient[Litestar]


@pytest.mark.parametrize("template", sorted(TEMPLATE_NAMES))
async def test_create_from_each_template_and_publish(client: Client, template: str) -> None:
    headers = await api_key(client, "admin")
    created = await client.post(
        "/api/v1/surveys", json={"template": template, "name": f"My {template}"}, headers=headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "draft" and body["problems"] == [] and body["latest_version"] is None
    published = await client.post(f"/api/v1/surveys/{body['id']}/publish", headers=headers)
    assert published.status_code == 201, published.text
    assert published.json()["number"] == 1


async def test_draft_edits_publish_versions_and_old_versions_stay_readable(
    client: Client, backend: str
) -> None:
    admin = await api_key(client, "admin")
    reader = await api_key(client, "read")
    survey = (
        await client.post("/api/v1/surveys", json={"template": "nps", "name": "NPS"}, headers=admin)
    ).json()
    sid = survey["id"]
    v1 = (await client.post(f"/api/v1/surveys/{sid}/publish", headers=admin)).json()

    definition = copy.deepcopy(survey["definition"])
    definition["questions"][0]["text"]["en"] = "Would you recommend us?"
    updated = await client.put(
        f"/api/v1/surveys/{sid}", json={"definition": definition}, headers=admin
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["unpublished_changes"] is True
    v2 = (await client.post(f"/api/v1/surveys/{sid}/publish", headers=admin)).json()
    assert (v1["number"], v2["number"]) == (1, 2)

    versions = (await client.get(f"/api/v1/surveys/{sid}/versions", headers=reader)).json()
    assert [v["number"] for v in versions["items"]] == [2, 1] and versions["next_cursor"] is None
    old = (await client.get(f"/api/v1/surveys/{sid}/versions/1", headers=reader)).json()
    assert old["definition"]["questions"][0]["text"]["en"].startswith("How likely")
    assert old["id"] == v1["id"]
    missing = await client.get(f"/api/v1/surveys/{sid}/versions/9", headers=reader)
    assert missing.status_code == 404

    listed = (await client.get("/api/v1/surveys", headers=reader)).json()
    assert set(listed) == {"items", "next_cursor"}
    assert listed["items"][0]["id"] == sid and listed["items"][0]["latest_version"] == 2


async def test_export_then_import_gives_an_equal_definition(client: Client) -> None:
    admin = await api_key(client, "admin")
    original = (
        await client.post("/api/v1/surveys", json={"template": "ces", "name": "CES"}, headers=admin)
    ).json()
    exported = (await client.get(f"/api/v1/surveys/{original['id']}", headers=admin)).json()
    imported = await client.post(
        "/api/v1/surveys",
        json={"name": exported["name"], "definition": exported["definition"]},
        headers=admin,
    )
    assert imported.status_code == 201, imported.text
    again = (await client.get(f"/api/v1/surveys/{imported.json()['id']}", headers=admin)).json()
    assert again["definition"] == exported["definition"]
    assert msgspec.convert(again["definition"], SurveyDefinition) == msgspec.convert(
        exported["definition"], SurveyDefinition
    )


async def test_publish_lists_every_problem_with_its_json_path(client: Client) -> None:
    admin = await api_key(client, "admin")
    definition = {
        "questions": [
            {"id": "s", "kind": "nps", "text": {}},
            {"id": "s", "kind": "single_choice", "text": {"en": "Pick"}},
            {
                "id": "why",
                "kind": "text",
                "text": {"en": "Why?"},
                "condition": {"rules": [{"question": "later", "op": "answered"}]},
            },
            {"id": "later", "kind": "text", "text": {"en": "Later"}},
        ]
    }
    created = await client.post(
        "/api/v1/surveys", json={"name": "Broken", "definition": definition}, headers=admin
    )
    assert created.status_code == 201, created.text  # drafts may be incomplete
    assert len(created.json()["problems"]) >= 4
    response = await client.post(f"/api/v1/surveys/{created.json()['id']}/publish", headers=admin)
    assert response.status_code == 400 or response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {
        "$.questions[0].text.en",
        "$.questions[1].id",
        "$.questions[1].options",
        "$.questions[2].condition.rules[0].question",
    } <= fields


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "template": "nope"}, "template"),
        ({"name": "x", "unknown": 1}, "unknown"),
        ({"template": "nps"}, "name"),
        ({"name": "x", "definition": {"questions": [{"id": "a b", "kind": "nps"}]}}, "id"),
        ({"name": "x", "definition": {"questions": [{"id": "q", "kind": "nps", "x": 1}]}}, "x"),
    ],
)
async def test_bad_bodies_name_the_field(client: Client, body: dict[str, Any], field: str) -> None:
    response = await client.post("/api/v1/surveys", json=body, headers=await api_key(client))
    assert response.status_code == 400, response.text
    assert field in response.text


async def test_scopes_read_for_gets_admin_for_writes(client: Client) -> None:
    reader = await api_key(client, "read")
    events = await api_key(client, "events:write")
    assert (await client.get("/api/v1/surveys", headers=reader)).status_code == 200
    assert (await client.get("/api/v1/surveys", headers=events)).status_code == 403
    assert (await client.get("/api/v1/surveys")).status_code == 401
    denied = await client.post(
        "/api/v1/surveys", json={"template": "nps", "name": "x"}, headers=reader
    )
    assert denied.status_code == 403
    assert (await client.get("/api/v1/surveys/nope", headers=reader)).status_code == 404


async def test_list_pages_with_a_cursor(client: Client) -> None:
    admin = await api_key(client, "admin")
    for i in range(3):
        await client.post(
            "/api/v1/surveys", json={"template": "nps", "name": f"S{i}"}, headers=admin
        )
    first = (await client.get("/api/v1/surveys?limit=2", headers=admin)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = (
        await client.get(
            "/api/v1/surveys", params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin
        )
    ).json()
    assert [s["name"] for s in first["items"] + rest["items"]] == ["S2", "S1", "S0"]
    assert rest["next_cursor"] is None


async def test_survey_routes_are_in_the_openapi_schema(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {
        "/api/v1/surveys",
        "/api/v1/surveys/{survey_id}",
        "/api/v1/surveys/{survey_id}/publish",
        "/api/v1/surveys/{survey_id}/versions",
        "/api/v1/surveys/{survey_id}/versions/{number}",
    } <= set(paths)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda d: d.update(
                questions=[{**d["questions"][0], "id": f"q{i}"} for i in range(201)]
            ),
            "questions",
        ),
        (lambda d: d["questions"][0].update(text={"en": "x" * 5001}), "questions[0].text[...]"),
        (
            lambda d: d.update(
                locales=[f"l{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(31)]
            ),
            "locales",
        ),
        (
            lambda d: d["questions"][0].update(
                kind="single_choice", options=[{"id": f"o{i}"} for i in range(101)]
            ),
            "questions[0].options",
        ),
    ],
)
async def test_survey_limits_are_enforced_and_named(client: Client, change, field) -> None:
    admin = await api_key(client, "admin")
    created = await client.post(
        "/api/v1/surveys", json={"template": "nps", "name": "NPS"}, headers=admin
    )
    definition = copy.deepcopy(created.json()["definition"])
    change(definition)
    refused = await client.put(
        f"/api/v1/surveys/{created.json()['id']}", json={"definition": definition}, headers=admin
    )
    assert refused.status_code == 400, refused.text
    assert any(e["field"].endswith(field) for e in refused.json()["errors"]), refused.text
