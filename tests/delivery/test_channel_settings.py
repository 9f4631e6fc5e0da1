"""Settings → Channels: each channel's state, and a real test message through the outbox
to a local SMTP server (aiosmtpd); bad addresses name the field; admins only. Settings →
Plugins lists what is installed, for designers too."""

from __future__ import annotations

import email
import email.policy
import html
import re

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from surveyor.app import create_app
from surveyor.delivery import store
from tests.conftest import app_services, drain, in_app, login, make_user
from tests.delivery.servers import smtp_server

HX = {"HX-Request": "true"}


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the pages do not depend on the database engine beyond the outbox")


@pytest.fixture
async def mail_client(sqlite_only, make_settings):
    with smtp_server() as (sink, port):
        app = create_app(
            make_settings(
                email_url=f"mailto://127.0.0.1:{port}?from=surveys@acme.example&mode=insecure",
                email_from="Acme Surveys <surveys@acme.example>",
            )
        )
        async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
            yield client, sink


async def jobs(client):
    page = await in_app(client, lambda: store.list_jobs(app_services(client).db))
    return page.items


async def test_a_test_email_reaches_the_smtp_server_and_the_page_follows_it(mail_client) -> None:
    client, sink = mail_client
    csrf = await login(client, await make_user(client, "admin"))
    page = await client.get("/settings/channels")
    assert page.status_code == 200
    email_card = page.text[page.text.index('id="channel-email"') :]
    assert "configured" in email_card[:600] and "not configured" not in email_card[:600]
    sms_card = page.text[page.text.index('id="channel-sms"') :]
    assert "not configured" in sms_card[:800] and "SURVEYOR_SMS_URL" in sms_card

    sent = await client.post(
        "/settings/channels/email/test",
        data={"address": "ops@acme.example", "_csrf": csrf},
        headers=HX,
    )
    assert sent.status_code == 200, sent.text[:500]
    toast = msgspec.json.decode(sent.headers["HX-Trigger"])["toast"]
    assert toast["message"] == "Test message queued."
    (job,) = await jobs(client)
    assert job.channel == "email" and job.status == "queued"
    assert f"/settings/channels/email/test/{job.id}" in sent.text  # the fragment asks again

    assert await drain(client) == 1
    (envelope,) = sink.messages
    assert envelope.rcpt_tos == ["ops@acme.example"]
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert received["Subject"] == "Surveyor test message"
    assert "the email channel works" in received.get_body(("plain",)).get_content()

    status = await client.get(f"/settings/channels/email/test/{job.id}", headers=HX)
    assert status.status_code == 200 and ">done<" in status.text
    assert "hx-get" not in status.text  # finished: it stops asking
    page = await client.get("/settings/channels")
    email_card = page.text[page.text.index('id="channel-email"') :]
    assert "never" not in email_card[: email_card.index("Last error")]  # a last delivery


@pytest.mark.parametrize(
    ("channel", "address", "says"),
    [
        ("email", "", "Enter an address"),
        ("email", "not-an-address", "Enter an email address"),
        ("sms", "0151 123", "international form"),
        ("webhook", "http://127.0.0.1:9/x", "SURVEYOR_ALLOW_PRIVATE_WEBHOOKS"),
        ("webhook", "file:///etc/passwd", "scheme 'file' is not allowed"),
    ],
)
async def test_a_bad_test_address_names_the_field_and_queues_nothing(
    mail_client, channel, address, says
) -> None:
    client, sink = mail_client
    csrf = await login(client, await make_user(client, "admin"))
    assert sink.messages == []
    for headers in (HX, {}):
        answer = await client.post(
            f"/settings/channels/{channel}/test",
            data={"address": address, "_csrf": csrf},
            headers=headers,
        )
        assert answer.status_code == 422
        error = re.search(rf'id="test-{channel}-error">([^<]*)<', answer.text)
        assert error and says in html.unescape(error.group(1)), answer.text[-2000:]
    assert await jobs(client) == []


async def test_the_mailbox_and_unknown_channels_take_no_test(mail_client) -> None:
    client, _ = mail_client
    csrf = await login(client, await make_user(client, "admin"))
    for name in ("mailbox", "pigeon"):
        answer = await client.post(
            f"/settings/channels/{name}/test", data={"address": "x@y.example", "_csrf": csrf}
        )
        assert answer.status_code == 404
    assert await jobs(client) == []


@pytest.mark.parametrize("role", ["designer", "manager"])
async def test_only_admins_reach_channel_status_and_send_tests(mail_client, role) -> None:
    client, sink = mail_client
    csrf = await login(client, await make_user(client, role))
    for headers in ({}, HX):
        assert (await client.get("/settings/channels", headers=headers)).status_code == 403
        answer = await client.post(
            "/settings/channels/email/test",
            data={"address": "ops@acme.example", "_csrf": csrf},
            headers=headers,
        )
        assert answer.status_code == 403
    assert await jobs(client) == [] and sink.messages == []


async def test_plugins_page_lists_plugins_and_hooks_for_designers_not_managers(
    sqlite_only, client
) -> None:
    await login(client, await make_user(client, "designer"))
    page = await client.get("/settings/plugins")
    assert page.status_code == 200
    row = page.text[page.text.index("<strong>surveyor_email</strong>") :]
    assert "register_channels" in row[: row.index("</tr>")]
    assert "surveyor.webhooks.plugin" in page.text
    client.cookies.clear()
    await login(client, await make_user(client, "manager"))
    for headers in ({}, HX):
        assert (await client.get("/settings/plugins", headers=headers)).status_code == 403
