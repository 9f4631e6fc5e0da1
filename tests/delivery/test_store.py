"""The outbox on both backends: enqueue in the caller's transaction, claim with leases,
record attempts, retry the dead."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from surveyor.db import open_database
from surveyor.delivery import store
from tests.delivery.helpers import T0

KINDS = ("test.count",)


async def _enqueue(db, n: int = 1, **options) -> list[str]:
    async def unit(tx):
        return [
            await store.enqueue_job(
                tx,
                "test.count",
                {"n": i},
                options.get("run_at", T0),
                **{k: v for k, v in options.items() if k != "run_at"},
            )
            for i in range(n)
        ]

    return await db.write(unit)


async def test_a_job_commits_with_the_callers_transaction_or_not_at_all(db) -> None:
    async def failing(tx):
        await store.enqueue_job(tx, "test.count", {"n": 1})
        raise ValueError("the event was refused")

    with pytest.raises(ValueError):
        await db.write(failing)
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 0
    [job_id] = await _enqueue(db)
    job = await store.get_job(db, job_id)
    assert job is not None and job.status == "queued" and job.payload == {"n": 0}


async def test_the_same_dedupe_key_gives_back_the_first_job(db) -> None:
    first = await _enqueue(db, dedupe_key="remind:inv1")
    second = await _enqueue(db, dedupe_key="remind:inv1")
    assert first == second
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 1


async def test_only_due_jobs_of_known_kinds_are_claimed_oldest_first(db) -> None:
    await _enqueue(db, run_at=T0 + timedelta(hours=1))
    [due] = await _enqueue(db, run_at=T0 - timedelta(minutes=1))

    async def other(tx):
        await store.enqueue_job(tx, "other.kind", {}, T0)

    await db.write(other)
    claimed = await store.claim_due_jobs(db, "w1", kinds=KINDS, limit=10, lease_seconds=60, now=T0)
    assert [job.id for job in claimed] == [due]
    job = claimed[0]
    assert job.status == "running" and job.lease_owner == "w1" and job.attempts == 1
    assert (
        await store.claim_due_jobs(db, "w2", kinds=KINDS, limit=10, lease_seconds=60, now=T0) == []
    )


async def test_an_expired_lease_returns_a_crashed_workers_job(db) -> None:
    [job_id] = await _enqueue(db)
    [job] = await store.claim_due_jobs(
        db, "crashed", kinds=KINDS, limit=1, lease_seconds=60, now=T0
    )
    later = T0 + timedelta(seconds=30)
    assert not await store.has_expired_leases(db, later)
    assert (
        await store.claim_due_jobs(db, "w2", kinds=KINDS, limit=1, lease_seconds=60, now=later)
        == []
    )

    expired = T0 + timedelta(seconds=61)
    assert await store.has_expired_leases(db, expired)
    assert await store.recover_expired_leases(db, kinds=KINDS, now=expired) == []
    [again] = await store.claim_due_jobs(
        db, "w2", kinds=KINDS, limit=1, lease_seconds=60, now=expired
    )
    assert again.id == job_id and again.attempts == 2 and again.lease_owner == "w2"
    [lost] = await store.list_attempts(db, job_id)
    assert lost.outcome == "lost" and "crashed" in lost.error

    # The crashed worker coming back late cannot overwrite the new owner's lease.
    assert not await store.complete_job(db, job, "crashed", started_at=T0, now=expired)
    assert (await store.get_job(db, job_id)).status == "running"
    assert await store.complete_job(db, again, "w2", started_at=expired, now=expired)
    assert (await store.get_job(db, job_id)).status == "done"


async def test_a_job_out_of_attempts_dies_when_its_lease_expires(db) -> None:
    [job_id] = await _enqueue(db, max_attempts=1)
    await store.claim_due_jobs(db, "crashed", kinds=KINDS, limit=1, lease_seconds=60, now=T0)
    dead = await store.recover_expired_leases(db, kinds=KINDS, now=T0 + timedelta(minutes=5))
    assert [job.id for job in dead] == [job_id]
    stored = await store.get_job(db, job_id)
    assert stored.status == "dead" and "lease expired" in stored.last_error


async def test_failures_retry_until_the_limit_then_the_job_is_dead(db) -> None:
    [job_id] = await _enqueue(db, max_attempts=2)
    now = T0
    [job] = await store.claim_due_jobs(db, "w", kinds=KINDS, limit=1, lease_seconds=60, now=now)
    retry_at = now + timedelta(minutes=1)
    stored = await store.fail_job(
        db, job, "w", "451 try later", permanent=False, retry_at=retry_at, started_at=now, now=now
    )
    assert stored.status == "queued" and stored.run_at.startswith("2026-01-05T12:01:00")
    assert (
        await store.claim_due_jobs(db, "w", kinds=KINDS, limit=1, lease_seconds=60, now=now) == []
    )
    [job] = await store.claim_due_jobs(
        db, "w", kinds=KINDS, limit=1, lease_seconds=60, now=retry_at
    )
    stored = await store.fail_job(
        db, job, "w", "451 again", permanent=False, retry_at=retry_at, started_at=now, now=retry_at
    )
    assert stored.status == "dead" and stored.last_error == "451 again"
    attempts = await store.list_attempts(db, job_id)
    assert [(a.attempt, a.outcome, a.error) for a in attempts] == [
        (1, "retry", "451 try later"),
        (2, "dead", "451 again"),
    ]


async def test_a_permanent_error_kills_the_job_at_once(db) -> None:
    [_job_id] = await _enqueue(db)
    [job] = await store.claim_due_jobs(db, "w", kinds=KINDS, limit=1, lease_seconds=60, now=T0)
    stored = await store.fail_job(
        db, job, "w", "550 no such user", permanent=True, retry_at=T0, started_at=T0, now=T0
    )
    assert stored.status == "dead" and stored.attempts == 1


async def test_a_dead_job_retried_gets_a_fresh_set_of_attempts(db) -> None:
    [job_id] = await _enqueue(db)
    assert await store.retry_job(db, job_id) is None  # only dead jobs
    [job] = await store.claim_due_jobs(db, "w", kinds=KINDS, limit=1, lease_seconds=60, now=T0)
    await store.fail_job(db, job, "w", "550", permanent=True, retry_at=T0, started_at=T0, now=T0)
    retried = await store.retry_job(db, job_id, now=T0)
    assert retried.status == "queued" and retried.attempts == 0
    [again] = await store.claim_due_jobs(db, "w", kinds=KINDS, limit=1, lease_seconds=60, now=T0)
    assert again.id == job_id


async def test_releasing_at_shutdown_does_not_count_the_attempt(db) -> None:
    [job_id] = await _enqueue(db)
    [job] = await store.claim_due_jobs(db, "w", kinds=KINDS, limit=1, lease_seconds=60, now=T0)
    assert await store.release_job(db, job, "w", started_at=T0, now=T0)
    stored = await store.get_job(db, job_id)
    assert stored.status == "queued" and stored.attempts == 0 and stored.lease_owner is None


async def test_cancel_jobs_about_a_record_leaves_the_others(db) -> None:
    async def unit(tx):
        await store.enqueue_job(tx, "test.count", {}, subject_type="invitation", subject_id="i1")
        await store.enqueue_job(tx, "test.remind", {}, subject_type="invitation", subject_id="i1")
        await store.enqueue_job(tx, "test.count", {}, subject_type="invitation", subject_id="i2")
        return await store.cancel_jobs(
            tx, subject_type="invitation", subject_id="i1", kinds=("test.remind",)
        )

    assert await db.write(unit) == 1
    jobs = await store.jobs_for_subject(db, "invitation", "i1")
    assert sorted(j.status for j in jobs) == ["cancelled", "queued"]


async def test_the_log_filters_and_pages_newest_first(db) -> None:
    # UUIDv7 ids sort by creation time (to the millisecond; ties in id order).
    ids = sorted(await _enqueue(db, 5), reverse=True)
    page = await store.list_jobs(db, limit=2)
    assert [j.id for j in page.items] == ids[:2] and page.next_cursor == ids[1]
    rest = await store.list_jobs(db, limit=10, cursor=page.next_cursor)
    assert [j.id for j in rest.items] == ids[2:] and rest.next_cursor is None
    assert (await store.list_jobs(db, status="dead")).items == []
    assert len((await store.list_jobs(db, kind="test.count", status="queued")).items) == 5
    assert (await store.status_counts(db))["queued"] == 5


async def test_two_claimers_never_get_the_same_job(db, settings) -> None:
    """Two database handles (as two worker processes would have) claim concurrently."""
    ids = set(await _enqueue(db, 120))
    other = open_database(settings.database)
    await other.connect()
    try:
        got: dict[str, list[str]] = {"a": [], "b": []}

        async def claimer(handle, name: str) -> None:
            while jobs := await store.claim_due_jobs(
                handle, name, kinds=KINDS, limit=7, lease_seconds=60, now=T0
            ):
                got[name].extend(job.id for job in jobs)
                await asyncio.sleep(0)

        await asyncio.gather(claimer(db, "a"), claimer(other, "b"), claimer(db, "a"))
    finally:
        await other.close()
    assert not set(got["a"]) & set(got["b"])
    assert len(got["a"]) + len(got["b"]) == len(ids)
    assert set(got["a"]) | set(got["b"]) == ids


async def test_finished_jobs_are_pruned_but_dead_ones_kept(db) -> None:
    [done_id, dead_id] = await _enqueue(db, 2)
    jobs = await store.claim_due_jobs(db, "w", kinds=KINDS, limit=2, lease_seconds=60, now=T0)
    by_id = {j.id: j for j in jobs}
    await store.complete_job(db, by_id[done_id], "w", started_at=T0, now=T0)
    await store.fail_job(
        db, by_id[dead_id], "w", "x", permanent=True, retry_at=T0, started_at=T0, now=T0
    )
    assert await store.prune_finished_jobs(db, before=T0 + timedelta(days=1)) == 1
    assert await store.get_job(db, done_id) is None
    assert await store.get_job(db, dead_id) is not None
    assert await db.fetch_val("SELECT COUNT(*) FROM job_attempts WHERE job_id = ?", (done_id,)) == 0


async def test_a_job_without_its_own_limit_gets_its_kinds_on_first_claim(db) -> None:
    [job_id] = await _enqueue(db)
    [own] = await _enqueue(db, max_attempts=2)
    assert (await store.get_job(db, job_id)).max_attempts == 0
    jobs = await store.claim_due_jobs(
        db, "w", kinds=KINDS, limit=5, lease_seconds=60, default_attempts={"test.count": 3}, now=T0
    )
    assert {j.id: j.max_attempts for j in jobs} == {job_id: 3, own: 2}


async def test_a_renewed_lease_keeps_a_slow_job_with_its_worker(db) -> None:
    [job_id] = await _enqueue(db)
    await store.claim_due_jobs(db, "slow", kinds=KINDS, limit=1, lease_seconds=60, now=T0)
    renewed_at = T0 + timedelta(seconds=50)
    assert await store.extend_leases(db, "slow", [job_id], lease_seconds=60, now=renewed_at) == 1
    assert await store.extend_leases(db, "other", [job_id], lease_seconds=60, now=renewed_at) == 0
    assert not await store.has_expired_leases(db, T0 + timedelta(seconds=100))
    assert await store.has_expired_leases(db, T0 + timedelta(seconds=111))


async def test_the_done_and_dead_callbacks_share_the_jobs_transaction(db) -> None:
    await db.write(lambda tx: tx.execute("CREATE TABLE marks (job_id TEXT, what TEXT)"))

    async def mark(what):
        async def callback(tx, job):
            await tx.execute("INSERT INTO marks VALUES (?, ?)", (job.id, what))

        return callback

    async def broken(tx, job):
        await tx.execute("INSERT INTO marks VALUES (?, 'half')", (job.id,))
        raise RuntimeError("the invitation could not be marked")

    [_a, _b] = await _enqueue(db, 2)
    first, second = await store.claim_due_jobs(
        db, "w", kinds=KINDS, limit=2, lease_seconds=60, now=T0
    )
    # A callback that fails takes the job's own completion down with it: nothing half-done.
    with pytest.raises(RuntimeError):
        await store.complete_job(db, first, "w", started_at=T0, now=T0, in_tx=broken)
    assert (await store.get_job(db, first.id)).status == "running"
    assert await db.fetch_val("SELECT count(*) FROM marks") == 0
    assert await store.complete_job(db, first, "w", started_at=T0, now=T0, in_tx=await mark("sent"))
    stored = await store.fail_job(
        db,
        second,
        "w",
        "550 no such user",
        permanent=True,
        retry_at=T0,
        started_at=T0,
        now=T0,
        dead_in_tx=await mark("failed"),
    )
    assert stored.status == "dead"
    rows = await db.fetch_all("SELECT job_id, what FROM marks ORDER BY what")
    assert rows == [{"job_id": second.id, "what": "failed"}, {"job_id": first.id, "what": "sent"}]
