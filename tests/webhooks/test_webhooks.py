"""Outgoing webhooks end to end: subscribe over the API, complete a response, let the
worker deliver, and verify the Standard Webhooks signature on a real HTTP server."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from surveyor.app import create_app
from surveyor.contacts.store import upsert_contact
from surveyor.delivery.worker import Worker
from surveyor.demo.metrics import ensure_pulse_survey
from surveyor.followups.service import Actor, change_status
from surveyor.followups.store import case_for_response
from surveyor.ids import parse_iso, utcnow
from surveyor.net.signing import SignatureError, verify
from surveyor.respond import store as respond_store
from surveyor.respond.completion import on_completion
from surveyor.respond.models import NewResponse
from surveyor.surveys.store import get_version
from tests.conftest import api_key, app_services, in_app
from tests.delivery.servers import http_server


@pytest.fixture
async def private_client(make_settings):
    """An app whose settings allow webhooks to private targets (our 127.0.0.1 receiver).
    Without surveyor_text, whose comment-analysis job would add to the jobs counted here."""
    app = create_app(
        make_settings(
            allow_private_webhooks=True, plugins="surveyor_email,surveyor_sms,surveyor_webhook"
        )
    )
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
        yield client


async def _complete_response(svc, *, nps: int, reason: str) -> str:
    survey_id, version_id = await ensure_pulse_survey(svc.db)

    async def prepare(tx):
        contact = await upsert_contact(tx, external_id="cust-42", email="c@example.com")
        invitation_id = "inv-" + survey_id[-8:]
        await respond_store.create_invitation(
            tx,
            survey_id=survey_id,
            survey_version_id=version_id,
            contact_id=contact.id,
            channel="email",
            send_at="2026-01-01T00:00:00.000000Z",
            checkpoint_key="support_case_closed",
            invitation_id=invitation_id,
        )
        return contact, invitation_id

    contact, invitation_id = await svc.db.write(prepare)
    version = await get_version(svc.db, version_id)
    result = await respond_store.save_answers(
        svc.db,
        NewResponse(
            invitation_id=invitation_id,
            survey_id=survey_id,
            survey_version_id=version_id,
            contact_id=contact.id,
            checkpoint_key="support_case_closed",
            channel="email",
        ),
        {"recommend": nps, "reason": reason},
        step="end",
        complete=True,
        scores={"nps": nps},
        # What the respondent pages do: emit ResponseCompleted in the completing unit.
        on_complete=on_completion(svc, version, contact=contact),
    )
    assert result.completed_now
    return result.response.id


async def test_a_subscriber_on_127_0_0_1_receives_a_signed_response_completed(private_client):
    client = private_client
    svc = app_services(client)
    headers = await api_key(client, "admin")
    with http_server() as (receiver, port):
        created = await client.post(
            "/api/v1/webhooks",
            json={"url": f"http://127.0.0.1:{port}/hook", "event_types": ["response.completed"]},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        assert secret.startswith("whsec_")
        listed = await client.get("/api/v1/webhooks", headers=headers)
        assert [s["id"] for s in listed.json()["items"]] == [created.json()["id"]]
        assert "secret" not in listed.text

        response_id = await in_app(
            client, lambda: _complete_response(svc, nps=3, reason="=cmd|' /C calc'!A0")
        )
        ran = await in_app(client, lambda: Worker(svc).run_until_idle())
        assert ran == 1
        assert len(receiver.requests) == 1
        path, got_headers, body = receiver.requests[0]
        assert path == "/hook"
        verify(secret, got_headers, body)  # raises unless the signature is right
        with pytest.raises(SignatureError):
            verify(secret, got_headers, body + b" ")
        event = msgspec.json.decode(body)
        assert event["type"] == "response.completed"
        data = event["data"]["response"]
        assert data["id"] == response_id
        assert data["nps_class"] == "detractor" and data["scores"]["nps"] == 3
        assert data["contact"] == "cust-42"
        labels = {a["question_id"]: a["label"] for a in data["answers"]}
        assert labels["recommend"].startswith("How likely is it")
        assert labels["reason"] == "What is the main reason for your score?"


async def test_a_revoked_subscription_gets_nothing(private_client):
    client = private_client
    svc = app_services(client)
    headers = await api_key(client, "admin")
    with http_server() as (receiver, port):
        created = await client.post(
            "/api/v1/webhooks",
            json={"url": f"http://127.0.0.1:{port}/", "event_types": ["response.completed"]},
            headers=headers,
        )
        sub_id = created.json()["id"]
        await in_app(client, lambda: _complete_response(svc, nps=10, reason="great"))
        gone = await client.delete(f"/api/v1/webhooks/{sub_id}", headers=headers)
        assert gone.status_code == 204
        await in_app(client, lambda: Worker(svc).run_until_idle())
        assert receiver.requests == []
        again = await client.delete(f"/api/v1/webhooks/{sub_id}", headers=headers)
        assert again.status_code == 404


async def test_follow_up_events_are_queued_for_their_subscribers(private_client):
    client = private_client
    svc = app_services(client)
    headers = await api_key(client, "admin")
    with http_server() as (receiver, port):
        created = await client.post(
            "/api/v1/webhooks",
            json={"url": f"http://127.0.0.1:{port}/f", "event_types": ["followup.opened"]},
            headers=headers,
        )
        secret = created.json()["secret"]
        # The detractor opens a case: followup.opened is queued in that same unit.
        response_id = await in_app(client, lambda: _complete_response(svc, nps=2, reason="slow"))
        case = await in_app(client, case_for_response, svc.db, response_id)
        await in_app(
            client,
            lambda: change_status(
                svc, case.id, "closed", Actor(user_id=None), root_cause="other", outcome="ok"
            ),
        )  # followup.closed: no subscriber
        await in_app(client, lambda: Worker(svc).run_until_idle())
        assert len(receiver.requests) == 1
        _, got_headers, body = receiver.requests[0]
        verify(secret, got_headers, body)
        event = msgspec.json.decode(body)
        assert event["type"] == "followup.opened"
        assert event["data"]["followup"]["id"] == case.id
        assert event["data"]["response"]["nps_class"] == "detractor"


async def test_private_targets_are_refused_unless_allowed(client):
    headers = await api_key(client, "admin")
    for url in (
        "http://127.0.0.1:9/x",
        "http://[::1]/x",
        "http://2130706433/",
        "ftp://example.com/",
    ):
        answer = await client.post(
            "/api/v1/webhooks",
            json={"url": url, "event_types": ["followup.closed"]},
            headers=headers,
        )
        assert answer.status_code == 400, (url, answer.text)
        assert answer.json()["errors"][0]["field"] == "url"


async def test_webhooks_api_validates_and_needs_the_admin_scope(client):
    read = await api_key(client, "read")
    answer = await client.post(
        "/api/v1/webhooks",
        json={"url": "https://example.com/h", "event_types": ["response.completed"]},
        headers=read,
    )
    assert answer.status_code == 403
    admin = await api_key(client, "admin")
    bad = await client.post(
        "/api/v1/webhooks",
        json={"url": "https://example.com/h", "event_types": ["order.shipped"]},
        headers=admin,
    )
    assert bad.status_code == 400
    unknown = await client.post(
        "/api/v1/webhooks",
        json={"url": "https://example.com/h", "event_types": ["response.completed"], "x": 1},
        headers=admin,
    )
    assert unknown.status_code == 400


async def test_a_real_follow_up_case_is_announced_through_the_followup_hook(private_client):
    """The follow-up domain opens a case for a detractor and emits ``FollowupOpened``;
    the webhooks listener (added at start-up) queues it in that unit for its subscriber."""
    client = private_client
    svc = app_services(client)
    headers = await api_key(client, "admin")
    with http_server() as (receiver, port):
        created = await client.post(
            "/api/v1/webhooks",
            json={"url": f"http://127.0.0.1:{port}/f", "event_types": ["followup.opened"]},
            headers=headers,
        )
        secret = created.json()["secret"]

        response_id = await in_app(
            client, lambda: _complete_response(svc, nps=1, reason="never again")
        )
        await in_app(client, lambda: Worker(svc).run_until_idle())
        opened = [msgspec.json.decode(body) for _, _, body in receiver.requests]
        assert [e["type"] for e in opened] == ["followup.opened"], opened
        verify(secret, receiver.requests[0][1], receiver.requests[0][2])
        data = opened[0]["data"]
        assert data["followup"]["response_id"] == response_id
        assert data["response"]["nps_class"] == "detractor"


async def _subscribe_and_fire(client, port):
    svc = app_services(client)
    headers = await api_key(client, "admin")
    created = await client.post(
        "/api/v1/webhooks",
        json={"url": f"http://127.0.0.1:{port}/hook", "event_types": ["response.completed"]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    await in_app(client, lambda: _complete_response(svc, nps=9, reason="fine"))
    await in_app(client, lambda: Worker(svc).run_until_idle())
    rows = await in_app(
        client,
        svc.db.fetch_all,
        "SELECT status, run_at FROM jobs WHERE kind = 'webhook.deliver'",
        (),
    )
    return created.json()["id"], rows


async def test_a_receivers_retry_after_is_honoured(private_client):
    client = private_client
    with http_server() as (receiver, port):
        receiver.statuses = [503]
        receiver.headers = {"Retry-After": "3600"}
        before = utcnow()
        _, [job] = await _subscribe_and_fire(client, port)
    assert len(receiver.requests) == 1
    assert job["status"] == "queued"
    assert parse_iso(job["run_at"]) >= before + timedelta(seconds=3590)


async def test_a_410_disables_the_subscription(private_client):
    client = private_client
    with http_server() as (receiver, port):
        receiver.statuses = [410]
        sub_id, [job] = await _subscribe_and_fire(client, port)
    assert job["status"] == "dead"
    listed = await client.get("/api/v1/webhooks", headers=await api_key(private_client, "admin"))
    assert sub_id not in [s["id"] for s in listed.json()["items"]]
