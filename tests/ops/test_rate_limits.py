"""Issue 18: API rate limits with RateLimit-* headers, shared by several processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from surveyor.app import create_app
from surveyor.ops.ratelimit import RedisCounters
from tests.conftest import api_key
from tests.serving import free_port, running_server

SURVEYOR = str(Path(sys.executable).with_name("surveyor"))


async def test_the_api_limit_answers_429_problems_with_headers(make_settings: Any) -> None:
    settings = make_settings(api_rate_limit=3)
    async with AsyncTestClient(app=create_app(settings), base_url="http://surveyor.test") as client:
        key = await api_key(client, "read")
        answers = [await client.get("/api/v1/whoami", headers=key) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert all(a.headers["ratelimit-limit"] == "3" for a in answers)
        refused = answers[-1]
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["status"] == 429 and problem["type"].endswith("/rate-limited")
        assert problem["request_id"] == refused.headers["x-request-id"]
        # Another key has its own budget; pages outside /api are not limited by it.
        other = await api_key(client, "read")
        assert (await client.get("/api/v1/whoami", headers=other)).status_code == 200
        assert "ratelimit-limit" not in (await client.get("/healthz")).headers


async def test_redis_counters_are_shared_between_two_clients() -> None:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", 6379)
        writer.close()
    except OSError:
        pytest.skip("Redis not reachable on 127.0.0.1:6379")
    first, second = (
        RedisCounters("redis://127.0.0.1:6379/0"),
        RedisCounters("redis://127.0.0.1:6379"),
    )
    key = "test:" + os.urandom(6).hex()
    try:
        assert (await first.hit(key, 60))[0] == 1
        assert (await second.hit(key, 60))[0] == 2
        assert (await first.peek(key, 60))[0] == 2
    finally:
        await first.close()
        await second.close()


@pytest.mark.slow
@pytest.mark.parametrize("store", ["postgresql", "redis"])
def test_two_app_processes_share_one_limit(
    store: str, database_url: str, backend: str, tmp_path: Path
) -> None:
    if backend != "postgresql":
        pytest.skip("shared limits are for several processes on PostgreSQL")
    env = {
        **os.environ,
        "SURVEYOR_DATABASE": database_url,
        "SURVEYOR_SECRET_KEY": "k" * 40,
        "SURVEYOR_API_RATE_LIMIT": "4",
    }
    if store == "redis":
        env["SURVEYOR_REDIS_URL"] = "redis://127.0.0.1:6379/0"
    subprocess.run([SURVEYOR, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    created = subprocess.run(
        [SURVEYOR, "apikeys", "create", "--name", "shared", "--scope", "read"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    headers = {"Authorization": "Bearer " + created.stdout.split()[-1]}
    ports = [free_port(), free_port()]
    with (
        running_server(
            [SURVEYOR, "serve", "--no-worker", "--port", str(ports[0])],
            env,
            tmp_path,
            ports[0],
            tmp_path / "a.log",
        ) as (a, _),
        running_server(
            [SURVEYOR, "serve", "--no-worker", "--port", str(ports[1])],
            env,
            tmp_path,
            ports[1],
            tmp_path / "b.log",
        ) as (b, _),
    ):
        statuses = [
            httpx.get(f"{base}/api/v1/whoami", headers=headers, timeout=30).status_code
            for base in (a, b, a, b, a, b)
        ]
    assert statuses == [200, 200, 200, 200, 429, 429]
