"""Signing in: passwords, redirects after sign-in, throttling, and the Host header."""

from __future__ import annotations

import secrets

import pytest
from litestar.testing import AsyncTestClient

from surveyor.app import create_app
from surveyor.auth import store
from surveyor.auth.passwords import hash_password
from surveyor.auth.throttle import MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, PAIR_FREE
from surveyor.auth.views import safe_next
from tests.auth.helpers import attempt_login, audit_actions, signed_in
from tests.conftest import PASSWORD, app_services, in_app, login, make_user


async def user_with_password(client, password: str, role: str = "designer"):
    email = f"{role}-{secrets.token_hex(3)}@example.com"
    password_hash = await hash_password(password)
    return await in_app(
        client,
        lambda: store.create_user(
            app_services(client).db, email=email, role=role, password_hash=password_hash
        ),
    )


async def test_login_succeeds_with_the_right_password(client) -> None:
    user = await make_user(client, "designer")
    await login(client, user)
    page = await client.get("/dashboard")
    assert signed_in(page)
    assert user.email in page.text
    assert ("login", user.id) in [(a, t) for a, t, _ in await audit_actions(client)]


async def test_login_fails_with_a_wrong_password_and_is_audited(client) -> None:
    user = await make_user(client, "designer")
    response = await attempt_login(client, user.email, "wrong password here")
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    assert "surveyor_session" not in response.headers.get("set-cookie", "")
    assert not signed_in(await client.get("/dashboard"))
    assert ("login.failed", user.email) in [(a, t) for a, t, _ in await audit_actions(client)]


async def test_unknown_email_answers_like_a_wrong_password(client) -> None:
    response = await attempt_login(client, "nobody@example.com", "some password 123")
    assert response.status_code == 401
    assert "Wrong email or password" in response.text


async def test_disabled_user_cannot_sign_in(client) -> None:
    user = await make_user(client, "manager")
    await in_app(client, lambda: store.update_user(app_services(client).db, user.id, disabled=True))
    response = await attempt_login(client, user.email, PASSWORD)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/settings", "/settings"),
        ("/surveys?page=2", "/surveys?page=2"),
        ("//evil.com", "/"),
        ("//evil.com/settings", "/"),
        ("/\\evil.com", "/"),
        ("/\t/evil.com", "/"),
        ("/\n/evil.com", "/"),
        ("https://evil.com", "/"),
        ("javascript:alert(1)", "/"),
        ("evil.com", "/"),
        ("", "/"),
    ],
)
def test_safe_next_only_allows_same_site_paths(target: str, expected: str) -> None:
    assert safe_next(target) == expected


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com/x", "/\\evil.com"])
async def test_login_does_not_follow_next_to_another_site(client, target: str) -> None:
    user = await make_user(client, "designer")
    response = await attempt_login(client, user.email, PASSWORD, next_=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    # Already signed in, the login page's own redirect is just as careful.
    again = await client.get("/login", params={"next": target}, follow_redirects=False)
    assert again.headers["location"] == "/"


async def test_login_follows_next_within_the_site(client) -> None:
    user = await make_user(client, "designer")
    response = await attempt_login(client, user.email, PASSWORD, next_="/settings")
    assert response.headers["location"] == "/settings"


async def test_password_of_4096_characters_works(client) -> None:
    password = "ü" + "p" * 4095
    user = await user_with_password(client, password)
    response = await attempt_login(client, user.email, password)
    assert response.status_code == 303
    assert signed_in(await client.get("/dashboard"))


async def test_password_of_4097_characters_is_refused_naming_password(client) -> None:
    user = await make_user(client, "designer")
    response = await attempt_login(client, user.email, "p" * 4097)
    assert response.status_code == 422
    assert "password" in response.text
    assert "4096" in response.text


async def test_passwords_equal_in_their_first_72_bytes_are_not_interchangeable(client) -> None:
    # bcrypt would cut both at 72 bytes and take one for the other; argon2id must not.
    common = "a" * 72
    user = await user_with_password(client, common + "first")
    response = await attempt_login(client, user.email, common + "second")
    assert response.status_code == 401
    response = await attempt_login(client, user.email, common + "first")
    assert response.status_code == 303


def rotating_forwarded_for(n: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"203.0.113.{n % 250 + 1}, 198.51.100.{n % 200 + 1}"}


async def test_failures_from_one_source_slow_that_source_down(client) -> None:
    user = await make_user(client, "designer")
    for n in range(PAIR_FREE):
        response = await attempt_login(
            client, user.email, f"wrong password {n}", headers=rotating_forwarded_for(n)
        )
        assert response.status_code == 401
    # A new X-Forwarded-For does not make a new client of the attacker (no trusted proxy):
    # even the right password waits out the growing delay.
    response = await attempt_login(client, user.email, PASSWORD, headers=rotating_forwarded_for(99))
    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    assert int(response.headers["retry-after"]) >= 1
    assert not signed_in(await client.get("/dashboard"))
    assert "login.throttled" in [a for a, _, _ in await audit_actions(client)]


async def test_nobody_can_lock_a_named_account_from_outside(make_settings) -> None:
    """Issue 18: five wrong passwords from an attacker's address used to lock the real
    user out for 15 minutes. Now the attacker's source is slowed; the user is not."""
    app = create_app(make_settings(trusted_proxies="testclient"))
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
        user = await make_user(client, "designer")
        attacker = {"X-Forwarded-For": "203.0.113.9"}
        statuses = [
            (
                await attempt_login(client, user.email, f"wrong password {n}", headers=attacker)
            ).status_code
            for n in range(MAX_FAILURES_PER_ACCOUNT)
        ]
        assert statuses[:PAIR_FREE] == [401] * PAIR_FREE and 429 in statuses
        real = await attempt_login(
            client, user.email, PASSWORD, headers={"X-Forwarded-For": "198.51.100.20"}
        )
        assert real.status_code == 303


@pytest.mark.parametrize("trusted_proxies", ["", "10.9.8.7", "testclient"])
async def test_rotating_forwarded_for_does_not_reset_the_address_limit(
    make_settings, trusted_proxies: str
) -> None:
    """Empty or unrelated trusted proxies: the header is ignored. With the test client's
    peer as the trusted proxy, the proxy's own (right-most) hop is believed, and the
    attacker's rotating left-hand part changes nothing."""
    app = create_app(make_settings(trusted_proxies=trusted_proxies))
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
        user = await make_user(client, "designer")
        for n in range(MAX_FAILURES_PER_ADDRESS):
            headers = {"X-Forwarded-For": f"192.0.2.{n + 1}, 198.51.100.7"}
            response = await attempt_login(
                client, f"spray{n}@example.com", "wrong password", headers=headers
            )
            assert response.status_code == 401
        headers = {"X-Forwarded-For": "192.0.2.200, 198.51.100.7"}
        response = await attempt_login(client, user.email, PASSWORD, headers=headers)
        # The account itself has no failure at all: the address limit refused this.
        assert response.status_code == 429


async def test_host_header_never_reaches_a_link(client) -> None:
    evil = {"Host": "evil.example"}
    login_page = await client.get("/login", headers=evil)
    assert "evil.example" not in login_page.text
    admin = await make_user(client, "admin")
    token = await login(client, admin)
    created = await client.post(
        "/settings/apikeys",
        data={"name": "shop", "scopes": ["read"], "_csrf": token},
        headers=evil,
    )
    assert created.status_code == 200
    assert "http://surveyor.test/api/v1/whoami" in created.text  # built from base_url
    for path in ["/settings", "/settings/users", "/settings/apikeys", "/settings/audit", "/"]:
        response = await client.get(path, headers=evil, follow_redirects=False)
        assert "evil.example" not in response.text, path
        assert "evil.example" not in response.headers.get("location", ""), path
    client.cookies.clear()
    response = await client.get("/settings", headers=evil, follow_redirects=False)
    assert response.status_code == 303
    assert "evil.example" not in response.headers["location"]
