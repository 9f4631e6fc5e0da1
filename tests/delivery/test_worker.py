"""The worker: dispatch by kind, back-off on a frozen clock, dead letters, isolation of
broken plugins, concurrency between workers, graceful shutdown."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from surveyor import Message
from surveyor.app import build_services, start_services
from surveyor.delivery import store
from surveyor.delivery.backoff import backoff_seconds
from surveyor.delivery.channels import MESSAGE_JOB, ChannelRegistry
from surveyor.delivery.worker import Worker, wake_worker
from surveyor.ids import iso, parse_iso
from tests.delivery.helpers import (
    T0,
    BrokenChannel,
    Clock,
    CountingKind,
    RecordingChannel,
    permanent,
    temporary,
)


def use(svc, *kinds, channels=()):
    svc.job_kinds = {k.name: k for k in (MESSAGE_JOB, *kinds)}
    svc.channels = ChannelRegistry(channels)


async def enqueue(db, n=1, kind="test.count", **options):
    async def unit(tx):
        return [await store.enqueue_job(tx, kind, {"n": i}, T0, **options) for i in range(n)]

    return await db.write(unit)


async def test_due_jobs_run_by_kind_and_are_marked_done(services) -> None:
    counting = CountingKind()
    use(services, counting.kind())
    ids = await enqueue(services.db, 3)
    worker = Worker(services, clock=Clock())
    assert await worker.run_until_idle() == 3
    assert sorted(counting.runs) == sorted(ids) and sorted(counting.done) == sorted(ids)
    for job_id in ids:
        assert (await store.get_job(services.db, job_id)).status == "done"
        [attempt] = await store.list_attempts(services.db, job_id)
        assert attempt.outcome == "ok" and attempt.worker == worker.name


async def test_retries_back_off_exponentially_with_jitter_then_die(services) -> None:
    counting = CountingKind()
    counting.fail_with = [temporary(f"451 busy {i}") for i in range(4)]
    use(services, counting.kind())
    [job_id] = await enqueue(services.db, max_attempts=4)
    clock = Clock()
    worker = Worker(services, clock=clock, rng=random.Random(7))
    expected_rng = random.Random(7)
    for attempt in (1, 2, 3):
        await worker.run_until_idle()
        job = await store.get_job(services.db, job_id)
        delay = backoff_seconds(attempt, expected_rng.random())
        assert job.status == "queued" and job.attempts == attempt
        assert job.run_at == iso(clock.now + timedelta(seconds=delay))
        assert 60 * 2 ** (attempt - 1) / 2 <= delay <= 60 * 2 ** (attempt - 1)
        # Nothing runs before its time.
        clock.advance(delay - 1)
        assert await worker.run_until_idle() == 0
        clock.now = parse_iso(job.run_at)
    await worker.run_until_idle()
    job = await store.get_job(services.db, job_id)
    assert job.status == "dead" and job.last_error == "451 busy 3"
    assert counting.dead == [job_id]
    outcomes = [a.outcome for a in await store.list_attempts(services.db, job_id)]
    assert outcomes == ["retry", "retry", "retry", "dead"]


async def test_a_permanent_error_is_not_retried(services) -> None:
    counting = CountingKind()
    counting.fail_with = [permanent("550 no such user")]
    use(services, counting.kind())
    [job_id] = await enqueue(services.db)
    worker = Worker(services, clock=Clock())
    await worker.run_until_idle()
    job = await store.get_job(services.db, job_id)
    assert job.status == "dead" and job.last_error == "550 no such user"
    assert len(counting.runs) == 1 and counting.dead == [job_id]


async def test_a_channel_plugin_that_raises_does_not_stop_other_deliveries(services) -> None:
    good = RecordingChannel("good")
    use(services, channels=[BrokenChannel(), good])

    async def unit(tx):
        bad = await store.enqueue_message(tx, "broken", Message(recipient="a@example.com"))
        ok = [
            await store.enqueue_message(tx, "good", Message(recipient=f"{i}@example.com"))
            for i in range(3)
        ]
        return bad, ok

    bad_id, ok_ids = await services.db.write(unit)
    await Worker(services).run_until_idle()
    assert sorted(m.recipient for m in good.sent) == [f"{i}@example.com" for i in range(3)]
    bad = await store.get_job(services.db, bad_id)
    assert bad.status == "queued" and bad.last_error == "RuntimeError: plugin bug"
    for job_id in ok_ids:
        assert (await store.get_job(services.db, job_id)).status == "done"


async def test_an_unknown_channel_is_retried_not_lost(services) -> None:
    use(services)
    job_id = await services.db.write(
        lambda tx: store.enqueue_message(tx, "carrier-pigeon", Message(recipient="x"))
    )
    await Worker(services).run_until_idle()
    job = await store.get_job(services.db, job_id)
    assert job.status == "queued" and "carrier-pigeon" in job.last_error


async def test_two_workers_never_run_the_same_job_twice(services, settings) -> None:
    counting = CountingKind()
    use(services, counting.kind())
    ids = await enqueue(services.db, 80)
    other = build_services(settings)
    await start_services(other)
    try:
        use(other, counting.kind())
        first = Worker(services, concurrency=5, clock=Clock())
        second = Worker(other, concurrency=5, clock=Clock())
        await asyncio.gather(first.run_until_idle(), second.run_until_idle())
    finally:
        await other.db.close()
    assert sorted(counting.runs) == sorted(ids)  # each exactly once
    assert first.processed + second.processed == len(ids)


async def test_a_job_the_worker_cannot_run_stays_queued(services) -> None:
    use(services)  # no handler for test.count on this worker
    [job_id] = await enqueue(services.db)
    assert await Worker(services, clock=Clock()).run_until_idle() == 0
    assert (await store.get_job(services.db, job_id)).attempts == 0


async def test_the_running_loop_wakes_on_new_jobs_and_stops_gracefully(services) -> None:
    ran = asyncio.Event()
    release = asyncio.Event()
    counting = CountingKind()

    async def run(job, svc):
        counting.runs.append(job.id)
        ran.set()
        await release.wait()

    kind = counting.kind()
    use(services, type(kind)(name=kind.name, run=run, on_done=kind.on_done))
    worker = Worker(services, poll_seconds=60)
    services.worker = worker
    worker.start()
    [job_id] = await enqueue(services.db)
    wake_worker(services)  # no 60 s wait: the commit woke it
    await asyncio.wait_for(ran.wait(), 10)

    stopping = asyncio.create_task(worker.stop(grace_seconds=30))
    await asyncio.sleep(0)
    release.set()  # the in-flight job finishes within the grace period
    await asyncio.wait_for(stopping, 10)
    assert (await store.get_job(services.db, job_id)).status == "done"


async def test_shutdown_hands_back_work_that_does_not_finish_in_time(services) -> None:
    ran = asyncio.Event()

    async def hang(job, svc):
        ran.set()
        await asyncio.Event().wait()

    from surveyor.delivery.models import JobKind

    use(services, JobKind(name="test.count", run=hang))
    worker = Worker(services, poll_seconds=60)
    worker.start()
    [job_id] = await enqueue(services.db)
    worker.wake()
    await asyncio.wait_for(ran.wait(), 10)
    await worker.stop(grace_seconds=0)
    job = await store.get_job(services.db, job_id)
    assert job.status == "queued" and job.attempts == 0 and job.lease_owner is None
    [attempt] = await store.list_attempts(services.db, job_id)
    assert attempt.outcome == "released"


async def test_a_failing_done_in_tx_leaves_the_job_to_run_again_and_the_worker_going(
    services,
) -> None:
    counting = CountingKind()

    async def refuse(tx, job):
        raise RuntimeError("the invitation table is gone")

    kind = counting.kind()
    use(services, type(kind)(name=kind.name, run=kind.run, on_done=kind.on_done, done_in_tx=refuse))
    [job_id] = await enqueue(services.db)
    worker = Worker(services, clock=Clock())
    assert await worker.run_until_idle() == 1  # no exception escapes the worker
    assert counting.runs == [job_id]
    assert counting.done == []  # on_done never ran: nothing was recorded
    assert (await store.get_job(services.db, job_id)).status == "running"  # back after its lease


async def test_a_slot_frees_when_the_send_returns_not_when_its_record_commits(
    services, monkeypatch
) -> None:
    # Issue 17: with one slot, the next job runs while the first's outcome is still
    # being recorded; both end up recorded, each once.
    counting = CountingKind()
    ids = await enqueue(services.db, 2)
    record_held = asyncio.Event()
    second_ran = asyncio.Event()
    complete_job = store.complete_job

    async def held_complete_job(db, job, *args, **kwargs):
        if job.id == counting.runs[0]:
            await record_held.wait()
        return await complete_job(db, job, *args, **kwargs)

    async def run(job, svc):
        await counting.run(job, svc)
        if len(counting.runs) == 2:
            second_ran.set()

    monkeypatch.setattr(store, "complete_job", held_complete_job)
    kind = counting.kind()
    use(services, type(kind)(name=kind.name, run=run, on_done=kind.on_done))
    worker = Worker(services, concurrency=1, poll_seconds=60)
    worker.start()
    await asyncio.wait_for(second_ran.wait(), 10)  # the first is not recorded yet
    assert (await store.get_job(services.db, counting.runs[0])).status == "running"
    record_held.set()
    await worker.stop(grace_seconds=30)
    for job_id in ids:
        assert (await store.get_job(services.db, job_id)).status == "done"
        assert [a.outcome for a in await store.list_attempts(services.db, job_id)] == ["ok"]
    assert sorted(counting.runs) == sorted(ids)


async def test_a_wake_while_every_slot_is_busy_does_not_strand_the_backlog(services) -> None:
    # Issue 17: a wake (a new response's job) that found no free slot forgot that more
    # jobs were due, so the busy ones, finishing, no longer woke the loop: the rest of
    # a burst waited a whole poll interval (here an hour) between batches.
    counting = CountingKind()
    release = asyncio.Event()
    two_running = asyncio.Event()

    async def run(job, svc):
        await counting.run(job, svc)
        if len(counting.runs) == 2:
            two_running.set()
        await release.wait()

    kind = counting.kind()
    use(services, type(kind)(name=kind.name, run=run, on_done=kind.on_done))
    ids = await enqueue(services.db, 5)
    worker = Worker(services, concurrency=2, poll_seconds=3600)
    woken_full = asyncio.Event()
    claim_and_start = worker._claim_and_start

    async def spy(free: int) -> None:
        await claim_and_start(free)
        if free == 0:
            woken_full.set()

    worker._claim_and_start = spy  # type: ignore[method-assign]
    worker.start()
    await asyncio.wait_for(two_running.wait(), 10)
    worker.wake()  # every slot busy
    await asyncio.wait_for(woken_full.wait(), 10)
    release.set()

    async def all_done() -> None:
        while sorted(counting.done) != sorted(ids):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(all_done(), 30)  # not an hour
    await worker.stop(grace_seconds=30)
