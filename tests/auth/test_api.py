"""The JSON API's own door: Bearer keys, scopes, and bad bodies never becoming a 500."""

from __future__ import annotations

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from surveyor.app import create_app
from surveyor.auth import store
from tests.auth.helpers import audit_actions
from tests.conftest import api_key, app_services, in_app, login, make_user


async def test_whoami_answers_any_valid_key(client) -> None:
    headers = await api_key(client, "events:write")
    response = await client.get("/api/v1/whoami", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["scopes"] == ["events:write"]
    assert headers["Authorization"].removeprefix("Bearer ").startswith(body["prefix"] + "_")
    assert set(body) == {"id", "name", "prefix", "scopes"}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer sv_00000000_wrong",
        "Bearer " + "x" * 500,
    ],
)
async def test_missing_or_wrong_key_is_401(client, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.get("/api/v1/whoami", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authorization")
    assert "Bearer" in response.headers["www-authenticate"]


async def test_revoked_key_is_401(client) -> None:
    admin = await api_key(client, "admin")
    victim = await api_key(client, "read")
    key_id = (await client.get("/api/v1/whoami", headers=victim)).json()["id"]
    response = await client.delete(f"/api/v1/apikeys/{key_id}", headers=admin)
    assert response.status_code == 204
    response = await client.get("/api/v1/whoami", headers=victim)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    # Revoking again is harmless; an unknown id is a 404.
    assert (await client.delete(f"/api/v1/apikeys/{key_id}", headers=admin)).status_code == 204
    assert (await client.delete("/api/v1/apikeys/nope", headers=admin)).status_code == 404


async def test_events_write_key_on_an_admin_route_is_403(client) -> None:
    headers = await api_key(client, "events:write")
    for method, path in [("GET", "/api/v1/apikeys"), ("DELETE", "/api/v1/apikeys/x")]:
        response = await client.request(method, path, headers=headers)
        assert response.status_code == 403, path
        assert "admin" in response.json()["detail"]
    response = await client.post(
        "/api/v1/apikeys", json={"name": "mine", "scopes": ["admin"]}, headers=headers
    )
    assert response.status_code == 403


async def test_a_session_cookie_is_never_accepted_on_the_api(client) -> None:
    admin = await make_user(client, "admin")
    csrf = await login(client, admin)
    for method, path in [("GET", "/api/v1/whoami"), ("GET", "/api/v1/apikeys")]:
        response = await client.request(method, path, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 401, path
    response = await client.post(
        "/api/v1/apikeys", json={"name": "x", "scopes": ["admin"]}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 401


async def test_last_used_at_is_recorded(client) -> None:
    headers = await api_key(client, "read")
    listing = await client.get("/api/v1/apikeys", headers=await api_key(client, "admin"))
    assert all(
        k["last_used_at"] is None for k in listing.json()["items"] if k["scopes"] == ["read"]
    )
    me = (await client.get("/api/v1/whoami", headers=headers)).json()
    key = await in_app(client, store.get_api_key, app_services(client).db, me["id"])
    assert key.last_used_at is not None


async def test_list_keys_has_the_list_shape_and_pages_with_a_cursor(client) -> None:
    admin = await api_key(client, "admin")
    for n in range(4):
        response = await client.post(
            "/api/v1/apikeys", json={"name": f"k{n}", "scopes": ["read"]}, headers=admin
        )
        assert response.status_code == 201
        assert response.json()["secret"].startswith(response.json()["prefix"] + "_")
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/apikeys", params=params, headers=admin)).json()
        assert set(page) == {"items", "next_cursor"}
        assert all("secret" not in k and "secret_hash" not in k for k in page["items"])
        seen.extend(k["id"] for k in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
    bad = await client.get("/api/v1/apikeys", params={"cursor": "!!"}, headers=admin)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "cursor"


async def test_key_created_and_revoked_over_the_api_is_audited(client) -> None:
    admin = await api_key(client, "admin")
    created = (
        await client.post("/api/v1/apikeys", json={"name": "ci", "scopes": ["read"]}, headers=admin)
    ).json()
    await client.delete(f"/api/v1/apikeys/{created['id']}", headers=admin)
    entries = [(a, t) for a, t, _ in await audit_actions(client)]
    assert ("apikey.created", created["id"]) in entries
    assert ("apikey.revoked", created["id"]) in entries


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": ["read"], "role": "admin"}, "role"),
        ({"name": "x", "scopes": ["read"], "unexpected": 1}, "unexpected"),
        ({"name": 12, "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": "read"}, "scopes"),
        ({"name": "x", "scopes": ["root"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"scopes": ["read"]}, "name"),
        ({"name": "", "scopes": ["read"]}, "name"),
    ],
)
async def test_bad_bodies_are_rejected_naming_the_field(client, body, field: str) -> None:
    headers = await api_key(client, "admin")
    response = await client.post("/api/v1/apikeys", json=body, headers=headers)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["status_code"] == 400
    assert problem["errors"][0]["field"].split("[")[0] == field
    assert field in problem["detail"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"[" * 10_000 + b"]" * 10_000, "body"),
        (b'{"name": "x", "scopes": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", "scopes"),
        (b'{"name": ' + b'{"a":' * 5_000 + b"1" + b"}" * 5_000 + b"}", "name"),
    ],
)
async def test_deeply_nested_json_is_a_400_naming_the_field(client, raw: bytes, field: str) -> None:
    headers = {**await api_key(client, "admin"), "Content-Type": "application/json"}
    response = await client.post("/api/v1/apikeys", content=raw, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert field in response.json()["detail"]


async def test_malformed_json_is_a_400(client) -> None:
    headers = {**await api_key(client, "admin"), "Content-Type": "application/json"}
    response = await client.post("/api/v1/apikeys", content=b'{"name": "x",', headers=headers)
    assert response.status_code == 400


async def test_oversized_body_is_413(make_settings) -> None:
    app = create_app(make_settings(max_body_bytes=1024))
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
        headers = await api_key(client, "admin")
        body = msgspec.json.encode({"name": "x" * 2000, "scopes": ["read"]})
        response = await client.post(
            "/api/v1/apikeys", content=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["status_code"] == 413
        # Still fine just under the limit.
        small = await client.post(
            "/api/v1/apikeys", json={"name": "ok", "scopes": ["read"]}, headers=headers
        )
        assert small.status_code == 201


async def test_api_errors_are_json_and_carry_no_traceback(client) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text


async def test_key_endpoints_are_in_the_openapi_schema(client) -> None:
    paths = (await client.get("/schema")).json()["paths"]
    assert {"/api/v1/apikeys", "/api/v1/apikeys/{key_id}", "/api/v1/whoami"} <= set(paths)
    assert not any(path.startswith("/settings") for path in paths)
