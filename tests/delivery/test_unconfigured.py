"""An unconfigured channel costs nothing per job (issue 17).

With no ``SURVEYOR_EMAIL_URL`` and the mailbox off, thousands of queued email
invitations are parked together, never leased one by one; later polls touch none of
them. Asserted on what the database keeps (attempts, leases, commits), not on time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from surveyor.app import build_services, start_services
from surveyor.delivery import store
from surveyor.delivery.worker import Worker
from surveyor.ids import iso, utcnow
from surveyor.services import Services
from surveyor.settings import load_settings

QUEUED = 2000


@pytest.fixture
async def no_email(database_url: str) -> AsyncIterator[Services]:
    settings = load_settings(
        environ={"SURVEYOR_MAILBOX_MODE": "off"},
        for_plugins=True,
        database=database_url,
        base_url="http://surveyor.test",
        secret_key="s" * 40,
        run_worker=False,
    )
    svc = build_services(settings)
    await start_services(svc)
    yield svc
    await svc.db.close()


async def _queue_email_invitations(svc: Services, n: int) -> None:
    async def unit(tx):
        for i in range(n):
            await store.enqueue_job(
                tx, "invitation.send", {"invitation_id": f"inv{i}"}, channel="email"
            )
        # One job of a configured kind and no channel still runs.
        await store.enqueue_job(tx, "respond.close_abandoned", {})

    await svc.db.write(unit)


async def test_queued_email_invitations_are_parked_together_not_leased_one_by_one(
    no_email: Services,
) -> None:
    svc = no_email
    await _queue_email_invitations(svc, QUEUED)
    worker = Worker(svc)
    assert worker.waiting_channels["email"] == "email is not configured: set SURVEYOR_EMAIL_URL"
    commits = getattr(svc.db, "commits", None)

    # The first poll parks all of them in one write and runs only the other job.
    assert await worker.run_until_idle() == 1
    first_poll = None if commits is None else svc.db.commits - commits

    # Later polls find nothing to park and nothing due: no write for the parked jobs.
    before = getattr(svc.db, "commits", None)
    for _ in range(10):
        assert await worker.run_until_idle() == 0
    if before is not None:
        # Each run_until_idle writes its heartbeat and wakes jobs of configured
        # channels: a constant per poll, whatever the number of parked jobs.
        assert svc.db.commits - before <= 2 * 10
        assert first_poll is not None and first_poll <= 8  # not ~2,000

    emails = await svc.db.fetch_all(
        "SELECT status, attempts, lease_owner, run_at, last_error FROM jobs WHERE channel = 'email'"
    )
    assert len(emails) == QUEUED
    now = iso(utcnow())
    for job in emails:
        assert job["status"] == "queued" and job["attempts"] == 0
        assert job["lease_owner"] is None and job["run_at"] > now
        assert job["last_error"] == (
            "waiting for channel email: email is not configured: set SURVEYOR_EMAIL_URL"
        )
    # Not one attempt was made (or recorded) for them.
    assert (
        await svc.db.fetch_val(
            "SELECT count(*) FROM job_attempts a JOIN jobs j ON j.id = a.job_id"
            " WHERE j.channel = 'email'"
        )
        == 0
    )


async def test_jobs_queued_after_the_park_are_never_leased_either(no_email: Services) -> None:
    svc = no_email
    worker = Worker(svc)
    assert await worker.run_until_idle() == 0
    await _queue_email_invitations(svc, 50)
    # Between two parks a claim skips them too (the claim query leaves the channel out).
    claimed = await store.claim_due_jobs(
        svc.db,
        worker.name,
        kinds=tuple(worker.kinds),
        limit=100,
        lease_seconds=60,
        skip_channels=tuple(worker.waiting_channels),
    )
    assert [job.kind for job in claimed] == ["respond.close_abandoned"]
    assert (
        await svc.db.fetch_val("SELECT count(*) FROM jobs WHERE channel = 'email' AND attempts > 0")
        == 0
    )
