"""Issue 18: problem documents, request ids, JSON logs, /metrics and /readyz."""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from surveyor.app import create_app
from surveyor.logs import configure_logging
from tests.checkpoints.test_events_api import CONTACT, setup
from tests.conftest import api_key, app_services, drain, in_app
from tests.delivery.servers import smtp_server

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text ``text`` (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(3))
    return 0.0


# ---------------------------------------------------------------------------
# Problem documents
# ---------------------------------------------------------------------------


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_every_error_class_is_a_problem_document(client: Any) -> None:
    admin = await api_key(client, "admin")
    # 400: the errors list names each offending field
    bad = await client.post(
        "/api/v1/apikeys", json={"name": "x", "scopes": ["nope"], "colour": 1}, headers=admin
    )
    body = assert_problem(bad, 400)
    assert body["type"].endswith("/invalid-request")
    assert body["errors"] and all({"field", "message"} <= e.keys() for e in body["errors"])
    # 401: no key
    assert_problem(await client.get("/api/v1/apikeys"), 401)
    # 403: a key without the scope
    reader = await api_key(client, "read")
    assert_problem(await client.post("/api/v1/apikeys", json={}, headers=reader), 403)
    # 404 and 405
    assert_problem(await client.get("/api/v1/no-such-thing", headers=admin), 404)
    assert_problem(await client.delete("/api/v1/events", headers=admin), 405)
    # 413
    huge = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    big = await client.post(
        "/api/v1/apikeys", content=huge, headers={**admin, "Content-Type": "application/json"}
    )
    assert_problem(big, 413)


# ---------------------------------------------------------------------------
# Request ids
# ---------------------------------------------------------------------------


async def test_every_response_has_a_request_id_and_a_client_cannot_choose_it(client: Any) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz", headers={"X-Request-ID": "chosen-by-client"})
    assert re.fullmatch(r"[0-9a-f]{24}", first.headers["x-request-id"])
    assert second.headers["x-request-id"] not in ("chosen-by-client", first.headers["x-request-id"])
    page = await client.get("/login")
    assert page.headers["x-request-id"]


async def test_a_trusted_proxy_passes_its_request_id_on(make_settings: Any) -> None:
    settings = make_settings(trusted_proxies="127.0.0.1,testclient")
    async with AsyncTestClient(app=create_app(settings), base_url="http://surveyor.test") as client:
        kept = await client.get("/api/v1/nothing", headers={"X-Request-ID": "edge-42.a"})
        assert kept.headers["x-request-id"] == "edge-42.a"
        assert kept.json()["request_id"] == "edge-42.a"
        # A value that could forge log lines or bloat them is replaced.
        odd = await client.get("/healthz", headers={"X-Request-ID": "a b\tc" + "x" * 200})
        assert odd.headers["x-request-id"] != "a b\tc" + "x" * 200


async def test_the_request_id_is_on_every_log_line_of_the_request(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    from surveyor.logs import OneLine

    handler.setFormatter(OneLine("%(name)s: %(message)s"))
    logger = logging.getLogger("surveyor")
    logger.addHandler(handler)
    saved = logger.level
    logger.setLevel(logging.INFO)
    try:
        response = await client.get("/api/v1/nothing")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved)
    rid = response.headers["x-request-id"]
    lines = [line for line in stream.getvalue().splitlines() if "surveyor.access" in line]
    assert lines and all(line.endswith(f"request_id={rid}") for line in lines)


def test_json_logs_are_one_object_per_line(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    logger = logging.getLogger("surveyor")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    try:
        configure_logging("INFO", "json")
        logging.getLogger("surveyor.access").info("GET %s 200", "/a\nb")
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("surveyor.errors").exception("failed")
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "GET /a\nb 200" and first["logger"] == "surveyor.access"
    assert first["level"] == "INFO" and first["time"].endswith("Z")
    assert "RuntimeError: boom" in second["exception"]


# ---------------------------------------------------------------------------
# /metrics and /readyz
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_metrics_move_as_events_and_deliveries_happen(
    make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with smtp_server() as (sink, port):
        settings = make_settings(
            email_url=f"mailto://127.0.0.1:{port}?from=surveys@acme.example&mode=insecure"
        )
        app = create_app(settings)
        async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
            before = (await client.get("/metrics")).text
            assert metric(before, "surveyor_events_total") == 0
            key = await setup(client)
            for _ in range(2):  # the second is suppressed (contact recently surveyed)
                fired = await client.post(
                    "/api/v1/events",
                    json={"checkpoint": "order_delivered", "contact": CONTACT},
                    headers=key,
                )
                assert fired.status_code == 202
            middle = (await client.get("/metrics")).text
            assert metric(middle, "surveyor_events_total", decision="scheduled") == 1
            assert metric(middle, "surveyor_events_total", decision="suppressed") == 1
            assert metric(middle, "surveyor_invitations", status="scheduled") == 1
            assert metric(middle, "surveyor_outbox_depth") >= 1
            assert metric(middle, "surveyor_worker_heartbeat_age_seconds") == -1
            with caplog.at_level(logging.INFO, logger="surveyor.delivery.attempt"):
                assert await drain(client) >= 1
            after = (await client.get("/metrics")).text
            assert metric(after, "surveyor_invitations", status="sent") == 1
            assert metric(after, "surveyor_delivery_attempts_total", outcome="ok") >= 1
            assert (
                metric(
                    after,
                    "surveyor_delivery_duration_seconds_count",
                    channel="email",
                    outcome="ok",
                )
                >= 1
            )
            assert 0 <= metric(after, "surveyor_worker_heartbeat_age_seconds") < 60
            assert metric(after, "surveyor_dead_jobs") == 0
            assert (
                metric(
                    after,
                    "surveyor_http_requests_total",
                    method="POST",
                    route="/api/v1/events",
                    status="202",
                )
                >= 2
            )
            assert "surveyor_writer_queue_depth" in after
        assert sink.messages
    attempts = [r.getMessage() for r in caplog.records if r.name == "surveyor.delivery.attempt"]
    assert attempts and all("outcome=" in line for line in attempts)
    assert not any("@" in line or "Ana" in line for line in attempts)


async def test_metrics_token_guards_the_endpoint(make_settings: Any) -> None:
    settings = make_settings(metrics_token="t" * 32)
    async with AsyncTestClient(app=create_app(settings), base_url="http://surveyor.test") as client:
        assert (await client.get("/metrics")).status_code == 401
        ok = await client.get("/metrics", headers={"Authorization": "Bearer " + "t" * 32})
        assert ok.status_code == 200
        assert ok.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_readyz_fails_while_a_migration_is_pending(client: Any) -> None:
    assert (await client.get("/readyz")).status_code == 200
    db = app_services(client).db

    async def forget(tx: Any) -> None:
        await tx.execute(
            "DELETE FROM schema_migrations WHERE id = ?", ("core:0050_worker_heartbeat.sql",)
        )

    await in_app(client, db.write, forget)
    pending = await client.get("/readyz")
    assert pending.status_code == 503
    assert pending.json()["database"] == "migrations pending"
    assert "0050_worker_heartbeat" in pending.json()["pending"]
    assert pending.headers["retry-after"]
    assert (await client.get("/healthz")).status_code == 200


async def test_readyz_can_require_a_live_worker(make_settings: Any) -> None:
    settings = make_settings(ready_worker_seconds=30)
    async with AsyncTestClient(app=create_app(settings), base_url="http://surveyor.test") as client:
        stale = await client.get("/readyz")
        assert stale.status_code == 503 and stale.json()["worker"] == "no recent heartbeat"
        await drain(client)
        assert (await client.get("/readyz")).status_code == 200
