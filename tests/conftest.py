"""Shared fixtures: real SQLite files, a real PostgreSQL schema, real apps.

Store tests take the ``db`` fixture and run on both backends. PostgreSQL runs when
a server answers on 127.0.0.1:5432 and is mandatory under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from surveyor.app import build_services, create_app, start_services
from surveyor.auth import store
from surveyor.auth.models import User
from surveyor.auth.passwords import hash_password
from surveyor.services import Services
from surveyor.settings import Settings, load_settings

PG_ADMIN_DSN = os.environ.get("SURVEYOR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct horse battery staple"
_pg_ok: bool | None = None


async def _pg_available() -> bool:
    global _pg_ok
    if _pg_ok is None:
        try:
            conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
            await conn.close()
            _pg_ok = True
        except (TimeoutError, OSError, asyncpg.PostgresError):
            _pg_ok = False
    return _pg_ok


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        yield str(tmp_path / "surveyor.db")
        return
    if not await _pg_available():
        if IN_CI:
            pytest.fail(
                f"PostgreSQL is required under CI=true and is not reachable at {PG_ADMIN_DSN}"
            )
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    schema = "t_" + secrets.token_hex(6)
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    await conn.execute(f"CREATE SCHEMA {schema}")
    await conn.close()
    # asyncpg passes unknown DSN query parameters on as server settings.
    sep = "&" if "?" in PG_ADMIN_DSN else "?"
    yield f"{PG_ADMIN_DSN}{sep}search_path={schema}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    await conn.execute(f"DROP SCHEMA {schema} CASCADE")
    await conn.close()


@pytest.fixture
def make_settings(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database": database_url,
            "base_url": "http://surveyor.test",
            "secret_key": "s" * 40,
            "run_worker": False,
            **overrides,
        }
        return load_settings(environ={}, **values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    """Connected, migrated services without an HTTP app (store tests)."""
    svc = build_services(settings)
    await start_services(svc)
    yield svc
    await svc.db.close()


@pytest.fixture
def db(services: Services) -> Any:
    return services.db


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://surveyor.test") as test_client:
        yield test_client


def app_services(client: AsyncTestClient[Litestar]) -> Services:
    """The app's services. Its database belongs to the app's event loop: reach it with
    ``in_app``, never by awaiting ``app_services(client).db`` from the test."""
    return client.app.state["services"]


async def drain(client: AsyncTestClient[Litestar]) -> int:
    """Run every due outbox job (plugin hooks included) on the app's loop, as a worker
    would; returns how many ran. For apps built with ``run_worker=False``."""
    from surveyor.delivery.worker import Worker

    return await in_app(client, Worker(app_services(client)).run_until_idle)


async def in_app(client: AsyncTestClient[Litestar], fn: Callable[..., Any], *args: Any) -> Any:
    """``await fn(*args)`` on the app's event loop.

    The test client serves the app from its own thread and loop (its blocking portal);
    the database connections and the writer queue live there, so awaiting them from the
    test's loop would hang.
    """
    return await asyncio.to_thread(client.blocking_portal.call, fn, *args)


_HASH: dict[str, str] = {}


async def make_user(
    client: AsyncTestClient[Litestar], role: str = "admin", email: str | None = None
) -> User:
    if "h" not in _HASH:
        _HASH["h"] = await hash_password(PASSWORD)
    email = email or f"{role}-{secrets.token_hex(3)}@example.com"

    async def create() -> User:
        return await store.create_user(
            app_services(client).db,
            email=email,
            role=role,
            name=role.title(),
            password_hash=_HASH["h"],
        )

    return await in_app(client, create)


CSRF_INPUT = re.compile(r'name="_csrf" value="([^"]+)"')


async def login(client: AsyncTestClient[Litestar], user: User, password: str = PASSWORD) -> str:
    """Sign in through the real form; returns the session's CSRF token."""
    page = await client.get("/login")
    token = CSRF_INPUT.search(page.text).group(1)  # type: ignore[union-attr]
    response = await client.post(
        "/login",
        data={"email": user.email, "password": password, "_csrf": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return await csrf_token(client)


async def csrf_token(client: AsyncTestClient[Litestar]) -> str:
    page = await client.get("/dashboard")
    match = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


async def api_key(client: AsyncTestClient[Litestar], *scopes: str) -> dict[str, str]:
    """Authorization headers for a new key with ``scopes``."""

    async def create() -> tuple[str, Any]:
        return await store.create_api_key(
            app_services(client).db, name="test", scopes=list(scopes) or ["admin"], created_by=None
        )

    secret, _ = await in_app(client, create)
    return {"Authorization": f"Bearer {secret}"}
