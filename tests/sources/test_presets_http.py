"""Every preset through ``POST /hooks/in``: its signature scheme as the provider sends
it, and its shipped default mapping on a payload shaped like the provider's."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest

from surveyor.net.signing import signed_headers
from tests.checkpoints.test_events_api import counts, setup
from tests.conftest import api_key

EMAIL = "ana@example.com"
PAYLOADS = {
    "stripe": {
        "id": "evt_1",
        "type": "invoice.paid",
        "data": {"object": {"id": "in_1", "customer": "cus_1", "customer_email": EMAIL}},
    },
    "shopify": {
        "id": 450789469,
        "name": "#1001",
        "email": EMAIL,
        "fulfillment_status": "fulfilled",
        "customer": {"id": 207119551, "email": EMAIL, "first_name": "Ana", "last_name": "Li"},
        "total_price": "199.00",
        "currency": "EUR",
    },
    "zendesk": {
        "ticket": {
            "id": "35436",
            "status": "Solved",
            "requester": {"id": "20978392", "email": EMAIL, "name": "Ana"},
        }
    },
    "hubspot": [
        {
            "eventId": 100,
            "subscriptionType": "deal.propertyChange",
            "propertyName": "dealstage",
            "propertyValue": "closedwon",
            "objectId": 1234,
            "portalId": 62515,
        }
    ],
    "github": {
        "action": "closed",
        "issue": {"id": 1, "number": 2, "user": {"id": 3, "login": "ana"}},
        "repository": {"full_name": "acme/shop"},
    },
    "standard": {
        "id": "msg_1",
        "checkpoint": "order_delivered",
        "contact": {"id": "c1", "email": EMAIL},
        "properties": {"order": "A-1"},
    },
}
SECRETS = {"standard": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}


def b64(secret: str, content: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), content, hashlib.sha256).digest()).decode()


def headers_for(preset: str, secret: str, body: bytes, url: str) -> dict[str, str]:
    now = int(time.time())
    if preset == "stripe":
        digest = hmac.new(secret.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
        return {"Stripe-Signature": f"t={now},v1={digest}"}
    if preset == "shopify":
        return {"X-Shopify-Hmac-Sha256": b64(secret, body), "X-Shopify-Webhook-Id": "w1"}
    if preset == "zendesk":
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "X-Zendesk-Webhook-Signature": b64(secret, stamp.encode() + body),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        }
    if preset == "hubspot":
        stamp = str(now * 1000)
        signature = b64(secret, b"POST" + url.encode() + body + stamp.encode())
        return {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": stamp}
    if preset == "github":
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return {"X-Hub-Signature-256": "sha256=" + digest}
    return signed_headers(secret, "msg_1", body)


@pytest.mark.parametrize("preset", sorted(PAYLOADS))
async def test_each_preset_verifies_and_maps_its_providers_payload(client, preset) -> None:
    await setup(client)
    admin = await api_key(client, "admin")
    body = {"name": preset, "type": preset, "checkpoint": "order_delivered"}
    if preset in SECRETS:
        body["secret"] = SECRETS[preset]
    elif preset != "github":
        body["secret"] = f"{preset}-secret-1234"
    created = await client.post("/api/v1/sources", json=body, headers=admin)
    assert created.status_code == 201, created.text
    source = created.json()
    raw = json.dumps(PAYLOADS[preset]).encode()
    headers = headers_for(preset, source["secret"], raw, source["url"])
    answer = await client.post(f"/hooks/in/{source['id']}", content=raw, headers=headers)
    assert answer.status_code == 200, answer.text
    decision = answer.json()["decision"]
    # GitHub and HubSpot payloads carry no email: the policy says so, by name.
    if preset in ("github", "hubspot"):
        assert (decision, answer.json()["reason"].split(":")[0]) == ("suppressed", "no_address")
        assert await counts(client) == (1, 0, 0)
    else:
        assert decision == "scheduled", answer.json()
        assert await counts(client) == (1, 1, 1)
    tampered = await client.post(f"/hooks/in/{source['id']}", content=raw + b" ", headers=headers)
    assert tampered.status_code == 401
