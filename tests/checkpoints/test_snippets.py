"""The checkpoint page's integration snippets and its "send a test event" button."""

from __future__ import annotations

import html
import json
import re

import msgspec

from surveyor.checkpoints.models import EventIn
from surveyor.checkpoints.snippets import event_body, snippets
from surveyor.delivery.worker import Worker
from tests.checkpoints.test_events_api import query, setup
from tests.conftest import api_key, app_services, in_app, login, make_user


def test_the_snippets_send_a_body_the_events_api_accepts() -> None:
    shown = snippets("http://shop.test:8000/", "order_delivered")
    assert "curl -X POST http://shop.test:8000/api/v1/events" in shown["curl"]
    body = re.search(r"-d '(.*)'", shown["curl"]).group(1)  # type: ignore[union-attr]
    assert msgspec.convert(json.loads(body), EventIn).checkpoint == "order_delivered"
    compile(shown["python"], "snippet.py", "exec")  # valid Python
    assert "httpx.post(" in shown["python"] and "idempotency_key" in shown["python"]
    assert 'fetch("http://shop.test:8000/api/v1/events"' in shown["javascript"]
    assert event_body("x")["idempotency_key"] == "x:A-1001"


async def test_a_test_event_reaches_the_signed_in_users_mailbox(client) -> None:
    await setup(client)
    user = await make_user(client, "designer", email="dee@example.com")
    token = await login(client, user)
    page = await client.get("/journey/order_delivered")
    assert page.status_code == 200
    assert "http://surveyor.test/api/v1/events" in html.unescape(page.text)
    assert "Send a test event to me" in page.text
    fired = await client.post(
        "/journey/order_delivered/test-event", headers={"HX-Request": "true", "X-CSRF-Token": token}
    )
    assert fired.status_code == 200, fired.text
    assert "dry run" in fired.text and "A real event was fired for dee@example.com" in fired.text
    await in_app(client, Worker(app_services(client)).run_until_idle)
    admin = await api_key(client, "admin")
    [message] = (await client.get("/api/v1/mailbox", headers=admin)).json()["items"]
    assert message["recipient"] == "dee@example.com"
    assert await query(client, "SELECT count(*) FROM events") == 1  # the dry run stored nothing


async def test_only_designers_send_test_events(client) -> None:
    await setup(client)
    token = await login(client, await make_user(client, "manager"))
    refused = await client.post(
        "/journey/order_delivered/test-event", headers={"X-CSRF-Token": token}
    )
    assert refused.status_code == 403
