"""The built-in mailbox: where email goes with no SURVEYOR_EMAIL_URL; and jobs for a channel
nobody configured wait (parked, visibly) instead of spinning, and go out once it is set."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from surveyor_mailbox.views import framed, linkify

from surveyor.app import create_app
from surveyor.delivery.worker import Worker
from surveyor.settings import load_settings
from tests.checkpoints.test_events_api import CONTACT, query, setup
from tests.conftest import api_key, app_services, in_app, login, make_user
from tests.delivery.servers import smtp_server


async def fire(client, key) -> str:
    fired = await client.post(
        "/api/v1/events", json={"checkpoint": "order_delivered", "contact": CONTACT}, headers=key
    )
    assert fired.status_code == 202, fired.text
    return fired.json()["invitations"][0]["id"]


async def test_without_an_email_url_the_invitation_lands_in_the_mailbox(client) -> None:
    key = await setup(client)
    invitation_id = await fire(client, key)
    await in_app(client, Worker(app_services(client)).run_until_idle)
    assert (
        await query(client, "SELECT status FROM invitations WHERE id = ?", invitation_id) == "sent"
    )
    admin = await api_key(client, "admin")
    body = (await client.get("/api/v1/mailbox", headers=admin)).json()
    [message] = body["items"]
    assert message["recipient"] == "ana@example.com"
    assert message["channel"] == "email"
    assert message["subject"]
    assert "/s/" in message["link"] and message["link"] in message["text"]
    assert (
        message["link"].replace("&", "&amp;") in message["html"]
        or message["link"] in message["html"]
    )
    # A retried job does not keep the message twice (same message id).
    assert (
        await client.get("/api/v1/mailbox?recipient=nobody@example.com", headers=admin)
    ).json() == {"items": []}


async def test_the_mailbox_api_needs_the_admin_scope_and_refuses_bad_input(client) -> None:
    reader = await api_key(client, "read")
    assert (await client.get("/api/v1/mailbox", headers=reader)).status_code == 403
    assert (await client.get("/api/v1/mailbox")).status_code == 401
    admin = await api_key(client, "admin")
    bad = await client.get("/api/v1/mailbox?limit=0", headers=admin)
    assert bad.status_code == 400 and "limit" in bad.text


async def test_the_mailbox_page_shows_messages_safely_to_admins_only(client) -> None:
    key = await setup(client)
    await fire(client, key)
    await in_app(client, Worker(app_services(client)).run_until_idle)
    await login(client, await make_user(client, "manager"))
    assert (await client.get("/mailbox")).status_code == 403
    dashboard = await client.get("/dashboard")
    # The banner says where messages go, on every staff page.
    assert "go to the built-in mailbox" in dashboard.text
    client.cookies.clear()
    await login(client, await make_user(client, "admin"))
    page = await client.get("/mailbox")
    assert page.status_code == 200
    assert "ana@example.com" in page.text
    message_id = page.text.split('href="/mailbox/')[1].split('"')[0]
    detail = await client.get(f"/mailbox/{message_id}")
    assert detail.status_code == 200
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in detail.text
    assert "srcdoc=" in detail.text and "<html" not in detail.text.split("srcdoc=")[1][:200]
    assert (await client.get("/mailbox/nope")).status_code == 404


def test_text_parts_are_escaped_with_their_links_made_clickable() -> None:
    html = str(linkify("Hi <script>x</script>, answer at https://a.example/s/t?score=1."))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="https://a.example/s/t?score=1" rel="noopener noreferrer">' in html
    assert html.endswith("</a>.")
    assert framed("<p>x</p>").startswith('<base target="_blank">')


def plugin_settings(database_url: str, **values: object):
    environ = {
        f"SURVEYOR_{k.upper()}": str(v) for k, v in values.items() if k.startswith("mailbox")
    }
    core = {k: v for k, v in values.items() if not k.startswith("mailbox")}
    return load_settings(
        environ=environ,
        for_plugins=True,
        database=database_url,
        base_url="http://surveyor.test",
        secret_key="s" * 40,
        run_worker=False,
        **core,
    )


async def test_with_no_channel_configured_jobs_wait_and_go_out_once_it_is(database_url) -> None:
    app = create_app(plugin_settings(database_url, mailbox_mode="off"))
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
        key = await setup(client)
        for n in range(3):
            fired = await client.post(
                "/api/v1/events",
                json={
                    "checkpoint": "order_delivered",
                    "contact": {**CONTACT, "id": f"c{n}", "email": f"c{n}@example.com"},
                },
                headers=key,
            )
            assert fired.json()["decision"] == "scheduled"
        worker = Worker(app_services(client))
        # Parked together, not leased one by one: no job runs at all (issue 17).
        assert await in_app(client, worker.run_until_idle) == 0
        # Parked, not failed: no attempt counted, the reason on the job, nothing due.
        jobs = await query(
            client, "SELECT status, attempts, last_error FROM jobs WHERE kind = 'invitation.send'"
        )
        for job in jobs:
            assert job["status"] == "queued" and job["attempts"] == 0
            assert job["last_error"].startswith(
                "waiting for channel email: email is not configured"
            )
        assert await in_app(client, worker.run_until_idle) == 0  # never spins
        await login(client, await make_user(client, "admin"))
        page = await client.get("/deliveries")
        assert "waiting for channel email" in page.text
        assert "wait in the outbox" in page.text  # the banner
    with smtp_server() as (sink, port):
        url = f"mailto://127.0.0.1:{port}?from=surveys@acme.example&mode=insecure"
        app = create_app(plugin_settings(database_url, mailbox_mode="off", email_url=url))
        async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
            # A worker that has the channel wakes the parked jobs at start.
            assert await in_app(client, Worker(app_services(client)).run_until_idle) == 3
            assert (
                await query(client, "SELECT count(*) FROM invitations WHERE status = 'sent'") == 3
            )
        assert len(sink.messages) == 3


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_mode_always_keeps_a_copy_beside_real_delivery(database_url) -> None:
    with smtp_server() as (sink, port):
        url = f"mailto://127.0.0.1:{port}?from=surveys@acme.example&mode=insecure"
        app = create_app(plugin_settings(database_url, mailbox_mode="always", email_url=url))
        async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
            key = await setup(client)
            await fire(client, key)
            await in_app(client, Worker(app_services(client)).run_until_idle)
            admin = await api_key(client, "admin")
            assert len((await client.get("/api/v1/mailbox", headers=admin)).json()["items"]) == 1
        assert len(sink.messages) == 1
