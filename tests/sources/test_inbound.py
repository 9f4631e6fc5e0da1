"""``POST /hooks/in/{source_id}`` end to end, and ``/api/v1/sources``: the same pipeline
as ``POST /api/v1/events`` (one event, one invitation, one commit), bad input refused."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time

from tests.checkpoints.test_events_api import counts, query, setup
from tests.conftest import api_key

SECRET = "gh-secret-for-tests"
MAPPING = {
    "contact_id": "user.id",
    "email": "user.email",
    "properties": "{issue: to_string(issue)}",
    "filter": "action == 'closed'",
    "idempotency_key": "join(':', ['closed', to_string(issue)])",
}


def payload(**over: object) -> bytes:
    body = {"action": "closed", "issue": 7, "user": {"id": "u1", "email": "ana@example.com"}}
    return json.dumps({**body, **over}).encode()


def signed(body: bytes, delivery: str = "d-1", secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": "sha256=" + digest,
        "X-GitHub-Delivery": delivery,
        "Content-Type": "application/json",
    }


async def github_source(client, **over) -> dict:
    await setup(client)
    admin = await api_key(client, "admin")
    body = {
        "name": "GitHub issues",
        "type": "github",
        "checkpoint": "order_delivered",
        "secret": SECRET,
        "mapping": MAPPING,
        **over,
    }
    created = await client.post("/api/v1/sources", json=body, headers=admin)
    assert created.status_code == 201, created.text
    return created.json()


async def log_rows(client) -> list[dict]:
    rows = await query(client, "SELECT decision, reason, payload FROM source_payloads")
    return rows if isinstance(rows, list) else [rows]


async def test_a_verified_delivery_schedules_one_invitation_and_is_logged(client) -> None:
    source = await github_source(client)
    assert source["url"] == f"http://surveyor.test/hooks/in/{source['id']}"
    assert source["secret"] == SECRET
    body = payload()
    answer = await client.post(f"/hooks/in/{source['id']}", content=body, headers=signed(body))
    assert answer.status_code == 200, answer.text
    assert answer.json()["decision"] == "scheduled"
    assert await counts(client) == (1, 1, 1)
    [row] = await log_rows(client)
    assert row["decision"] == "scheduled"
    # The log keeps only the preset's allow-list: nothing of this payload is on it.
    assert "ana@example.com" not in row["payload"]

    replayed = await client.post(f"/hooks/in/{source['id']}", content=body, headers=signed(body))
    assert replayed.status_code == 200
    assert replayed.json()["decision"] == "duplicate"
    again = await client.post(
        f"/hooks/in/{source['id']}", content=body, headers=signed(body, delivery="d-2")
    )
    assert again.json()["decision"] == "duplicate"  # same provider event: same key
    assert await counts(client) == (1, 1, 1)


async def test_racing_duplicates_make_one_invitation(client) -> None:
    source = await github_source(client)
    body = payload()
    answers = await asyncio.gather(
        *(
            client.post(
                f"/hooks/in/{source['id']}", content=body, headers=signed(body, f"d-{i % 3}")
            )
            for i in range(12)
        )
    )
    assert {a.status_code for a in answers} == {200}
    assert sorted(a.json()["decision"] for a in answers).count("scheduled") == 1
    assert await counts(client) == (1, 1, 1)


async def test_bad_signatures_get_401_and_store_only_a_counter(client) -> None:
    source = await github_source(client)
    body = payload()
    url = f"/hooks/in/{source['id']}"
    attempts = [
        {},
        {"X-Hub-Signature-256": signed(body)["X-Hub-Signature-256"][:-3]},
        signed(body, secret="wrong"),
        signed(payload(issue=8)),  # valid signature over another body
    ]
    for headers in attempts:
        answer = await client.post(url, content=body, headers=headers)
        assert answer.status_code == 401, answer.text
        assert "Traceback" not in answer.text
    assert await query(client, "SELECT failures FROM sources") == len(attempts)
    assert await query(client, "SELECT count(*) FROM source_payloads") == 0
    assert await counts(client) == (0, 0, 0)


async def test_unknown_sources_huge_deep_and_non_json_bodies_are_refused(client) -> None:
    source = await github_source(client)
    unknown = await client.post("/hooks/in/src_nope", content=b"{}", headers=signed(b"{}"))
    assert unknown.status_code == 404 and "Traceback" not in unknown.text
    url = f"/hooks/in/{source['id']}"
    huge = b'{"a":"' + b"x" * (10 * 1024 * 1024) + b'"}'
    assert (await client.post(url, content=huge, headers=signed(huge))).status_code == 413
    deep = b"[" * 10_000 + b"]" * 10_000
    answer = await client.post(url, content=deep, headers=signed(deep))
    assert answer.status_code == 400 and "nested" in answer.text
    text = b"action=closed"
    answer = await client.post(url, content=text, headers=signed(text))
    assert answer.status_code == 400 and "not JSON" in answer.text
    assert await query(client, "SELECT count(*) FROM source_payloads") == 0
    assert await counts(client) == (0, 0, 0)


async def test_filtered_and_unmappable_payloads_answer_200_and_are_logged(client) -> None:
    source = await github_source(client)
    url = f"/hooks/in/{source['id']}"
    opened = payload(action="opened")
    answer = await client.post(url, content=opened, headers=signed(opened, "d-1"))
    assert (answer.status_code, answer.json()["decision"]) == (200, "filtered")
    numeric = payload(user={"id": 42})
    answer = await client.post(url, content=numeric, headers=signed(numeric, "d-2"))
    assert answer.json()["decision"] == "mapping_error"
    assert "contact_id" in answer.json()["reason"] and "user.id" in answer.json()["reason"]
    missing = payload(user={})
    answer = await client.post(url, content=missing, headers=signed(missing, "d-3"))
    assert "gave nothing" in answer.json()["reason"]
    assert len(await log_rows(client)) == 3
    assert await counts(client) == (0, 0, 0)


async def test_dry_run_replay_and_mapping_edit_through_the_api(client) -> None:
    source = await github_source(client, allow_list=["action", "issue", "user.id", "user.email"])
    admin = await api_key(client, "admin")
    base = f"/api/v1/sources/{source['id']}"
    dry = await client.post(base + "/test", json=json.loads(payload()), headers=admin)
    assert dry.status_code == 200 and dry.json()["decision"] == "scheduled"
    assert dry.json()["mapped"]["contact"]["id"] == "u1"
    assert await counts(client) == (0, 0, 0)

    numeric = payload(user={"id": 42, "email": "ana@example.com"})
    url = f"/hooks/in/{source['id']}"
    await client.post(url, content=numeric, headers=signed(numeric))
    fixed = await client.put(
        base + "/mapping", json={**MAPPING, "contact_id": "to_string(user.id)"}, headers=admin
    )
    assert fixed.status_code == 200, fixed.text
    broken = await client.put(base + "/mapping", json={**MAPPING, "filter": "a[["}, headers=admin)
    assert broken.status_code == 400 and "filter" in broken.text
    typo = await client.put(base + "/mapping", json={**MAPPING, "contactid": "x"}, headers=admin)
    assert typo.status_code == 400 and "contactid" in typo.text
    gone = await client.get("/api/v1/sources/src_nope/payloads", headers=admin)
    assert gone.status_code == 404
    [entry] = (await client.get(base + "/payloads", headers=admin)).json()["items"]
    assert entry["decision"] == "mapping_error"
    replayed = await client.post(base + f"/payloads/{entry['id']}/replay", headers=admin)
    assert replayed.json()["decision"] == "scheduled", replayed.text
    assert await counts(client) == (1, 1, 1)


async def test_the_sources_api_checks_input_and_scope(client) -> None:
    await setup(client)
    admin = await api_key(client, "admin")
    events = await api_key(client, "events:write")
    body = {"name": "Stripe", "type": "stripe", "checkpoint": "order_delivered"}
    assert (await client.post("/api/v1/sources", json=body, headers=events)).status_code == 403
    no_secret = await client.post("/api/v1/sources", json=body, headers=admin)
    assert no_secret.status_code == 400 and "secret" in no_secret.text
    bad_type = await client.post("/api/v1/sources", json={**body, "type": "x"}, headers=admin)
    assert bad_type.status_code == 400 and "type" in bad_type.text
    unknown = await client.post("/api/v1/sources", json={**body, "colour": 1}, headers=admin)
    assert unknown.status_code == 400 and "colour" in unknown.text
    bad_map = await client.post(
        "/api/v1/sources",
        json={**body, "secret": "whsec_x1234567", "mapping": {"contact_id": "a[["}},
        headers=admin,
    )
    assert bad_map.status_code == 400 and "mapping.contact_id" in bad_map.text
    made = await client.post(
        "/api/v1/sources", json={**body, "secret": "whsec_abcdefgh"}, headers=admin
    )
    assert made.status_code == 201
    listed = (await client.get("/api/v1/sources", headers=admin)).json()["items"]
    assert [s["id"] for s in listed] == [made.json()["id"]]
    assert "secret" not in listed[0] and "whsec_abcdefgh" not in json.dumps(listed)
    assert (await client.get("/api/v1/sources/src_nope", headers=admin)).status_code == 404


async def test_stripe_default_mapping_fires_on_invoice_paid(client) -> None:
    await setup(client)
    admin = await api_key(client, "admin")
    secret = "whsec_stripe_test"
    created = await client.post(
        "/api/v1/sources",
        json={
            "name": "Stripe",
            "type": "stripe",
            "checkpoint": "order_delivered",
            "secret": secret,
        },
        headers=admin,
    )
    event = {
        "id": "evt_1",
        "type": "invoice.paid",
        "data": {
            "object": {
                "id": "in_1",
                "customer": "cus_1",
                "customer_email": "ana@example.com",
                "amount_paid": 1200,
                "currency": "eur",
            }
        },
    }
    body = json.dumps(event).encode()
    stamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"Stripe-Signature": f"t={stamp},v1={digest}"}
    answer = await client.post(f"/hooks/in/{created.json()['id']}", content=body, headers=headers)
    assert answer.json()["decision"] == "scheduled", answer.text
    old = stamp - 600
    digest = hmac.new(secret.encode(), f"{old}.".encode() + body, hashlib.sha256).hexdigest()
    stale = await client.post(
        f"/hooks/in/{created.json()['id']}",
        content=body,
        headers={"Stripe-Signature": f"t={old},v1={digest}"},
    )
    assert stale.status_code == 401 and "tolerance" in stale.text
    assert await counts(client) == (1, 1, 1)


def test_the_cli_creates_a_source_and_prints_its_secret_once(tmp_path, capsys, monkeypatch) -> None:
    from surveyor.cli import main

    monkeypatch.setenv("SURVEYOR_DATABASE", str(tmp_path / "cli.db"))
    monkeypatch.setenv("SURVEYOR_BASE_URL", "https://s.example")
    assert main(["migrate"]) == 0
    args = ["sources", "create", "--name", "GH", "--type", "github", "--checkpoint", "x"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "url: https://s.example/hooks/in/src_" in out
    assert "secret (shown only once): " in out
    assert main([*args[:-1], "x", "--type", "stripe"]) != 0  # Stripe's secret must be pasted
