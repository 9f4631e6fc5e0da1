"""The permissions matrix (docs/permissions.md) against the app's own route table.

Every route the app serves is called by every principal — nobody, each staff role, each
API key scope — and the answer (let in, or refused with 401/403/a redirect to the login
page) must match the route's level in the document. A route the document does not list
fails, and so does a listed route the app no longer has.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from surveyor.auth import store
from surveyor.auth.guards import SESSION_COOKIE
from tests.conftest import api_key, app_services, in_app, make_user

DOC = Path(__file__).parent.parent / "docs" / "permissions.md"
ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \| ([a-z:_-]+) \|$")
STAFF = ("admin", "designer", "manager")
SCOPES = ("read", "events:write", "admin")
# Who passes each level: staff roles by name, keys as "key:<scope>".
LEVELS: dict[str, set[str]] = {
    "public": {"anonymous", *STAFF, *(f"key:{s}" for s in SCOPES)},
    "staff": set(STAFF),
    "designer": {"admin", "designer"},
    "manager": {"admin", "manager"},
    "admin": {"admin"},
    "key:read": {"key:read", "key:admin"},
    "key:events:write": {"key:events:write", "key:admin"},
    "key:admin": {"key:admin"},
    "key:any": {f"key:{s}" for s in SCOPES},
}
PRINCIPALS = ("anonymous", *STAFF, *(f"key:{s}" for s in SCOPES))
# Signing out sends everyone to the login page, allowed or not; only a signed-in user's
# answer clears the session cookie.
LOGIN_ON_SUCCESS = {("POST", "/logout")}


def documented() -> dict[tuple[str, str], str]:
    rows: dict[tuple[str, str], str] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line.strip())
        if match:
            method, path, level = match.groups()
            assert level in LEVELS, f"{method} {path}: unknown level {level!r}"
            assert (method, path) not in rows, f"{method} {path} listed twice"
            rows[(method, path)] = level
    return rows


def served(app: Litestar) -> set[tuple[str, str]]:
    """(method, path) of every route handler, from the app's route table. OPTIONS (CORS
    preflight, made by Litestar) and HEAD (follows GET) are not separate permissions."""
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method not in ("OPTIONS", "HEAD"):
                    found.add((method, route.path))
    return found


def concrete(path: str) -> str:
    def fill(match: re.Match[str]) -> str:
        kind = match.group(2)
        return "1" if kind == "int" else "app.css" if kind == "path" else "nothing-here"

    return re.sub(r"\{(\w+):(\w+)\}", fill, path)


def refused(response: Any, method: str, path: str) -> bool:
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("location", "")
    if (method, path) in LOGIN_ON_SUCCESS:
        return SESSION_COOKIE not in response.headers.get("set-cookie", "")
    return response.status_code in (302, 303) and location.startswith("/login")


def guards_of(app: Litestar) -> dict[tuple[str, str], list[Any]]:
    return {
        (method, route.path): handler.resolve_guards()
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        for method in handler.http_methods
    }


def test_every_route_is_in_the_matrix(app: Litestar) -> None:
    rows = set(documented())
    routes = served(app)
    missing = sorted(routes - rows)
    stale = sorted(rows - routes)
    assert not missing, f"routes missing from docs/permissions.md: {missing}"
    assert not stale, f"docs/permissions.md lists routes the app does not have: {stale}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_route_answers_every_principal_as_the_matrix_says(
    client: AsyncTestClient[Litestar],
) -> None:
    users = {role: await make_user(client, role) for role in STAFF}
    keys = {f"key:{s}": await api_key(client, s) for s in SCOPES}
    db = app_services(client).db
    wrong = []
    guards = guards_of(client.app)
    for (method, path), level in sorted(documented().items()):
        url = concrete(path)
        allowed = LEVELS[level]
        if level == "public":
            # Public pages have their own answers for strangers (the home page sends
            # them to sign in, the login form wants its token): what makes them public
            # is that no guard stands in front of them.
            assert guards[(method, path)] == [], f"{method} {path} is guarded"
            continue
        for who in PRINCIPALS:
            client.cookies.clear()
            headers: dict[str, str] = {}
            if who in users:
                # A fresh session per request: a route may end the one it was given.
                token, session = await in_app(
                    client, lambda u=users[who]: store.create_session(db, u.id, days=1)
                )
                client.cookies.set(SESSION_COOKIE, token, domain="surveyor.test", path="/")
                headers["X-CSRF-Token"] = session.csrf_token
            elif who in keys:
                headers.update(keys[who])
            kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
            if method in ("POST", "PUT", "PATCH"):
                if path.startswith("/api/"):
                    kwargs["json"] = {}
                else:
                    kwargs["data"] = {"_probe": "1"}
            response = await client.request(method, url, **kwargs)
            assert response.status_code < 500, (method, url, who, response.text[:300])
            if refused(response, method, path) == (who in allowed):
                wrong.append((method, path, who, response.status_code))
    assert not wrong, "answers that do not match docs/permissions.md:\n" + "\n".join(
        map(str, wrong)
    )
