"""Server-side sessions: fixation, sign-out, disabling, restarts, cookie flags, CSRF."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from surveyor.app import create_app
from surveyor.auth import store
from surveyor.auth.guards import SESSION_COOKIE
from tests.auth.helpers import (
    HX,
    attempt_login,
    login_form_token,
    session_token,
    signed_in,
    use_session,
    user_by_id,
)
from tests.conftest import PASSWORD, app_services, in_app, login, make_user


async def count_sessions(client, user_id: str) -> int:
    return await in_app(client, store.count_sessions, app_services(client).db, user_id)


async def test_login_issues_a_new_session_id_and_a_planted_cookie_stays_invalid(client) -> None:
    user = await make_user(client, "designer")
    client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker", domain="surveyor.test", path="/")
    response = await attempt_login(client, user.email, PASSWORD)
    assert response.status_code == 303
    issued = session_token(client)
    assert issued != "planted-by-an-attacker"
    use_session(client, "planted-by-an-attacker")
    assert not signed_in(await client.get("/dashboard"))


async def test_a_known_session_id_is_replaced_at_login(client) -> None:
    """An attacker's own valid session, planted in a victim's browser, dies at the
    victim's sign-in instead of becoming the victim's session."""
    attacker = await make_user(client, "manager")
    victim = await make_user(client, "admin")
    await login(client, attacker)
    planted = session_token(client)
    client.cookies.clear()
    form_token = await login_form_token(client)
    client.cookies.set(SESSION_COOKIE, planted, domain="surveyor.test", path="/")
    response = await client.post(
        "/login",
        data={"email": victim.email, "password": PASSWORD, "_csrf": form_token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    victims = session_token(client)
    assert victims != planted
    use_session(client, planted)
    assert not signed_in(await client.get("/dashboard"))
    use_session(client, victims)
    page = await client.get("/dashboard")
    assert signed_in(page) and victim.email in page.text


async def test_logout_ends_the_session(client) -> None:
    user = await make_user(client, "designer")
    csrf = await login(client, user)
    token = session_token(client)
    response = await client.post("/logout", data={"_csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert await count_sessions(client, user.id) == 0
    use_session(client, token)
    assert not signed_in(await client.get("/dashboard"))


async def test_logout_needs_the_csrf_token(client) -> None:
    user = await make_user(client, "designer")
    await login(client, user)
    response = await client.post("/logout", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert await count_sessions(client, user.id) == 1


async def test_disabling_a_user_ends_all_their_sessions_at_once(client) -> None:
    user = await make_user(client, "manager")
    tokens = []
    for _ in range(2):  # two browsers
        client.cookies.clear()
        await login(client, user)
        tokens.append(session_token(client))
    assert await count_sessions(client, user.id) == 2
    client.cookies.clear()
    admin = await make_user(client, "admin")
    csrf = await login(client, admin)
    response = await client.post(
        f"/settings/users/{user.id}/disable", data={"_csrf": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    assert await count_sessions(client, user.id) == 0
    for token in tokens:
        use_session(client, token)
        assert not signed_in(await client.get("/dashboard"))
    assert (await user_by_id(client, user.id)).disabled  # type: ignore[union-attr]


async def test_sessions_survive_an_app_restart(settings) -> None:
    first = create_app(settings)
    async with AsyncTestClient(app=first, base_url="http://surveyor.test") as client:
        user = await make_user(client, "designer")
        await login(client, user)
        token = session_token(client)
    second = create_app(settings)  # a new process, in effect: same database, new app
    async with AsyncTestClient(app=second, base_url="http://surveyor.test") as client:
        use_session(client, token)
        page = await client.get("/dashboard")
        assert signed_in(page) and user.email in page.text


def session_set_cookie(response) -> str:
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)]
    assert len(cookies) == 1, cookies
    return cookies[0].lower()


async def test_session_cookie_is_httponly_and_samesite_lax(client) -> None:
    user = await make_user(client, "designer")
    response = await attempt_login(client, user.email, PASSWORD)
    cookie = session_set_cookie(response)
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # plain-http base_url: a Secure cookie would never come back


async def test_session_cookie_is_secure_when_base_url_is_https(make_settings) -> None:
    app = create_app(make_settings(base_url="https://surveyor.test"))
    async with AsyncTestClient(app=app, base_url="https://surveyor.test") as client:
        user = await make_user(client, "designer")
        response = await attempt_login(client, user.email, PASSWORD)
        assert response.status_code == 303
        cookie = session_set_cookie(response)
        assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


async def test_staff_post_without_csrf_token_is_refused_and_changes_nothing(client) -> None:
    user = await make_user(client, "designer")
    await login(client, user)
    response = await client.post("/settings/profile", data={"name": "Changed"})
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert (await user_by_id(client, user.id)).name == user.name  # type: ignore[union-attr]


async def test_staff_post_with_a_wrong_csrf_token_is_refused(client) -> None:
    user = await make_user(client, "designer")
    await login(client, user)
    for attempt in (
        {"data": {"name": "Changed", "_csrf": "not-the-token"}},
        {"data": {"name": "Changed"}, "headers": {**HX, "X-CSRF-Token": "not-the-token"}},
    ):
        response = await client.post("/settings/profile", **attempt)
        assert response.status_code == 403
    assert (await user_by_id(client, user.id)).name == user.name  # type: ignore[union-attr]


async def test_csrf_token_of_another_session_is_refused(client) -> None:
    other = await make_user(client, "designer")
    others_token = await login(client, other)
    client.cookies.clear()
    user = await make_user(client, "designer")
    await login(client, user)
    response = await client.post("/settings/profile", data={"name": "X", "_csrf": others_token})
    assert response.status_code == 403


async def test_htmx_sends_the_csrf_token_as_a_header(client) -> None:
    user = await make_user(client, "designer")
    csrf = await login(client, user)
    page = await client.get("/settings")
    assert f'hx-headers=\'{{"X-CSRF-Token": "{csrf}"}}\'' in page.text
    response = await client.post(
        "/settings/profile",
        data={"name": "Via htmx", "locale": "", "notify_url": ""},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert response.status_code == 200
    assert "<html" not in response.text  # a fragment
    assert (await user_by_id(client, user.id)).name == "Via htmx"  # type: ignore[union-attr]
