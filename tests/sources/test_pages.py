"""The sources pages: admins only, the secret shown once, the dry-run box, replay."""

from __future__ import annotations

import json

from tests.checkpoints.test_events_api import counts, setup
from tests.conftest import login, make_user
from tests.sources.test_inbound import payload, signed


async def test_admin_creates_a_source_sees_secret_once_and_tests_the_mapping(client) -> None:
    await setup(client)
    csrf = await login(client, await make_user(client, "admin"))
    form = await client.get("/sources/new")
    assert form.status_code == 200 and "order_delivered" in form.text
    made = await client.post(
        "/sources",
        data={"_csrf": csrf, "name": "GH", "type": "github", "checkpoint": "order_delivered"},
    )
    assert made.status_code == 201, made.text
    assert "shown only once" in made.text and "/hooks/in/src_" in made.text
    source_id = made.text.split("/hooks/in/")[1].split('"')[0]
    page = await client.get(f"/sources/{source_id}")
    assert "shown only once" not in page.text and "Test the mapping" in page.text
    assert (await client.get("/sources")).text.count(source_id) >= 1

    sample = json.dumps({"action": "closed", "issue": {"id": 5, "number": 1, "user": {"id": 9}}})
    dry = await client.post(
        f"/sources/{source_id}/test", data={"sample": sample}, headers={"X-CSRF-Token": csrf}
    )
    assert dry.status_code == 200 and "no_address" in dry.text and "Dry run" in dry.text
    bad = await client.post(
        f"/sources/{source_id}/test", data={"sample": "nope"}, headers={"X-CSRF-Token": csrf}
    )
    assert "not JSON" in bad.text
    assert await counts(client) == (0, 0, 0)

    wrong = await client.post(
        f"/sources/{source_id}/mapping", data={"_csrf": csrf, "contact_id": "a[["}
    )
    assert wrong.status_code == 422 and "contact_id" in wrong.text


async def test_non_admins_cannot_see_sources(client) -> None:
    await login(client, await make_user(client, "manager"))
    for path in ("/sources", "/sources/new"):
        assert (await client.get(path, follow_redirects=False)).status_code == 403


async def test_replay_from_the_page(client) -> None:
    from tests.sources.test_inbound import github_source

    source = await github_source(client, allow_list=["action", "issue", "user"])
    body = payload(user={"id": 42, "email": "ana@example.com"})
    await client.post(f"/hooks/in/{source['id']}", content=body, headers=signed(body))
    csrf = await login(client, await make_user(client, "admin"))
    page = await client.get(f"/sources/{source['id']}")
    assert "mapping_error" in page.text
    await client.post(
        f"/sources/{source['id']}/mapping",
        data={
            "_csrf": csrf,
            "contact_id": "to_string(user.id)",
            "email": "user.email",
            "filter": "action == 'closed'",
        },
    )
    entry = page.text.split("/payloads/")[1].split("/replay")[0]
    replay = await client.post(
        f"/sources/{source['id']}/payloads/{entry}/replay",
        data={"_csrf": csrf},
        follow_redirects=False,
    )
    assert replay.status_code == 303
    assert await counts(client) == (1, 1, 1)
