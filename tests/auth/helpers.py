"""Small helpers shared by the auth tests (the fixtures live in tests/conftest.py)."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from surveyor.auth import store
from surveyor.auth.guards import SESSION_COOKIE
from surveyor.auth.models import User
from tests.conftest import CSRF_INPUT, app_services, in_app

HX = {"HX-Request": "true"}


async def login_form_token(client: AsyncTestClient[Litestar]) -> str:
    page = await client.get("/login")
    match = CSRF_INPUT.search(page.text)
    assert match, page.text[:300]
    return match.group(1)


async def attempt_login(
    client: AsyncTestClient[Litestar],
    email: str,
    password: str,
    *,
    headers: dict[str, str] | None = None,
    next_: str = "",
) -> Any:
    """One sign-in attempt through the real form (fresh form token each time)."""
    token = await login_form_token(client)
    return await client.post(
        "/login",
        data={"email": email, "password": password, "_csrf": token, "next": next_},
        headers=headers or {},
        follow_redirects=False,
    )


def session_token(client: AsyncTestClient[Litestar]) -> str:
    value = client.cookies.get(SESSION_COOKIE)
    assert value, "no session cookie"
    return value


def use_session(client: AsyncTestClient[Litestar], token: str) -> None:
    """Make the client present ``token`` as its session cookie (and nothing else)."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token, domain="surveyor.test", path="/")


def signed_in(response: Any) -> bool:
    """A staff page answered with the page itself, not a redirect to /login."""
    return response.status_code == 200 and "/logout" in response.text


async def user_by_id(client: AsyncTestClient[Litestar], user_id: str) -> User | None:
    return await in_app(client, store.get_user, app_services(client).db, user_id)


async def audit_actions(client: AsyncTestClient[Litestar]) -> list[tuple[str, str, str]]:
    """(action, target_id, detail) of every audit entry, oldest first."""
    rows = await in_app(
        client,
        app_services(client).db.fetch_all,
        "SELECT action, target_id, detail FROM audit_log ORDER BY at, id",
    )
    return [(r["action"], r["target_id"], r["detail"]) for r in rows]


def field_named(text: str, field: str) -> bool:
    return re.search(rf"\b{re.escape(field)}\b", text) is not None
