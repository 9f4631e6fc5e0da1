"""The delivery worker: claim due jobs, run each by its kind, record the outcome.

One loop per process, inside ``surveyor serve`` (unless ``--no-worker``) or alone as
``surveyor worker``; several may run at once against one database because every job
is leased before it runs. A job whose run raises ``DeliveryError(permanent=True)``
dies at once; any other failure is retried with exponential back-off and jitter
until its attempts are used up. Every attempt is stored with its error.

``concurrency`` jobs run at once; a job's slot frees when its run returns, while its
outcome is still being committed (up to ``concurrency`` more wait for that), so the
next job does not wait for the previous one's commit.

Delivery is at least once: a worker that crashes after sending but before recording
leaves a job whose lease expires and runs again. Message ids stay the same across
runs (webhook-id, Message-ID) so receivers can drop the repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from surveyor import DeliveryError
from surveyor.delivery import store
from surveyor.delivery.backoff import backoff_seconds
from surveyor.delivery.channels import ChannelNotConfigured, channels
from surveyor.delivery.job_kinds import job_kinds as job_kinds
from surveyor.delivery.job_kinds import wake_worker as wake_worker
from surveyor.delivery.leases import LeaseKeeper
from surveyor.delivery.models import Job, JobKind
from surveyor.delivery.store import heartbeat as heartbeat_store
from surveyor.ids import iso, utcnow

attempt_log = logging.getLogger("surveyor.delivery.attempt")
log = logging.getLogger("surveyor.delivery")
# Short leases, renewed while a job runs: a crashed worker's jobs come back within a
# minute, and a slow job is never taken over while its worker is alive.
LEASE_SECONDS = 60.0
JOB_TIMEOUT_SECONDS = 240.0
KEEP_FINISHED = timedelta(days=30)
PRUNE_EVERY = timedelta(hours=1)
# A job for a channel nobody configured waits this long before it looks again; a worker
# that starts with the channel configured wakes it at once.
PARK_FOR = timedelta(hours=6)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    """Runs jobs until stopped. ``clock`` and ``rng`` are injectable so tests can freeze
    time and compute the back-off schedule without sleeping."""

    def __init__(
        self,
        svc: Any,
        *,
        name: str | None = None,
        concurrency: int = 16,
        lease_seconds: float | None = None,
        poll_seconds: float | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency: must be at least 1")
        self.svc = svc
        self.name = name or worker_name()
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds or getattr(
            svc.settings, "worker_lease_seconds", LEASE_SECONDS
        )
        self.job_timeout = JOB_TIMEOUT_SECONDS
        self.poll_seconds = poll_seconds or svc.settings.worker_poll_seconds
        self.clock = clock
        self.rng = rng or random.Random()
        self.kinds = job_kinds(svc)
        # Channels whose jobs can only wait here (not configured, not caught by the
        # mailbox); fixed for the worker's life, as the settings are.
        self.waiting_channels = channels(svc).waiting()
        self._inflight: dict[asyncio.Task[None], Job] = {}
        # Claimed by the loop and not yet past their run: a job's slot frees when its send
        # returns, while its outcome is still being recorded, so the next job need not
        # wait for that commit (at most ``concurrency`` more wait for theirs).
        self._sending: set[str] = set()
        self._leases = LeaseKeeper(svc.db, self.name, self.lease_seconds, clock)
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._backlog = False
        self._task: asyncio.Task[None] | None = None
        self._last_recovery: datetime | None = None
        self._last_prune: datetime | None = None
        self.processed = 0

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self.run(), name=f"delivery-worker {self.name}")
        return self._task

    def wake(self) -> None:
        self._wakeup.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming, let in-flight jobs finish for ``grace_seconds``, then hand the
        rest back to the queue (released, their attempt not counted)."""
        self._stopping.set()
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self._drain(grace_seconds)
        await self._leases.stop()

    async def _drain(self, grace_seconds: float) -> None:
        if not self._inflight:
            return
        _, pending = await asyncio.wait(list(self._inflight), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def run(self) -> None:
        """The loop: recover expired leases, claim up to the free slots, wait."""
        log.info("delivery worker %s started (kinds: %s)", self.name, ", ".join(self.kinds))
        await self._wake_parked()
        self._leases.start()
        while not self._stopping.is_set():
            self._wakeup.clear()
            try:
                await self._housekeeping()
                await self._claim_and_start(self._free_slots())
            except Exception:  # the database may be briefly unreachable; try again later
                log.exception("delivery worker %s: poll failed", self.name)
                self._backlog = False
            if self._backlog and self._free_slots() > 0:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self.poll_seconds)
        log.info("delivery worker %s stopping", self.name)

    async def run_until_idle(self) -> int:
        """Run every job due now, and the ones they make due, then return how many ran.

        For tests and ``surveyor worker --once``: no waiting for future jobs.
        """
        before = self.processed
        await self._wake_parked()
        self._leases.start()
        try:
            await self._housekeeping(force=True)
            while jobs := await self._claim(self.concurrency):
                await asyncio.gather(*(self._execute(job) for job in jobs))
        finally:
            await self._leases.stop()
        return self.processed - before

    async def _wake_parked(self) -> None:
        """Jobs parked for a channel this worker has configured go out now."""
        try:
            woken = await store.wake_parked_jobs(
                self.svc.db, channels(self.svc).configured_names(), now=self.clock()
            )
        except Exception:  # the next start tries again; parked jobs also wake on their own
            log.exception("delivery worker %s: waking parked jobs failed", self.name)
            return
        if woken:
            log.info("delivery worker %s: %d parked jobs are due again", self.name, woken)

    # -- claiming --------------------------------------------------------------

    async def _housekeeping(self, *, force: bool = False) -> None:
        now = self.clock()
        every = timedelta(seconds=min(self.poll_seconds * 5, self.lease_seconds / 4))
        if force or self._last_recovery is None or now - self._last_recovery >= every:
            self._last_recovery = now
            try:
                await heartbeat_store.beat(self.svc.db, self.name, iso(now))
            except Exception:  # the heartbeat is for monitoring; it never stops the worker
                log.warning("delivery worker %s: heartbeat not written", self.name)
            if await store.has_expired_leases(self.svc.db, now):
                for job in await store.recover_expired_leases(
                    self.svc.db, kinds=tuple(self.kinds), now=now
                ):
                    await self._callback(job, "on_dead")
        if self._last_prune is None or now - self._last_prune >= PRUNE_EVERY:
            self._last_prune = now
            await store.prune_finished_jobs(self.svc.db, before=now - KEEP_FINISHED)

    async def _claim(self, limit: int) -> list[Job]:
        if limit < 1:
            return []
        now = self.clock()
        kinds = tuple(self.kinds)
        # Jobs of a channel nobody configured are parked together, never leased one by
        # one (with 10,000 queued invitations that churn once halved the respondent path).
        waiting = self.waiting_channels
        if waiting:
            parked = await store.park_waiting_jobs(
                self.svc.db, waiting, until=now + PARK_FOR, now=now
            )
            if parked:
                log.info(
                    "delivery worker %s: %d jobs wait for a channel: %s",
                    self.name,
                    parked,
                    ", ".join(waiting),
                )
        skip = tuple(waiting)
        # A read first: an idle poll then costs no write transaction at all.
        if not await store.has_due_jobs(self.svc.db, kinds, now, skip_channels=skip):
            return []
        return await store.claim_due_jobs(
            self.svc.db,
            self.name,
            kinds=kinds,
            limit=limit,
            lease_seconds=self.lease_seconds,
            default_attempts={name: kind.max_attempts for name, kind in self.kinds.items()},
            skip_channels=skip,
            now=now,
        )

    async def _claim_and_start(self, free: int) -> None:
        if free < 1:
            # Woken with every slot busy: what the last claim said about a backlog still
            # holds. Clearing it here left the finishing jobs unable to wake the loop, and
            # a burst of due jobs then waited a whole poll interval between batches.
            return
        jobs = await self._claim(free)
        # A full batch means more may be waiting: claim again as soon as a slot frees.
        self._backlog = len(jobs) == free
        for job in jobs:
            self._sending.add(job.id)
            task = asyncio.create_task(self._execute(job), name=f"job {job.id}")
            self._inflight[task] = job
            task.add_done_callback(self._finished)

    def _free_slots(self) -> int:
        return min(
            self.concurrency - len(self._sending), 2 * self.concurrency - len(self._inflight)
        )

    def _sent(self, job: Job) -> None:
        """The job's run returned (or raised): its slot is free for the next claim."""
        if job.id in self._sending:
            self._sending.discard(job.id)
            if self._backlog:
                self._wakeup.set()

    def _finished(self, task: asyncio.Task[None]) -> None:
        job = self._inflight.pop(task, None)
        if job is not None:
            self._sending.discard(job.id)  # a task cancelled before it ran
        if self._backlog:
            self._wakeup.set()

    # -- running one job ---------------------------------------------------------

    async def _execute(self, job: Job) -> None:
        kind = self.kinds[job.kind]
        started = self.clock()
        db = self.svc.db
        self._leases.running[job.id] = job
        try:
            try:
                async with asyncio.timeout(self.job_timeout):
                    await kind.run(job, self.svc)
            finally:
                self._sent(job)
        except asyncio.CancelledError:
            # Shutdown: hand the job back rather than leave it leased until expiry.
            await store.release_job(db, job, self.name, started_at=started, now=self.clock())
            self._log_attempt(job, "released", started)
            raise
        except ChannelNotConfigured as exc:
            # Not a failure of the message: it waits (attempt not counted) instead of
            # spinning through its retries while the channel is missing.
            await store.park_job(
                db,
                job,
                self.name,
                exc.message,
                until=self.clock() + PARK_FOR,
                started_at=started,
                now=self.clock(),
            )
        except DeliveryError as exc:
            await self._failed(
                job, kind, exc.message, exc.permanent, started, retry_after=exc.retry_after
            )
        except TimeoutError:
            await self._failed(
                job, kind, f"timed out after {self.job_timeout:.0f}s", False, started
            )
        except Exception as exc:  # a broken plugin fails its own job, never the worker
            log.exception("job %s (%s) raised", job.id, job.kind)
            await self._failed(job, kind, f"{type(exc).__name__}: {exc}", False, started)
        else:
            try:
                recorded = await store.complete_job(
                    db, job, self.name, started_at=started, now=self.clock(), in_tx=kind.done_in_tx
                )
            except Exception:
                # Nothing was recorded (one transaction): the lease expires and the job
                # runs again, so the message may go out twice but is never lost.
                log.exception("job %s (%s): recording its success failed", job.id, job.kind)
                self._log_attempt(job, "unrecorded", started)
                return
            if recorded:
                self._log_attempt(job, "ok", started)
                await self._callback(job, "on_done")
            else:
                self._log_attempt(job, "lost", started)
                log.warning("job %s finished after its lease was lost", job.id)
        finally:
            self._leases.running.pop(job.id, None)
            self.processed += 1

    async def _failed(
        self,
        job: Job,
        kind: JobKind,
        error: str,
        permanent: bool,
        started: datetime,
        *,
        retry_after: float | None = None,
    ) -> None:
        now = self.clock()
        wait = backoff_seconds(job.attempts, self.rng.random())
        if retry_after is not None:  # the receiver's Retry-After, honoured (at most a day)
            wait = max(wait, min(retry_after, 86400.0))
        retry_at = now + timedelta(seconds=wait)
        stored = await store.fail_job(
            self.svc.db,
            job,
            self.name,
            error,
            permanent=permanent,
            retry_at=retry_at,
            started_at=started,
            now=now,
            dead_in_tx=kind.dead_in_tx,
        )
        self._log_attempt(
            job,
            "lost" if stored is None else "dead" if stored.status == "dead" else "retry",
            started,
        )
        if stored is None:
            log.warning("job %s failed after its lease was lost: %s", job.id, error)
        elif stored.status == "dead":
            log.warning("job %s (%s) is dead: %s", job.id, job.kind, error)
            await self._callback(stored, "on_dead")
        else:
            log.info("job %s (%s) failed, retry at %s: %s", job.id, job.kind, stored.run_at, error)

    def _log_attempt(self, job: Job, outcome: str, started: datetime) -> None:
        """One line per attempt: ids, channel, outcome, duration — never an address, a
        message body or the error text (which may quote an address)."""
        attempt_log.info(
            "delivery attempt job=%s kind=%s channel=%s subject=%s:%s attempt=%d outcome=%s "
            "duration_ms=%d worker=%s",
            job.id,
            job.kind,
            job.channel or "-",
            job.subject_type or "-",
            job.subject_id or "-",
            job.attempts,
            outcome,
            int((self.clock() - started).total_seconds() * 1000),
            self.name,
        )

    async def _callback(self, job: Job, which: str) -> None:
        kind = self.kinds.get(job.kind)
        callback = getattr(kind, which, None) if kind else None
        if callback is None:
            return
        try:
            await callback(job, self.svc)
        except Exception:
            log.exception("job kind %s: %s failed for job %s", job.kind, which, job.id)
