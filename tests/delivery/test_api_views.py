"""The delivery log over HTTP: the JSON API (read, retry a dead job which is then
delivered) and the staff pages (filters, attempts, the retry button).

The app runs on the test client's own event loop and thread, so the jobs and the
worker here use a second handle on the same database (as a ``surveyor worker``
process would), never the app's writer from the test's loop.
"""

from __future__ import annotations

from typing import Any

import pytest

from surveyor import DeliveryError, Message, hookimpl
from surveyor.app import build_services, start_services
from surveyor.delivery import store
from surveyor.delivery.channels import ChannelRegistry
from surveyor.delivery.models import JobKind
from surveyor.delivery.worker import Worker, job_kinds
from surveyor.plugins import make_plugin_manager
from tests.conftest import api_key, login, make_user
from tests.delivery.helpers import RecordingChannel, permanent


@pytest.fixture
async def side(settings):
    svc = build_services(settings)
    await start_services(svc)
    yield svc
    await svc.db.close()


async def dead_message_job(svc, channel: RecordingChannel) -> str:
    """A message.send job that died on a permanent error."""
    svc.channels = ChannelRegistry([channel])
    channel.failures = [permanent("550 5.1.1 no such user")]
    job_id = await svc.db.write(
        lambda tx: store.enqueue_message(
            tx,
            channel.name,
            Message(recipient="zoe@example.com", secret="whsec_dont_show"),
            subject_type="invitation",
            subject_id="inv-1",
        )
    )
    await Worker(svc).run_until_idle()
    assert (await store.get_job(svc.db, job_id)).status == "dead"
    return job_id


async def test_a_dead_delivery_retried_through_the_api_is_delivered(client, side) -> None:
    svc = side
    channel = RecordingChannel("email")
    job_id = await dead_message_job(svc, channel)
    headers = await api_key(client, "admin")

    got = await client.get(f"/api/v1/deliveries/{job_id}", headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["status"] == "dead" and body["last_error"] == "550 5.1.1 no such user"
    assert [a["outcome"] for a in body["attempt_log"]] == ["dead"]
    assert body["payload"]["message"]["secret"] == "•••"  # never shown

    retried = await client.post(f"/api/v1/deliveries/{job_id}/retry", headers=headers)
    assert retried.status_code == 202, retried.text
    assert retried.json()["status"] == "queued"
    again = await client.post(f"/api/v1/deliveries/{job_id}/retry", headers=headers)
    assert again.status_code == 409 and "dead" in again.json()["detail"]

    await Worker(svc).run_until_idle()
    assert [m.recipient for m in channel.sent] == ["zoe@example.com"]
    final = (await client.get(f"/api/v1/deliveries/{job_id}", headers=headers)).json()
    assert final["status"] == "done"
    assert [a["outcome"] for a in final["attempt_log"]] == ["dead", "ok"]


async def test_the_api_lists_with_filters_and_checks_scopes(client, side) -> None:
    svc = side
    await dead_message_job(svc, RecordingChannel("email"))
    reader = await api_key(client, "read")
    listed = await client.get("/api/v1/deliveries?status=dead&channel=email", headers=reader)
    assert listed.status_code == 200
    assert [j["status"] for j in listed.json()["items"]] == ["dead"]
    assert listed.json()["next_cursor"] is None
    assert (await client.get("/api/v1/deliveries?status=dead&channel=sms", headers=reader)).json()[
        "items"
    ] == []
    bad = await client.get("/api/v1/deliveries?status=lost", headers=reader)
    assert bad.status_code == 400 and "status" in bad.json()["detail"]
    job_id = listed.json()["items"][0]["id"]
    denied = await client.post(f"/api/v1/deliveries/{job_id}/retry", headers=reader)
    assert denied.status_code == 403
    assert (await client.get("/api/v1/deliveries/nope", headers=reader)).status_code == 404
    assert (await client.get("/api/v1/deliveries")).status_code == 401


async def test_staff_see_the_log_and_retry_a_dead_delivery_from_its_page(client, side) -> None:
    svc = side
    channel = RecordingChannel("email")
    job_id = await dead_message_job(svc, channel)
    await login(client, await make_user(client, "designer"))

    log = await client.get("/deliveries?status=dead")
    assert log.status_code == 200 and f"/deliveries/{job_id}" in log.text
    assert '<a href="/deliveries" aria-current="page">Deliveries</a>' in log.text  # main nav
    assert "550 5.1.1 no such user" in log.text
    fragment = await client.get("/deliveries?status=done", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and job_id not in fragment.text

    page = await client.get(f"/deliveries/{job_id}")
    assert page.status_code == 200 and "Retry this delivery" in page.text
    assert "whsec_dont_show" not in page.text

    no_csrf = await client.post(f"/deliveries/{job_id}/retry")
    assert no_csrf.status_code == 403
    token = await _csrf(client)
    retried = await client.post(
        f"/deliveries/{job_id}/retry", headers={"HX-Request": "true", "X-CSRF-Token": token}
    )
    assert retried.status_code == 200 and "Queued again" in retried.text
    await Worker(svc).run_until_idle()
    assert (await store.get_job(svc.db, job_id)).status == "done"


async def test_managers_may_read_the_log_but_not_retry(client, side) -> None:
    svc = side
    job_id = await dead_message_job(svc, RecordingChannel("email"))
    await login(client, await make_user(client, "manager"))
    page = await client.get(f"/deliveries/{job_id}")
    assert page.status_code == 200 and "Retry this delivery" not in page.text
    token = await _csrf(client)
    denied = await client.post(f"/deliveries/{job_id}/retry", headers={"X-CSRF-Token": token})
    assert denied.status_code == 403


async def _csrf(client) -> str:
    from tests.conftest import csrf_token

    return await csrf_token(client)


class SyncPlugin:
    def __init__(self) -> None:
        self.ran: list[dict[str, Any]] = []

    async def run(self, job, svc) -> None:
        self.ran.append(job.payload)
        if job.payload.get("fail"):
            raise DeliveryError("CRM down")

    @hookimpl
    def register_job_kinds(self, register: Any) -> None:
        register(JobKind(name="crm.sync", run=self.run, max_attempts=2))


async def test_hook_register_job_kinds(settings, services) -> None:
    plugin = SyncPlugin()
    services.pm = make_plugin_manager(
        settings.plugin_allow_list, settings.plugins_dir, extra=(plugin,)
    )
    services.job_kinds = None
    kinds = job_kinds(services)
    assert {"message.send", "crm.sync"} <= set(kinds)

    async def unit(tx):
        ok = await store.enqueue_job(tx, "crm.sync", {"contact": "c1"})
        bad = await store.enqueue_job(tx, "crm.sync", {"fail": True})
        return ok, bad

    ok, bad = await services.db.write(unit)
    await Worker(services).run_until_idle()
    assert {"contact": "c1"} in plugin.ran
    assert (await store.get_job(services.db, ok)).status == "done"
    failed = await store.get_job(services.db, bad)
    # The kind's max_attempts applies to jobs enqueued without their own.
    assert failed.status == "queued" and failed.max_attempts == 2


async def test_serve_runs_a_worker_in_process_and_stops_it_on_shutdown(make_settings) -> None:
    import asyncio

    from litestar.testing import AsyncTestClient

    from surveyor.app import create_app

    settings = make_settings(run_worker=True, worker_poll_seconds=0.05)
    app = create_app(settings)
    side = build_services(settings)
    await start_services(side)
    try:
        async with AsyncTestClient(app=app, base_url="http://surveyor.test") as client:
            worker = client.app.state["services"].worker
            assert worker.running
            job_id = await side.db.write(
                lambda tx: store.enqueue_job(tx, "message.send", {"channel": "nope"})
            )
            for _ in range(200):  # the in-process worker picks it up within a few polls
                job = await store.get_job(side.db, job_id)
                if job.status == "dead":
                    break
                await asyncio.sleep(0.05)
            assert job.status == "dead" and "malformed" in job.last_error
        assert not worker.running  # shutdown stopped it
    finally:
        await side.db.close()
