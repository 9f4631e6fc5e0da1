"""Checkpoints through the JSON API and the journey page."""

from __future__ import annotations

import msgspec
import pytest

from surveyor.surveys import store as survey_store
from surveyor.surveys.models import SurveyDefinition
from tests.conftest import api_key, app_services, in_app, login, make_user

NPS_DEFINITION = {
    "default_locale": "en",
    "locales": ["en"],
    "questions": [
        {
            "id": "nps",
            "kind": "nps",
            "text": {"en": "How likely are you to recommend us?"},
            "required": True,
        },
        {"id": "why", "kind": "text", "text": {"en": "What is the main reason for your score?"}},
    ],
    "endings": [{"id": "thanks", "text": {"en": "Thank you!"}}],
}


async def published_survey(client) -> str:
    """A published two-question NPS survey to point checkpoints at."""
    svc = app_services(client)
    definition = msgspec.convert(NPS_DEFINITION, SurveyDefinition)

    async def create() -> str:
        survey = await survey_store.create_survey(svc.db, name="NPS", definition=definition)
        await survey_store.publish(svc.db, survey.id, definition)
        return survey.id

    return await in_app(client, create)


CHECKPOINT = {
    "key": "order_delivered",
    "name": "Order delivered",
    "channels": ["email", "sms"],
    "position": 3,
}


async def test_create_read_update_and_list_checkpoints(client) -> None:
    admin = await api_key(client, "admin")
    survey_id = await published_survey(client)
    created = await client.post(
        "/api/v1/checkpoints", json={**CHECKPOINT, "survey_id": survey_id}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert created.json()["channels"] == ["email", "sms"]
    again = await client.post("/api/v1/checkpoints", json=CHECKPOINT, headers=admin)
    assert again.status_code == 409
    changed = await client.put(
        "/api/v1/checkpoints/order_delivered",
        json={
            **CHECKPOINT,
            "survey_id": survey_id,
            "sample_rate": 0.5,
            "quiet_hours": {"start": "21:00", "end": "08:00"},
        },
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["quiet_hours"] == {"start": "21:00", "end": "08:00"}
    reader = await api_key(client, "read")
    listed = await client.get("/api/v1/checkpoints", headers=reader)
    assert [c["key"] for c in listed.json()["items"]] == ["order_delivered"]
    assert listed.json()["next_cursor"] is None
    assert (await client.get("/api/v1/checkpoints/nope", headers=reader)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**CHECKPOINT, "key": "Order Delivered"}, "key"),
        ({**CHECKPOINT, "sample_rate": 1.5}, "sample_rate"),
        ({**CHECKPOINT, "channels": []}, "channels"),
        ({**CHECKPOINT, "quiet_hours": {"start": "25:00", "end": "08:00"}}, "quiet_hours.start"),
        ({**CHECKPOINT, "delay_seconds": "soon"}, "delay_seconds"),
        ({**CHECKPOINT, "surprise": 1}, "surprise"),
        ({**CHECKPOINT, "survey_id": "missing"}, "survey_id"),
    ],
)
async def test_bad_checkpoints_are_refused_naming_the_field(client, body, field) -> None:
    admin = await api_key(client, "admin")
    response = await client.post("/api/v1/checkpoints", json=body, headers=admin)
    assert response.status_code in (400, 422), response.text
    assert field in response.json()["detail"]
    assert (await client.get("/api/v1/checkpoints", headers=admin)).json()["items"] == []


async def test_writing_checkpoints_needs_the_admin_scope(client) -> None:
    events_only = await api_key(client, "events:write")
    response = await client.post("/api/v1/checkpoints", json=CHECKPOINT, headers=events_only)
    assert response.status_code == 403


async def test_journey_page_lists_checkpoints_in_order_and_escapes_names(client) -> None:
    admin = await api_key(client, "admin")
    for key, position in (("renewal", 5), ("signed_up", 1)):
        body = {
            **CHECKPOINT,
            "key": key,
            "name": f"<script>alert('{key}')</script>",
            "position": position,
        }
        assert (
            await client.post("/api/v1/checkpoints", json=body, headers=admin)
        ).status_code == 201
    await login(client, await make_user(client, "manager"))
    page = await client.get("/journey")
    assert page.status_code == 200
    assert page.text.index("signed_up") < page.text.index("renewal")
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text


async def test_a_manager_cannot_change_a_checkpoint_but_sees_the_preview(client) -> None:
    admin = await api_key(client, "admin")
    survey_id = await published_survey(client)
    await client.post(
        "/api/v1/checkpoints", json={**CHECKPOINT, "survey_id": survey_id}, headers=admin
    )
    csrf = await login(client, await make_user(client, "manager"))
    denied = await client.post(
        "/journey/order_delivered", data={"key": "order_delivered", "name": "Hacked", "_csrf": csrf}
    )
    assert denied.status_code == 403
    preview = await client.post(
        "/journey/order_delivered/preview",
        data={
            "email": "a@example.com",
            "timezone": "Europe/Berlin",
            "last_any_days": "3",
            "_csrf": csrf,
        },
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert "global_cap" in preview.text
    assert "<html" not in preview.text


async def test_a_designer_creates_a_checkpoint_with_the_form(client) -> None:
    survey_id = await published_survey(client)
    csrf = await login(client, await make_user(client, "designer"))
    form = {
        "key": "ticket_closed",
        "name": "Support ticket closed",
        "survey_id": survey_id,
        "channels": ["email"],
        "delay_minutes": "30",
        "sample_percent": "50",
        "recontact_days": "60",
        "expires_days": "7",
        "quiet_start": "21:00",
        "quiet_end": "08:00",
        "active": "on",
        "_csrf": csrf,
    }
    created = await client.post("/journey", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    reader = await api_key(client, "read")
    stored = (await client.get("/api/v1/checkpoints/ticket_closed", headers=reader)).json()
    assert stored["delay_seconds"] == 1800
    assert stored["sample_rate"] == 0.5
    bad = await client.post("/journey", data={**form, "key": "other", "sample_percent": "lots"})
    assert bad.status_code == 422
    assert "sample_rate" in bad.text
