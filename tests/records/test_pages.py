"""The response feed and contact pages, and who sees what on them: a manager sees only
their own accounts' records, on the page, the htmx fragment, the export and the API."""

from __future__ import annotations

from surveyor.db import Tx
from tests.conftest import app_services, in_app, login, make_user
from tests.records.helpers import CJK_COMMENT, ERIN, seed

HX = {"HX-Request": "true"}


async def test_the_feed_shows_badges_comments_filters_and_pages(client) -> None:
    world = await seed(client)
    designer = await make_user(client, "designer")
    await login(client, designer)
    page = await client.get("/responses")
    assert page.status_code == 200
    assert "NPS 2" in page.text and "parcel came late" in page.text
    assert CJK_COMMENT in page.text
    assert 'hx-get="/responses"' in page.text
    rows = await client.get("/responses", params={"q": "包装"}, headers=HX)
    assert rows.status_code == 200 and "<html" not in rows.text
    assert CJK_COMMENT in rows.text and "parcel" not in rows.text
    detractors = await client.get("/responses", params={"nps": "detractor"}, headers=HX)
    assert "NPS 2" in detractors.text and "NPS 9" not in detractors.text
    bad = await client.get("/responses", params={"q": "a\x00"})
    assert bad.status_code == 400
    long = await client.get("/responses", params={"q": "x" * 10_000})
    assert long.status_code == 400
    one = await client.get(f"/responses/{world.responses['erin_late'].id}")
    assert one.status_code == 200
    assert "cus_erin" in one.text and "Earlier responses" not in one.text
    later = await client.get(f"/responses/{world.responses['erin_plain'].id}")
    assert "Earlier responses of this contact" in later.text


async def test_saved_filters_belong_to_their_user(client) -> None:
    await seed(client)
    designer = await make_user(client, "designer")
    csrf = await login(client, designer)
    saved = await client.post(
        "/responses/filters",
        data={"_csrf": csrf, "name": "Unhappy", "query": "nps=detractor&q=late"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = await client.get("/responses")
    assert "Unhappy" in page.text and "nps=detractor" in page.text
    refused = await client.post(
        "/responses/filters",
        data={"_csrf": csrf, "name": "Bad", "query": "nps=awesome"},
        follow_redirects=False,
    )
    assert refused.status_code == 400 and "nps" in refused.text
    client.cookies.clear()
    other = await make_user(client, "designer")
    await login(client, other)
    assert "Unhappy" not in (await client.get("/responses")).text


async def test_a_manager_sees_only_their_own_accounts(client) -> None:
    world = await seed(client)
    bob_response = world.responses["bob_happy"].id
    erin_response = world.responses["erin_late"].id
    # Bob's account is managed by other@example.com.
    mine = await make_user(client, "manager", email="other@example.com")
    await login(client, mine)
    feed = await client.get("/responses")
    assert "100% happy_customer" in feed.text and "parcel" not in feed.text
    fragment = await client.get("/responses", params={"q": "parcel"}, headers=HX)
    assert "parcel" not in fragment.text
    assert (await client.get(f"/responses/{bob_response}")).status_code == 200
    assert (await client.get(f"/responses/{erin_response}")).status_code == 404
    assert (await client.get(f"/responses/{erin_response}", headers=HX)).status_code == 404
    assert (await client.get(f"/contacts/{world.bob.id}")).status_code == 200
    assert (await client.get(f"/contacts/{world.erin.id}")).status_code == 404
    contacts = await client.get("/contacts")
    assert "cus_bob" in contacts.text and "cus_erin" not in contacts.text
    assert "cus_erin" not in (await client.get("/contacts", params={"q": "cus"}, headers=HX)).text
    # Exports are for admins and designers, whatever the record.
    assert (await client.get("/dashboard/export")).status_code == 403
    assert (await client.get(f"/contacts/{world.bob.id}/export")).status_code == 403
    # The API takes keys, never a staff session.
    assert (await client.get(f"/api/v1/responses/{bob_response}")).status_code == 401
    assert (await client.get(f"/api/v1/contacts/{world.bob.id}/export")).status_code == 401

    client.cookies.clear()
    stranger = await make_user(client, "manager")
    await login(client, stranger)
    assert (await client.get(f"/responses/{bob_response}")).status_code == 404
    assert "happy_customer" not in (await client.get("/responses", headers=HX)).text
    assert (await client.get(f"/contacts/{world.bob.id}")).status_code == 404
    assert ERIN["email"] not in (await client.get("/contacts")).text


async def test_a_manager_sees_the_records_of_their_own_cases(client) -> None:
    world = await seed(client)
    manager = await make_user(client, "manager")
    db = app_services(client).db

    async def own(tx: Tx) -> None:
        await tx.execute(
            "INSERT INTO followups (id, response_id, contact_id, survey_id, priority, due_at,"
            " warn_at, assignee_id, created_at, updated_at)"
            " VALUES ('case-1', ?, ?, ?, 'high', '2030-01-01', '2030-01-01', ?, ?, ?)",
            (
                world.responses["erin_late"].id,
                world.erin.id,
                world.version.survey_id,
                manager.id,
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z",
            ),
        )

    if not await in_app(
        client,
        db.fetch_val,
        "SELECT 1 FROM followups WHERE response_id = ?",
        (world.responses["erin_late"].id,),
    ):
        await in_app(client, db.write, own)
    else:
        await in_app(
            client,
            db.write,
            lambda tx: tx.execute(
                "UPDATE followups SET assignee_id = ? WHERE response_id = ?",
                (manager.id, world.responses["erin_late"].id),
            ),
        )
    await login(client, manager)
    assert (await client.get(f"/responses/{world.responses['erin_late'].id}")).status_code == 200
    assert (await client.get(f"/contacts/{world.erin.id}")).status_code == 200
    assert (await client.get(f"/responses/{world.responses['bob_happy'].id}")).status_code == 404


async def test_the_feed_export_follows_the_filters_and_is_not_for_managers(client) -> None:
    world = await seed(client)
    designer = await make_user(client, "designer")
    await login(client, designer)
    assert "/responses/export?" in (await client.get("/responses")).text
    csv = await client.get("/responses/export", params={"q": "parcel"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert world.responses["erin_late"].id in csv.text
    assert world.responses["bob_happy"].id not in csv.text
    data = (
        await client.get("/responses/export", params={"nps": "promoter", "format": "json"})
    ).json()
    assert {item["response_id"] for item in data} == {
        world.responses["erin_plain"].id,
        world.responses["bob_happy"].id,
    }
    assert (await client.get("/responses/export", params={"format": "xml"})).status_code == 400
    assert (await client.get("/responses/export", params={"nps": "x"})).status_code == 400
    client.cookies.clear()
    manager = await make_user(client, "manager", email="other@example.com")
    await login(client, manager)
    assert "/responses/export?" not in (await client.get("/responses")).text
    assert (await client.get("/responses/export")).status_code == 403
