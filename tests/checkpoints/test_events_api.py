"""``POST /api/v1/events``: decisions, idempotency, dry runs, bad input, and the outbox."""

from __future__ import annotations

import asyncio
import email
import re
from email import policy

import pytest
from litestar.testing import AsyncTestClient

from surveyor import InvitationFailed, InvitationSent, hookimpl
from surveyor.app import create_app
from surveyor.delivery.channels import channels
from surveyor.delivery.worker import Worker
from surveyor.plugins import make_plugin_manager
from tests.checkpoints.test_checkpoints_api import CHECKPOINT, published_survey
from tests.conftest import api_key, app_services, in_app, login, make_user
from tests.delivery.servers import smtp_server

CONTACT = {"id": "cus_1", "email": "ana@example.com", "name": "Ana", "timezone": "Europe/Berlin"}


async def setup(client, **checkpoint):
    admin = await api_key(client, "admin")
    survey_id = await published_survey(client)
    body = {**CHECKPOINT, "survey_id": survey_id, "channels": ["email"], **checkpoint}
    assert (await client.post("/api/v1/checkpoints", json=body, headers=admin)).status_code == 201
    return await api_key(client, "events:write")


async def query(client, sql: str, *params):
    """One row (or one value) read on the app's own loop (see ``in_app``)."""
    rows = await in_app(client, app_services(client).db.fetch_all, sql, params)
    if len(rows) == 1 and len(rows[0]) == 1:
        return next(iter(rows[0].values()))
    return rows[0] if len(rows) == 1 else rows


async def counts(client) -> tuple[int, int, int]:
    return (
        await query(client, "SELECT count(*) FROM events"),
        await query(client, "SELECT count(*) FROM invitations"),
        await query(client, "SELECT count(*) FROM jobs WHERE kind = 'invitation.send'"),
    )


async def test_an_event_schedules_an_invitation_and_its_job_in_one_go(client) -> None:
    key = await setup(client)
    response = await client.post(
        "/api/v1/events",
        json={
            "checkpoint": "order_delivered",
            "contact": CONTACT,
            "properties": {"order_id": "A-1"},
        },
        headers=key,
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["decision"] == "scheduled"
    assert body["reason"] == "scheduled"
    assert [i["channel"] for i in body["invitations"]] == ["email"]
    assert await counts(client) == (1, 1, 1)
    stored = await query(client, "SELECT properties, token_hash FROM invitations")
    assert "A-1" in stored["properties"]
    assert len(stored["token_hash"]) == 64


async def test_second_event_for_the_same_contact_is_suppressed_with_its_reason(client) -> None:
    key = await setup(client)
    first = await client.post(
        "/api/v1/events", json={"checkpoint": "order_delivered", "contact": CONTACT}, headers=key
    )
    assert first.json()["decision"] == "scheduled"
    second = await client.post(
        "/api/v1/events", json={"checkpoint": "order_delivered", "contact": CONTACT}, headers=key
    )
    assert second.status_code == 202
    assert second.json()["decision"] == "suppressed"
    assert second.json()["reason"].startswith("global_cap")
    assert second.json()["invitations"] == []
    assert await counts(client) == (2, 1, 1)


async def test_a_contact_without_an_address_is_suppressed(client) -> None:
    key = await setup(client)
    response = await client.post(
        "/api/v1/events",
        json={"checkpoint": "order_delivered", "contact": {"id": "cus_2"}},
        headers=key,
    )
    assert response.json()["decision"] == "suppressed"
    assert response.json()["reason"].startswith("no_address")


async def test_same_idempotency_key_and_body_replays_the_first_answer(client) -> None:
    key = await setup(client)
    body = {"checkpoint": "order_delivered", "contact": CONTACT, "idempotency_key": "evt-1"}
    first = await client.post("/api/v1/events", json=body, headers=key)
    again = await client.post("/api/v1/events", json=body, headers=key)
    assert again.status_code == 202
    assert again.json() == first.json()
    via_header = await client.post(
        "/api/v1/events",
        json={k: v for k, v in body.items() if k != "idempotency_key"},
        headers={**key, "Idempotency-Key": "evt-1"},
    )
    assert via_header.json() == first.json()
    assert await counts(client) == (1, 1, 1)


async def test_same_idempotency_key_with_another_body_is_a_conflict(client) -> None:
    key = await setup(client)
    await client.post(
        "/api/v1/events",
        json={"checkpoint": "order_delivered", "contact": CONTACT, "idempotency_key": "k"},
        headers=key,
    )
    other = await client.post(
        "/api/v1/events",
        json={
            "checkpoint": "order_delivered",
            "contact": {**CONTACT, "name": "Bob"},
            "idempotency_key": "k",
        },
        headers=key,
    )
    assert other.status_code == 409
    assert "idempotency_key" in other.json()["detail"]
    assert await counts(client) == (1, 1, 1)


async def test_twenty_identical_requests_in_parallel_make_one_event_and_one_invitation(
    client,
) -> None:
    key = await setup(client)
    body = {"checkpoint": "order_delivered", "contact": CONTACT, "idempotency_key": "burst"}
    answers = await asyncio.gather(
        *(client.post("/api/v1/events", json=body, headers=key) for _ in range(20))
    )
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["event_id"] for a in answers}) == 1
    assert await counts(client) == (1, 1, 1)


async def test_dry_run_returns_the_decision_and_stores_nothing(client) -> None:
    key = await setup(client)
    response = await client.post(
        "/api/v1/events?dry_run=true",
        json={
            "checkpoint": "order_delivered",
            "contact": {**CONTACT, "attributes": {"tier": "vip"}},
        },
        headers=key,
    )
    assert response.status_code == 200
    assert response.json()["decision"] == "scheduled"
    assert response.json()["dry_run"] is True
    assert response.json()["event_id"] is None
    assert await counts(client) == (0, 0, 0)
    assert await query(client, "SELECT count(*) FROM contacts") == 0


async def test_contact_attributes_merge_and_null_removes_one(client) -> None:
    key = await setup(client)
    await client.post(
        "/api/v1/events",
        json={
            "checkpoint": "order_delivered",
            "contact": {**CONTACT, "attributes": {"tier": "vip", "plan": "pro"}},
        },
        headers=key,
    )
    await client.post(
        "/api/v1/events",
        json={
            "checkpoint": "order_delivered",
            "contact": {"id": "cus_1", "attributes": {"plan": None, "region": "eu"}},
        },
        headers=key,
    )
    stored = await query(
        client, "SELECT email, attributes FROM contacts WHERE external_id = 'cus_1'"
    )
    assert stored["email"] == "ana@example.com"
    assert stored["attributes"] == '{"tier":"vip","region":"eu"}'


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        ({"id": "c", "email": "not-an-email"}, "contact.email"),
        ({"id": "c", "email": "a@b.example\r\nBcc: x@evil.example"}, "contact.email"),
        ({"id": "c", "phone": "0151 123"}, "contact.phone"),
        ({"id": "c", "locale": "klingon-xx-yy-zz-aa"}, "contact.locale"),
        ({"id": "c", "locale": "xx"}, "contact.locale"),
        ({"id": "c", "timezone": "Mars/Olympus"}, "contact.timezone"),
        ({"id": "c", "name": "Ana\r\nSubject: spam"}, "contact.name"),
        ({"email": "a@b.example"}, "contact.id"),
        ({"id": "c", "vip": True}, "contact.vip"),
        ({"id": ["c"]}, "contact.id"),
    ],
)
async def test_bad_contacts_are_refused_naming_the_field(client, contact, field) -> None:
    key = await setup(client)
    response = await client.post(
        "/api/v1/events", json={"checkpoint": "order_delivered", "contact": contact}, headers=key
    )
    assert response.status_code in (400, 422), response.text
    assert field in response.json()["detail"]
    assert await counts(client) == (0, 0, 0)


@pytest.mark.parametrize(
    ("body", "headers", "query", "field"),
    [
        # Read by the route's own decoder (issue 17): the same answers as the signature's.
        ({"checkpoint": "order_delivered", "contact": CONTACT, "vip": 1}, {}, "", "vip"),
        ({"checkpoint": 5, "contact": CONTACT}, {}, "", "checkpoint"),
        ({"checkpoint": "order_delivered"}, {}, "", "contact"),
        (
            {"checkpoint": "order_delivered", "contact": CONTACT, "properties": []},
            {},
            "",
            "properties",
        ),
        (
            {"checkpoint": "order_delivered", "contact": CONTACT},
            {"Idempotency-Key": "a b"},
            "",
            "idempotency_key",
        ),
        (
            {"checkpoint": "order_delivered", "contact": CONTACT},
            {"Idempotency-Key": "k" * 201},
            "",
            "idempotency_key",
        ),
        ({"checkpoint": "order_delivered", "contact": CONTACT}, {}, "?dry_run=maybe", "dry_run"),
        (
            {"checkpoint": "order_delivered", "contact": CONTACT, "idempotency_key": "a"},
            {"Idempotency-Key": "b"},
            "",
            "idempotency_key",
        ),
    ],
)
async def test_bad_events_are_refused_naming_the_field(client, body, headers, query, field) -> None:
    key = await setup(client)
    response = await client.post("/api/v1/events" + query, json=body, headers={**key, **headers})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == field
    assert field in response.json()["detail"]
    assert await counts(client) == (0, 0, 0)


@pytest.mark.parametrize("body", [b"", b'{"checkpoint": "order_delivered"', b"[1, 2"])
async def test_a_body_that_is_not_json_is_a_400(client, body) -> None:
    key = await setup(client)
    response = await client.post(
        "/api/v1/events", content=body, headers={**key, "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await counts(client) == (0, 0, 0)


async def test_an_oversized_body_is_a_413(make_settings) -> None:
    app = create_app(make_settings(max_body_bytes=2048))
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
        key = await setup(client)
        body = {
            "checkpoint": "order_delivered",
            "contact": CONTACT,
            "properties": {"a": "x" * 4096},
        }
        response = await client.post("/api/v1/events", json=body, headers=key)
        assert response.status_code == 413, response.text
        assert await counts(client) == (0, 0, 0)


async def test_the_answer_is_json_with_a_request_id_and_dry_run_true_is_read(client) -> None:
    key = await setup(client)
    body = {"checkpoint": "order_delivered", "contact": CONTACT}
    dry = await client.post("/api/v1/events?dry_run=true", json=body, headers=key)
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    assert dry.headers["content-type"] == "application/json"
    assert int(dry.headers["content-length"]) == len(dry.content)
    assert dry.headers["x-request-id"]
    assert await counts(client) == (0, 0, 0)


async def test_only_an_idempotency_key_gets_a_fingerprint(client) -> None:
    """The request hash serves a later request with the same key; without one nothing
    compares it, so none is computed (issue 17)."""
    key = await setup(client)
    plain = {"checkpoint": "order_delivered", "contact": CONTACT}
    keyed = {**plain, "contact": {**CONTACT, "id": "cus_2"}, "idempotency_key": "k-1"}
    assert (await client.post("/api/v1/events", json=plain, headers=key)).status_code == 202
    assert (await client.post("/api/v1/events", json=keyed, headers=key)).status_code == 202
    hashes = await query(client, "SELECT idempotency_key, request_hash FROM events")
    by_key = {row["idempotency_key"]: row["request_hash"] for row in hashes}
    assert by_key[None] == ""
    assert len(by_key["k-1"]) == 64


async def test_unknown_checkpoint_is_404_naming_it(client) -> None:
    key = await setup(client)
    response = await client.post(
        "/api/v1/events", json={"checkpoint": "nope", "contact": CONTACT}, headers=key
    )
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


async def test_events_need_the_events_write_scope(client) -> None:
    await setup(client)
    reader = await api_key(client, "read")
    response = await client.post(
        "/api/v1/events", json={"checkpoint": "order_delivered", "contact": CONTACT}, headers=reader
    )
    assert response.status_code == 403
    anonymous = await client.post(
        "/api/v1/events", json={"checkpoint": "order_delivered", "contact": CONTACT}
    )
    assert anonymous.status_code == 401


async def test_the_worker_delivers_the_invitation_by_email_with_a_working_score_link(
    make_settings,
) -> None:
    with smtp_server() as (sink, port):
        settings = make_settings(
            email_url=f"mailto://127.0.0.1:{port}?from=surveys@acme.example&mode=insecure"
        )
        async with AsyncTestClient(
            app=create_app(settings), base_url="http://surveyor.test"
        ) as client:
            key = await setup(client, reminder_days=3)
            fired = await client.post(
                "/api/v1/events",
                json={
                    "checkpoint": "order_delivered",
                    "contact": {**CONTACT, "name": "<b>Ana</b>"},
                },
                headers=key,
            )
            invitation_id = fired.json()["invitations"][0]["id"]
            svc = app_services(client)
            await in_app(client, Worker(svc).run_until_idle)
            assert len(sink.messages) == 1
            mail = email.message_from_bytes(sink.messages[0].content, policy=policy.default)
            assert mail["To"].addresses[0].addr_spec == "ana@example.com"
            assert mail["List-Unsubscribe"].strip().startswith("<http://surveyor.test/u/")
            html = mail.get_body(("html",)).get_content()
            assert "<b>Ana</b>" not in html
            links = re.findall(r'href="(http://surveyor\.test/s/[^"?]+)\?score=(\d+)"', html)
            assert [int(score) for _, score in links] == list(range(11))
            status = await query(
                client, "SELECT status FROM invitations WHERE id = ?", invitation_id
            )
            assert status == "sent"
            queued = {
                row["kind"]
                for row in await query(client, "SELECT kind, id FROM jobs WHERE status = 'queued'")
            }
            assert queued == {"invitation.send", "invitation.expire"}  # the reminder and the expiry
            link = links[3][0].replace("http://surveyor.test", "")
            opened = await client.get(f"{link}?score=3")
            assert opened.status_code == 200
            assert 'value="3" checked' in opened.text  # the tapped score is preselected
            await client.post(link, data={"step": "nps", "q_nps": "3"})
            await client.post(link, data={"step": "why", "q_why": "Late delivery"})
            response = await query(
                client,
                "SELECT status, nps, channel FROM responses WHERE invitation_id = ?",
                invitation_id,
            )
            assert response == {"status": "complete", "nps": 3, "channel": "email"}
            status = await query(
                client, "SELECT status FROM invitations WHERE id = ?", invitation_id
            )
            assert status == "answered"
            again = await client.get(link)
            assert "Late delivery" not in again.text  # a finished link shows the thank-you page


async def test_an_invitation_shows_its_decision_status_and_attempts(client) -> None:
    key = await setup(client)
    fired = await client.post(
        "/api/v1/events", json={"checkpoint": "order_delivered", "contact": CONTACT}, headers=key
    )
    invitation_id = fired.json()["invitations"][0]["id"]
    # No SMTP server is configured (and the mailbox is off): the job waits and says why.
    channels(app_services(client)).get("mailbox").mode = "off"
    await in_app(client, Worker(app_services(client)).run_until_idle)
    reader = await api_key(client, "read")
    body = (await client.get(f"/api/v1/invitations/{invitation_id}", headers=reader)).json()
    assert body["contact_id"] == "cus_1"
    assert body["event"]["decision"] == "scheduled"
    [delivery] = body["deliveries"]
    assert delivery["kind"] == "invitation.send"
    # A channel that is not configured parks its jobs without an attempt each (issue 17).
    assert delivery["attempts"] == []
    assert "not configured" in delivery["last_error"]
    assert (await client.get("/api/v1/invitations/nope", headers=reader)).status_code == 404
    await login(client, await make_user(client, "manager"))
    page = await client.get(f"/invitations/{invitation_id}")
    assert page.status_code == 200
    assert "not configured" in page.text


class DeliveryRecorder:
    """A plugin that records the delivery hooks it receives."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failed: list[tuple[str, str, str]] = []

    @hookimpl
    async def invitation_sent(self, event: InvitationSent) -> None:
        self.sent.append((event.invitation.id, event.invitation.status))

    @hookimpl
    def invitation_failed(self, event: InvitationFailed, services) -> None:
        self.failed.append((event.invitation.id, event.invitation.status, event.error))


async def test_hook_invitation_sent(make_settings) -> None:
    recorder = DeliveryRecorder()
    with smtp_server() as (_, port):
        settings = make_settings(
            email_url=f"mailto://127.0.0.1:{port}?from=surveys@acme.example&mode=insecure"
        )
        pm = make_plugin_manager(
            settings.plugin_allow_list, settings.plugins_dir, extra=(recorder,)
        )
        async with AsyncTestClient(
            app=create_app(settings, pm=pm), base_url="http://surveyor.test"
        ) as client:
            key = await setup(client)
            fired = await client.post(
                "/api/v1/events",
                json={"checkpoint": "order_delivered", "contact": CONTACT},
                headers=key,
            )
            invitation_id = fired.json()["invitations"][0]["id"]
            await in_app(client, Worker(app_services(client)).run_until_idle)
    assert recorder.sent == [(invitation_id, "sent")]
    assert recorder.failed == []


async def test_hook_invitation_failed(make_settings) -> None:
    recorder = DeliveryRecorder()
    settings = make_settings()
    pm = make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir, extra=(recorder,))
    async with AsyncTestClient(
        app=create_app(settings, pm=pm), base_url="http://surveyor.test"
    ) as client:
        key = await setup(client)
        fired = await client.post(
            "/api/v1/events",
            json={"checkpoint": "order_delivered", "contact": CONTACT},
            headers=key,
        )
        invitation_id = fired.json()["invitations"][0]["id"]
        # The customer unsubscribes between the event and the send: a permanent failure.
        await in_app(
            client,
            app_services(client).db.write,
            lambda tx: tx.execute(
                "UPDATE contacts SET unsubscribed_at = '2026-01-01T00:00:00.000000Z'"
            ),
        )
        await in_app(client, Worker(app_services(client)).run_until_idle)
        assert (
            await query(client, "SELECT status FROM invitations WHERE id = ?", invitation_id)
            == "failed"
        )
    assert recorder.sent == []
    [(failed_id, status, error)] = recorder.failed
    assert (failed_id, status) == (invitation_id, "failed")
    assert "unsubscribed" in error
