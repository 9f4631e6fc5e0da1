"""The settings pages: profile, password, users, API keys and the audit log.

Each action is driven both ways a browser can: a plain form post (no JavaScript,
answered with a redirect) and an htmx request (answered with a fragment).
"""

from __future__ import annotations

import logging
import re

import pytest

from surveyor.auth import changes, store
from tests.auth.helpers import (
    HX,
    attempt_login,
    audit_actions,
    session_token,
    signed_in,
    use_session,
    user_by_id,
)
from tests.conftest import PASSWORD, app_services, in_app, login, make_user

XSS = '<script>alert("x")</script>'


# -- profile -------------------------------------------------------------------


async def test_profile_update_without_javascript_redirects_and_saves(client) -> None:
    user = await make_user(client, "manager")
    csrf = await login(client, user)
    response = await client.post(
        "/settings/profile",
        data={
            "name": "Ana Manager",
            "locale": "zh_Hans",
            "notify_url": "ntfy://ana-alerts",
            "_csrf": csrf,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/settings?done=profile"
    saved = await user_by_id(client, user.id)
    assert (saved.name, saved.locale, saved.notify_url) == (
        "Ana Manager",
        "zh_Hans",
        "ntfy://ana-alerts",
    )
    page = await client.get("/settings?done=profile")
    assert 'value="ntfy://ana-alerts"' in page.text
    assert "profile.updated" in [a for a, _, _ in await audit_actions(client)]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"role": "admin"}, "role"),
        ({"disabled": "0"}, "disabled"),
        ({"email": "boss@example.com"}, "email"),
        ({"password_hash": "x"}, "password_hash"),
        ({"is_superuser": "1"}, "is_superuser"),
    ],
)
async def test_profile_update_with_a_smuggled_field_is_rejected_and_changes_nothing(
    client, extra: dict[str, str], field: str
) -> None:
    user = await make_user(client, "manager")
    csrf = await login(client, user)
    for headers in ({}, {**HX, "X-CSRF-Token": csrf}):
        response = await client.post(
            "/settings/profile",
            data={"name": "Changed", "locale": "", "notify_url": "", "_csrf": csrf, **extra},
            headers=headers,
        )
        assert response.status_code == 422
        assert f"`{field}`" in response.text
    saved = await user_by_id(client, user.id)
    assert saved == user


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"locale": "fr"}, "locale"),
        ({"notify_url": "not a url"}, "notify_url"),
        ({"notify_url": "nonsense://x"}, "notify_url"),
        ({"name": "x" * 201}, "name"),
        ({"name": "line\nbreak"}, "name"),
    ],
)
async def test_profile_values_are_validated(client, values: dict[str, str], field: str) -> None:
    user = await make_user(client, "designer")
    csrf = await login(client, user)
    data = {"name": "N", "locale": "", "notify_url": "", "_csrf": csrf, **values}
    response = await client.post(
        "/settings/profile", data=data, headers={**HX, "X-CSRF-Token": csrf}
    )
    assert response.status_code == 422
    assert field in response.text
    assert "<html" not in response.text  # the form fragment, with its error
    assert await user_by_id(client, user.id) == user


async def test_password_change_needs_the_current_password(client) -> None:
    user = await make_user(client, "designer")
    csrf = await login(client, user)
    new = "a brand new password"
    data = {
        "current_password": "not it at all",
        "password": new,
        "confirm_password": new,
        "_csrf": csrf,
    }
    response = await client.post("/settings/password", data=data)
    assert response.status_code == 422
    assert "current_password" in response.text
    data = {
        "current_password": PASSWORD,
        "password": new,
        "confirm_password": new + "!",
        "_csrf": csrf,
    }
    response = await client.post("/settings/password", data=data)
    assert response.status_code == 422
    assert "confirm_password" in response.text
    data = {
        "current_password": PASSWORD,
        "password": "p" * 4097,
        "confirm_password": "p" * 4097,
        "_csrf": csrf,
    }
    response = await client.post("/settings/password", data=data)
    assert response.status_code == 422
    assert "password" in response.text and "4096" in response.text


async def test_password_change_signs_out_other_sessions_and_keeps_this_one(client) -> None:
    user = await make_user(client, "designer")
    await login(client, user)
    other_device = session_token(client)
    client.cookies.clear()
    csrf = await login(client, user)
    long_password = "Ω" + "x" * 4095
    data = {
        "current_password": PASSWORD,
        "password": long_password,
        "confirm_password": long_password,
        "_csrf": csrf,
    }
    response = await client.post("/settings/password", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert signed_in(await client.get("/settings"))
    this_device = session_token(client)
    use_session(client, other_device)
    assert not signed_in(await client.get("/dashboard"))
    client.cookies.clear()
    assert (await attempt_login(client, user.email, PASSWORD)).status_code == 401
    assert (await attempt_login(client, user.email, long_password)).status_code == 303
    assert this_device != other_device
    assert "password.changed" in [a for a, _, _ in await audit_actions(client)]


# -- users ---------------------------------------------------------------------


async def test_admin_creates_a_user_who_can_then_sign_in(client) -> None:
    admin = await make_user(client, "admin")
    csrf = await login(client, admin)
    data = {
        "email": "New.Person@Example.com",
        "name": "New Person",
        "role": "manager",
        "password": "initial password 1",
        "_csrf": csrf,
    }
    response = await client.post("/settings/users", data=data, follow_redirects=False)
    assert response.status_code == 303
    again = await client.post("/settings/users", data=data)
    assert again.status_code == 409
    assert "email" in again.text
    bad = await client.post(
        "/settings/users", data={**data, "email": "other@example.com", "role": "owner"}
    )
    assert bad.status_code == 422 and "role" in bad.text
    created = await in_app(
        client, store.get_user_by_email, app_services(client).db, "new.person@example.com"
    )
    assert created.role == "manager"
    client.cookies.clear()
    assert (
        await attempt_login(client, "new.person@example.com", "initial password 1")
    ).status_code == 303
    assert ("user.created", created.id) in [(a, t) for a, t, _ in await audit_actions(client)]


async def test_role_change_is_audited_with_old_and_new_role(client) -> None:
    admin = await make_user(client, "admin")
    user = await make_user(client, "manager")
    csrf = await login(client, admin)
    response = await client.post(
        f"/settings/users/{user.id}/role",
        data={"role": "designer"},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="user-{user.id}"')
    assert (await user_by_id(client, user.id)).role == "designer"
    entries = [(a, t, d) for a, t, d in await audit_actions(client) if a == "role.changed"]
    assert entries == [("role.changed", user.id, '{"old":"manager","new":"designer"}')]


async def test_the_last_enabled_admin_cannot_be_removed(client) -> None:
    admin = await make_user(client, "admin")
    csrf = await login(client, admin)
    response = await client.post(
        f"/settings/users/{admin.id}/role", data={"role": "manager", "_csrf": csrf}
    )
    assert response.status_code == 409
    assert "last enabled admin" in response.text
    htmx = await client.post(
        f"/settings/users/{admin.id}/role",
        data={"role": "manager"},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert htmx.status_code == 409 and "last enabled admin" in htmx.text
    response = await client.post(f"/settings/users/{admin.id}/disable", data={"_csrf": csrf})
    assert response.status_code == 409
    assert (await user_by_id(client, admin.id)).role == "admin"
    # With a second admin, the first may step down.
    second = await make_user(client, "admin")
    response = await client.post(
        f"/settings/users/{admin.id}/role",
        data={"role": "manager", "_csrf": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert second.role == "admin"


async def test_disable_then_enable_without_javascript(client) -> None:
    admin = await make_user(client, "admin")
    user = await make_user(client, "designer")
    csrf = await login(client, admin)
    response = await client.post(
        f"/settings/users/{user.id}/disable", data={"_csrf": csrf}, follow_redirects=False
    )
    assert response.headers["location"] == "/settings/users?done=disabled"
    response = await client.post(
        f"/settings/users/{user.id}/enable", data={"_csrf": csrf}, follow_redirects=False
    )
    assert response.headers["location"] == "/settings/users?done=enabled"
    assert not (await user_by_id(client, user.id)).disabled
    actions = [a for a, t, _ in await audit_actions(client) if t == user.id]
    assert actions == ["user.disabled", "user.enabled"]
    assert (
        await client.post("/settings/users/nope/disable", data={"_csrf": csrf})
    ).status_code == 404


# -- roles ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "designer"])
async def test_non_admins_get_403_on_admin_pages_and_their_fragments(client, role: str) -> None:
    admin = await make_user(client, "admin")
    user = await make_user(client, role)
    csrf = await login(client, user)
    assert (await client.get("/settings")).status_code == 200
    for path in [
        "/settings/users",
        "/settings/apikeys",
        "/settings/audit",
        "/settings/audit?action=login",
    ]:
        page = await client.get(path)
        assert page.status_code == 403 and "<html" in page.text, path  # an HTML error page
        fragment = await client.get(path, headers=HX)
        assert fragment.status_code == 403, path
        assert "<html" not in fragment.text and 'role="alert"' in fragment.text  # its fragment
    posts = [
        f"/settings/users/{admin.id}/role",
        f"/settings/users/{admin.id}/disable",
        "/settings/users",
        "/settings/apikeys",
    ]
    for path in posts:
        data = {
            "role": "manager",
            "name": "k",
            "scopes": "admin",
            "email": "a@b.co",
            "password": "x" * 12,
        }
        response = await client.post(path, data=data, headers={**HX, "X-CSRF-Token": csrf})
        assert response.status_code == 403, path
    assert (await user_by_id(client, admin.id)).role == "admin"
    keys = await in_app(client, store.list_api_keys, app_services(client).db)
    assert keys == []
    page = await client.get("/settings")
    assert "/settings/users" not in page.text  # the tab is not even offered


async def test_signed_out_visitors_are_sent_to_login(client) -> None:
    response = await client.get("/settings/users", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings/users"
    response = await client.get("/settings/users", headers=HX, follow_redirects=False)
    assert response.headers["hx-redirect"].startswith("/login")


# -- API keys ------------------------------------------------------------------


async def test_api_key_secret_is_shown_once_then_revoked(client) -> None:
    admin = await make_user(client, "admin")
    csrf = await login(client, admin)
    response = await client.post(
        "/settings/apikeys",
        data={"name": "Shop backend", "scopes": ["events:write", "read"], "_csrf": csrf},
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    secret = re.search(r'id="new-secret"[^>]*value="([^"]+)"', response.text).group(1)
    me = await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["scopes"] == ["events:write", "read"]
    listing = await client.get("/settings/apikeys")
    assert secret not in listing.text
    assert me.json()["prefix"] in listing.text
    revoke = await client.post(
        f"/settings/apikeys/{me.json()['id']}/revoke", headers={**HX, "X-CSRF-Token": csrf}
    )
    assert revoke.status_code == 200 and "revoked" in revoke.text and "<html" not in revoke.text
    assert (
        await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"})
    ).status_code == 401
    actions = [a for a, t, _ in await audit_actions(client) if t == me.json()["id"]]
    assert actions == ["apikey.created", "apikey.revoked"]


async def test_api_key_form_needs_a_name_and_a_known_scope(client) -> None:
    admin = await make_user(client, "admin")
    csrf = await login(client, admin)
    response = await client.post("/settings/apikeys", data={"name": "x", "_csrf": csrf})
    assert response.status_code == 422 and "scopes" in response.text
    response = await client.post(
        "/settings/apikeys", data={"name": "x", "scopes": "root", "_csrf": csrf}
    )
    assert response.status_code == 422 and "scopes" in response.text
    response = await client.post(
        "/settings/apikeys", data={"name": "", "scopes": "read", "_csrf": csrf}
    )
    assert response.status_code == 422 and "name" in response.text
    single = await client.post(
        "/settings/apikeys", data={"name": "one", "scopes": "read", "_csrf": csrf}, headers=HX
    )
    assert single.status_code == 200 and 'id="new-secret"' in single.text
    response = await client.post(
        "/settings/apikeys/nope/revoke", data={"_csrf": csrf}, follow_redirects=False
    )
    assert response.status_code == 404


# -- audit log -----------------------------------------------------------------


async def test_audit_page_lists_and_filters_by_action(client) -> None:
    admin = await make_user(client, "admin")
    user = await make_user(client, "manager")
    await attempt_login(client, admin.email, "a wrong password")
    csrf = await login(client, admin)
    await client.post(f"/settings/users/{user.id}/role", data={"role": "designer", "_csrf": csrf})
    page = await client.get("/settings/audit")
    for action in ("login.failed", "login", "role.changed"):
        assert f"<code>{action}</code>" in page.text
    filtered = await client.get("/settings/audit", params={"action": "role.changed"}, headers=HX)
    assert "<html" not in filtered.text
    assert "<code>role.changed</code>" in filtered.text
    assert user.email in filtered.text  # the target reads as the user's address
    assert "<code>login</code>" not in filtered.text


async def test_audit_cursor_pages_through_every_entry_once(db) -> None:
    for n in range(7):
        await store.audit(db, "test.entry", actor_label=f"n{n}", target_id=str(n))
    seen: list[str] = []
    cursor = None
    while True:
        entries, next_cursor = await changes.audit_page(
            db, action="test.entry", cursor=cursor, limit=3
        )
        seen.extend(e.target_id for e in entries)
        if next_cursor is None:
            break
        cursor = changes.decode_cursor(next_cursor)
    assert sorted(seen) == [str(n) for n in range(7)]
    assert changes.decode_cursor("garbage!") is None


# -- escaping ------------------------------------------------------------------


async def test_a_script_in_names_is_escaped_on_every_page(client) -> None:
    admin = await make_user(client, "admin")
    await in_app(client, lambda: store.update_user(app_services(client).db, admin.id, name=XSS))
    csrf = await login(client, admin)
    await make_user(client, "manager")
    await client.post("/settings/apikeys", data={"name": XSS, "scopes": "read", "_csrf": csrf})
    await client.post(
        "/settings/users",
        data={
            "email": "x@example.com",
            "name": XSS,
            "role": "manager",
            "password": "p" * 12,
            "_csrf": csrf,
        },
    )
    for path in [
        "/dashboard",
        "/settings",
        "/settings/users",
        "/settings/apikeys",
        "/settings/audit",
    ]:
        for headers in ({}, HX):
            page = await client.get(path, headers=headers)
            assert page.status_code == 200, path
            assert "<script>alert" not in page.text, path
    assert "&lt;script&gt;alert" in (await client.get("/settings/users")).text
    assert "&lt;script&gt;alert" in (await client.get("/settings/apikeys")).text


async def test_a_rejected_notify_url_is_not_written_to_the_log(client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    user = await make_user(client, "designer")
    csrf = await login(client, user)
    secret_url = "tgram://not-a-valid-token-s3cr3t/123"
    data = {"name": "N", "locale": "", "notify_url": secret_url, "_csrf": csrf}
    response = await client.post("/settings/profile", data=data)
    assert response.status_code == 422 and "notify_url" in response.text
    assert "s3cr3t" not in caplog.text
