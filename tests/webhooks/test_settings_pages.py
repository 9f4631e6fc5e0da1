"""Settings → Webhooks: create (the secret shown once), refuse bad and private URLs with
the field named, list deliveries, redeliver to a real HTTP server, disable; admins only."""

from __future__ import annotations

import html
import re

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from surveyor.app import create_app
from surveyor.webhooks import store
from surveyor.webhooks.events import enqueue_event
from tests.conftest import app_services, drain, in_app, login, make_user
from tests.delivery.servers import http_server

HX = {"HX-Request": "true"}


@pytest.fixture
async def private_client(make_settings):
    """Webhooks to private targets allowed (our 127.0.0.1 receiver), no text analysis."""
    app = create_app(
        make_settings(
            allow_private_webhooks=True, plugins="surveyor_email,surveyor_sms,surveyor_webhook"
        )
    )
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
        yield client


async def subscriptions(client):
    return await in_app(
        client, lambda: store.list_subscriptions(app_services(client).db, include_revoked=True)
    )


async def test_an_admin_creates_a_webhook_and_sees_its_secret_once(client) -> None:
    csrf = await login(client, await make_user(client, "admin"))
    page = await client.get("/settings/webhooks")
    assert page.status_code == 200 and "No webhooks yet" in page.text
    created = await client.post(
        "/settings/webhooks",
        data={
            "url": "https://93.184.215.14/hooks/surveyor",
            "description": "CRM <sync>",
            "event_types": ["response.completed", "followup.closed"],
            "_csrf": csrf,
        },
        headers=HX,
    )
    assert created.status_code == 200, created.text
    secret = re.search(r'id="new-secret"[^>]*value="(whsec_[^"]+)"', created.text)
    assert secret, created.text[:2000]
    assert "CRM &lt;sync&gt;" in created.text  # escaped, never raw
    (sub,) = await subscriptions(client)
    assert sub.url == "https://93.184.215.14/hooks/surveyor"
    assert sorted(sub.event_types) == ["followup.closed", "response.completed"]
    again = await client.get("/settings/webhooks")
    assert secret.group(1) not in again.text  # never shown again
    assert f"/settings/webhooks/{sub.id}" in again.text


@pytest.mark.parametrize(
    ("url", "events", "field", "says"),
    [
        ("", ["response.completed"], "url", "Enter the URL"),
        ("ftp://example.com/x", ["response.completed"], "url", "scheme 'ftp' is not allowed"),
        ("http://127.0.0.1:9/hook", ["response.completed"], "url", "SURVEYOR_ALLOW_PRIVATE"),
        ("http://169.254.169.254/latest", ["response.completed"], "url", "refused"),
        ("https://93.184.215.14/x", [], "event_types", "at least one event"),
        ("https://93.184.215.14/x", ["payment.made"], "event_types", "from the list"),
    ],
)
async def test_bad_input_names_the_field_and_stores_nothing(
    client, url, events, field, says
) -> None:
    csrf = await login(client, await make_user(client, "admin"))
    for headers in (HX, {}):
        answer = await client.post(
            "/settings/webhooks",
            data={"url": url, "event_types": events, "_csrf": csrf},
            headers=headers,
        )
        assert answer.status_code == 422
        element = "wh-url-error" if field == "url" else "wh-events-error"
        error = re.search(rf'id="{element}">([^<]*)<', answer.text)
        assert error and says in html.unescape(error.group(1)), answer.text[-3000:]
        assert f'value="{url}"' in answer.text  # what was typed stays in the form
    assert await subscriptions(client) == []


async def test_deliveries_are_listed_redelivered_to_a_real_server_and_stop_when_disabled(
    private_client,
) -> None:
    client = private_client
    csrf = await login(client, await make_user(client, "admin"))
    with http_server() as (receiver, port):
        await client.post(
            "/settings/webhooks",
            data={
                "url": f"http://127.0.0.1:{port}/in",
                "event_types": "response.completed",
                "_csrf": csrf,
            },
        )
        (sub,) = await subscriptions(client)
        db = app_services(client).db
        await in_app(
            client,
            lambda: db.write(
                lambda tx: enqueue_event(
                    tx, "response.completed", {"response": {"id": "r-1"}}, event_key="r-1"
                )
            ),
        )
        assert await drain(client) == 1
        assert len(receiver.requests) == 1
        page = await client.get(f"/settings/webhooks/{sub.id}")
        assert page.status_code == 200
        assert "response.completed" in page.text and ">done<" in page.text
        job_id = re.search(r"/deliveries/([0-9a-f-]{36})", page.text).group(1)

        again = await client.post(
            f"/settings/webhooks/{sub.id}/deliveries/{job_id}/redeliver",
            data={"_csrf": csrf},
            headers=HX,
        )
        assert again.status_code == 200
        toast = msgspec.json.decode(again.headers["HX-Trigger"])["toast"]
        assert toast == {"message": "Queued to be sent again.", "kind": "ok"}
        assert await drain(client) == 1
        first, second = receiver.requests
        assert first[2] == second[2]  # the same body…
        assert first[1]["webhook-id"] != second[1]["webhook-id"]  # …as a new message

        # A delivery of another subscription (or none) cannot be sent through this one.
        wrong = await client.post(
            f"/settings/webhooks/{sub.id}/deliveries/nothing-here/redeliver",
            data={"_csrf": csrf},
        )
        assert wrong.status_code == 404

        disabled = await client.post(
            f"/settings/webhooks/{sub.id}/disable", data={"_csrf": csrf}, follow_redirects=False
        )
        assert disabled.status_code == 303
        assert disabled.headers["location"] == f"/settings/webhooks/{sub.id}?done=disabled"
        (sub,) = await subscriptions(client)
        assert not sub.active
        refused = await client.post(
            f"/settings/webhooks/{sub.id}/deliveries/{job_id}/redeliver", data={"_csrf": csrf}
        )
        assert refused.status_code == 409
        assert await drain(client) == 0 and len(receiver.requests) == 2
        page = await client.get(f"/settings/webhooks/{sub.id}?done=disabled")
        assert "The webhook is disabled." in page.text and "Redeliver" not in page.text


@pytest.mark.parametrize("role", ["designer", "manager"])
async def test_only_admins_reach_the_webhook_pages_and_fragments(client, role) -> None:
    csrf = await login(client, await make_user(client, role))
    for headers in ({}, HX):
        assert (await client.get("/settings/webhooks", headers=headers)).status_code == 403
        answer = await client.post(
            "/settings/webhooks",
            data={
                "url": "https://93.184.215.14/x",
                "event_types": "followup.opened",
                "_csrf": csrf,
            },
            headers=headers,
        )
        assert answer.status_code == 403
    assert await subscriptions(client) == []
