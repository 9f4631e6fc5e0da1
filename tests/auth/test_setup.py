"""The first-run link: it creates one admin, once, with no default password anywhere."""

from __future__ import annotations

import asyncio

from surveyor.auth import changes, store
from tests.auth.helpers import login_form_token, signed_in
from tests.conftest import app_services, in_app


async def setup_link(client) -> str:
    return await in_app(client, store.create_setup_token, app_services(client).db)


async def test_setup_link_creates_the_first_admin_and_then_stops_working(client) -> None:
    token = await setup_link(client)
    page = await client.get(f"/setup/{token}")
    assert page.status_code == 200
    form_token = await login_form_token(client)
    data = {
        "email": "Boss@Example.com",
        "name": "Boss",
        "password": "first admin password",
        "_csrf": form_token,
    }
    response = await client.post(f"/setup/{token}", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert signed_in(await client.get("/dashboard"))
    admin = await in_app(
        client, store.get_user_by_email, app_services(client).db, "boss@example.com"
    )
    assert admin.role == "admin"
    client.cookies.clear()
    assert (await client.get(f"/setup/{token}")).status_code == 404
    form_token = await login_form_token(client)
    again = await client.post(
        f"/setup/{token}", data={**data, "email": "two@example.com", "_csrf": form_token}
    )
    assert again.status_code == 404
    assert await in_app(client, store.count_admins, app_services(client).db) == 1


async def test_a_wrong_setup_token_is_404(client) -> None:
    await setup_link(client)
    assert (await client.get("/setup/not-the-token")).status_code == 404


async def test_two_submissions_of_one_setup_link_make_one_admin(db) -> None:
    token = await store.create_setup_token(db)
    results = await asyncio.gather(
        *(
            changes.create_first_admin(
                db, setup_token=token, email=f"a{n}@example.com", name="", password_hash="x", ip=""
            )
            for n in range(2)
        )
    )
    assert sum(r is not None for r in results) == 1
    assert await store.count_admins(db) == 1
    assert await store.check_setup_token(db, token) is False
