"""Erasing a contact: every table is read afterwards for traces of them, the metrics do
not move, later events are suppressed, and bad requests change nothing."""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.auth import store as auth_store
from surveyor.db import Tx
from surveyor.delivery.store import enqueue_job
from tests.conftest import api_key, app_services, in_app, login, make_user
from tests.records.helpers import ERIN, ERIN_COMMENT, seed

NEEDLES = (ERIN["email"], ERIN["phone"], ERIN["name"], ERIN_COMMENT, "Quixotic", "parcel came late")


async def all_tables(client) -> list[str]:
    db = app_services(client).db
    if db.backend == "postgresql":
        rows = await in_app(
            client,
            db.fetch_all,
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
    else:
        rows = await in_app(
            client, db.fetch_all, "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    return sorted(r["name"] for r in rows)


async def traces(client) -> list[tuple[str, str]]:
    """(table, needle) for every needle found anywhere in any row of any table."""
    db = app_services(client).db
    found = []
    for table in await all_tables(client):
        rows = await in_app(client, db.fetch_all, f'SELECT * FROM "{table}"')
        text = repr(rows).lower()
        # FTS5 keeps its index as blobs: read them as text too.
        for row in rows:
            for value in row.values():
                if isinstance(value, bytes | bytearray | memoryview):
                    text += bytes(value).decode("utf-8", "replace").lower()
        for needle in NEEDLES:
            if needle.lower() in text:
                found.append((table, needle))
    return found


async def metrics(client, key) -> Any:
    answer = await client.get(
        "/api/v1/metrics", params={"from": "2025-01-01", "to": "2027-12-31"}, headers=key
    )
    assert answer.status_code == 200, answer.text
    return {k: v for k, v in answer.json().items() if k in ("nps", "ces", "csat", "emotion")}


async def test_erasing_a_contact_leaves_no_trace_and_keeps_the_metrics(client) -> None:
    world = await seed(client)
    admin = await api_key(client, "admin")
    svc = app_services(client)
    db = svc.db
    late = world.responses["erin_late"]

    # Put their data where it tends to hide: an audit entry, a webhook-like job payload,
    # a failed delivery's error.
    async def hide(tx: Tx) -> None:
        await auth_store.audit(
            tx,
            "contact.note",
            target_type="contact",
            target_id=world.erin.id,
            detail={"email": ERIN["email"]},
        )
        await enqueue_job(
            tx,
            "hook.response_completed",
            {"contact": {"id": world.erin.id, "email": ERIN["email"]}, "comment": ERIN_COMMENT},
        )
        await tx.execute(
            "UPDATE jobs SET last_error = ? WHERE kind = 'invitation.send'",
            (f"550 mailbox {ERIN['email']} unavailable",),
        )

    await in_app(client, db.write, hide)
    assert await traces(client), "the seed should have put Erin's data in the tables"
    before = await metrics(client, admin)
    assert before["nps"]["n"] == 5

    answer = await client.delete(f"/api/v1/contacts/{world.erin.id}", headers=admin)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["responses"] == 3 and report["invitations"] == 4

    assert await traces(client) == []
    after = await metrics(client, admin)
    assert msgspec.json.encode(after) == msgspec.json.encode(before)
    # Scores stay on the anonymised responses; the contact row stays, blank.
    detail = (await client.get(f"/api/v1/responses/{late.id}", headers=admin)).json()
    assert detail["nps"] == 2 and detail["contact_external_id"] == "cus_erin"
    contact = (await client.get(f"/api/v1/contacts/{world.erin.id}", headers=admin)).json()
    assert contact["email"] == contact["name"] == contact["phone"] == ""
    assert contact["erased_at"]
    # The pending invitation is expired and its job cancelled.
    rows = await in_app(
        client,
        db.fetch_all,
        "SELECT i.status, j.status AS job FROM invitations i JOIN jobs j ON j.subject_id = i.id"
        " WHERE i.event_id IS NOT NULL",
    )
    assert rows == [{"status": "expired", "job": "cancelled"}]
    # Search no longer finds them.
    found = await client.get("/api/v1/responses", params={"q": "parcel"}, headers=admin)
    assert found.json()["items"] == []
    # Who erased whom and when, without what.
    entries = await in_app(
        client,
        db.fetch_all,
        "SELECT actor, target_id, detail FROM audit_log WHERE action = 'contact.erase'",
    )
    assert len(entries) == 1 and entries[0]["target_id"] == world.erin.id
    assert entries[0]["actor"].startswith("api:")
    # A later event for the same external id is suppressed as erased.
    again = await client.post(
        "/api/v1/events",
        json={"checkpoint": "order_delivered", "contact": ERIN},
        headers=world.events_key,
    )
    assert again.status_code == 202
    assert again.json()["decision"] == "suppressed"
    assert again.json()["reason"].startswith("erased")
    assert await traces(client) == []


async def test_erasing_an_unknown_or_erased_contact_changes_nothing(client) -> None:
    world = await seed(client)
    admin = await api_key(client, "admin")
    read = await api_key(client, "read")
    assert (await client.delete("/api/v1/contacts/nope", headers=admin)).status_code == 404
    assert (
        await client.delete(f"/api/v1/contacts/{world.erin.id}", headers=read)
    ).status_code == 403
    assert (
        await client.delete(f"/api/v1/contacts/{world.erin.id}", headers=admin)
    ).status_code == 200
    db = app_services(client).db
    audit_before = await in_app(client, db.fetch_val, "SELECT count(*) FROM audit_log")
    second = await client.delete(f"/api/v1/contacts/{world.erin.id}", headers=admin)
    assert second.status_code == 409
    assert "already erased" in second.text
    assert await in_app(client, db.fetch_val, "SELECT count(*) FROM audit_log") == audit_before


async def test_the_admin_erases_from_the_contact_page(client) -> None:
    world = await seed(client)
    designer = await make_user(client, "designer")
    await login(client, designer)
    page = await client.get(f"/contacts/{world.erin.id}")
    assert page.status_code == 200 and "Erase personal data" not in page.text
    client.cookies.clear()
    admin = await make_user(client, "admin")
    csrf = await login(client, admin)
    page = await client.get(f"/contacts/{world.erin.id}")
    assert "Erase personal data" in page.text and "confirm(" in page.text
    assert ERIN["email"] in page.text
    unconfirmed = await client.post(
        f"/contacts/{world.erin.id}/erase", data={"_csrf": csrf}, follow_redirects=False
    )
    assert unconfirmed.status_code == 400
    done = await client.post(
        f"/contacts/{world.erin.id}/erase",
        data={"_csrf": csrf, "confirm": world.erin.id},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = await client.get(f"/contacts/{world.erin.id}")
    assert ERIN["email"] not in page.text and "erased" in page.text
    assert await traces(client) == []


async def test_an_erased_external_id_is_surveyed_again_only_once_re_created(client) -> None:
    world = await seed(client)
    admin = await api_key(client, "admin")
    read = await api_key(client, "read")
    assert (
        await client.delete(f"/api/v1/contacts/{world.erin.id}", headers=admin)
    ).status_code == 200

    async def fire() -> dict:
        answer = await client.post(
            "/api/v1/events",
            json={"checkpoint": "order_delivered", "contact": ERIN},
            headers=world.events_key,
        )
        assert answer.status_code == 202, answer.text
        return answer.json()

    assert (await fire())["reason"].startswith("erased")
    body = {"external_id": ERIN["id"]}
    refused = await client.post("/api/v1/contacts/recreate", json=body, headers=read)
    assert refused.status_code == 403
    assert (await fire())["reason"].startswith("erased")

    made = await client.post("/api/v1/contacts/recreate", json=body, headers=admin)
    assert made.status_code == 201, made.text
    done = made.json()
    assert done["erased_contact_id"] == world.erin.id and done["contact_id"] != world.erin.id
    assert (await fire())["decision"] == "scheduled"
    # The erased contact stays erased and anonymised, under a name of its own; the new
    # one holds what the event brought.
    old = (await client.get(f"/api/v1/contacts/{world.erin.id}", headers=admin)).json()
    assert (
        old["erased_at"] and old["email"] == "" and old["external_id"] == f"erased:{world.erin.id}"
    )
    new = (await client.get(f"/api/v1/contacts/{done['contact_id']}", headers=admin)).json()
    assert new["external_id"] == ERIN["id"] and new["email"] == ERIN["email"]
    assert not new["erased_at"]
    # Twice, unknown ids and bad bodies: clear errors, nothing changed.
    again = await client.post("/api/v1/contacts/recreate", json=body, headers=admin)
    assert again.status_code == 409 and "not erased" in again.text
    unknown = await client.post(
        "/api/v1/contacts/recreate", json={"external_id": "cus_nobody"}, headers=admin
    )
    assert unknown.status_code == 404 and "external_id" in unknown.text
    for bad in ({}, {"external_id": ""}, {"external_id": ERIN["id"], "email": "x@y.z"}):
        answer = await client.post("/api/v1/contacts/recreate", json=bad, headers=admin)
        assert answer.status_code == 400, (bad, answer.text)
        assert answer.json()["errors"][0]["field"].startswith(("external_id", "email")), answer.text
    entries = await in_app(
        client,
        app_services(client).db.fetch_all,
        "SELECT actor, target_id FROM audit_log WHERE action = 'contact.recreate'",
    )
    assert entries == [{"actor": entries[0]["actor"], "target_id": done["contact_id"]}]
