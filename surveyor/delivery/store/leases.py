"""The worker's side of the outbox: claim due jobs with a lease, renew and recover
leases, and report each attempt (done, retry, dead, handed back).

Workers claim due jobs in a write unit — on PostgreSQL with ``FOR UPDATE SKIP LOCKED``
so concurrent workers skip each other's rows; on SQLite the unit runs inside the single
writer's ``BEGIN IMMEDIATE`` transaction, which already excludes every other writer (in
this process or another), so the select and the update cannot interleave. A claim
holds a lease; when it expires (the worker crashed or hung) ``recover_expired_leases``
puts the job back in the queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import msgspec

from surveyor.db import Database, Tx
from surveyor.delivery.models import DEFAULT_MAX_ATTEMPTS, Job, JobTxCallback
from surveyor.delivery.store.outbox import (
    ATTEMPT_COLUMNS,
    JOB_COLUMNS,
    _clip,
    _marks,
    job_from_row,
)
from surveyor.ids import iso, new_id, utcnow


def _skip_channels(channels: tuple[str, ...]) -> str:
    return f" AND channel NOT IN ({_marks(channels)})" if channels else ""


def due_index(backend: str) -> str:
    """On SQLite, read due jobs through ``ix_jobs_due`` (queued, by ``run_at``): left to
    itself the planner picks ``(status, created_at)`` and walks every queued job — all
    the parked ones too — to find the few due now (issue 17)."""
    return "" if backend == "postgresql" else " INDEXED BY ix_jobs_due"


async def has_due_jobs(
    db: Database, kinds: tuple[str, ...], now: datetime, *, skip_channels: tuple[str, ...] = ()
) -> bool:
    """A cheap read, so an idle poll costs no write transaction at all."""
    if not kinds:
        return False
    return (
        await db.fetch_val(
            f"SELECT 1 FROM jobs{due_index(db.backend)} WHERE status = 'queued' AND run_at <= ?"
            f" AND kind IN ({_marks(kinds)}){_skip_channels(skip_channels)} LIMIT 1",
            (iso(now), *kinds, *skip_channels),
        )
        is not None
    )


# -- claiming and leases --------------------------------------------------------


async def claim_due_jobs(
    db: Database,
    worker: str,
    *,
    kinds: tuple[str, ...],
    limit: int,
    lease_seconds: float,
    default_attempts: Mapping[str, int] | None = None,
    skip_channels: tuple[str, ...] = (),
    now: datetime | None = None,
) -> list[Job]:
    """Lease up to ``limit`` due jobs of ``kinds`` to ``worker``, oldest due first.

    Jobs of ``skip_channels`` (channels nobody configured here) are left alone: leasing
    them would only hand them back (``park_waiting_jobs`` parks them in bulk instead).

    Only kinds this worker can run are claimed, so a worker without some plugin never
    burns the attempts of that plugin's jobs. Each claim counts as an attempt, so a job
    that kills its worker every time still ends up dead instead of looping forever.
    Jobs enqueued without ``max_attempts`` get their kind's from ``default_attempts``.
    """
    if not kinds or limit < 1:
        return []
    now = now or utcnow()
    stamp = iso(now)
    lease_until = iso(now + timedelta(seconds=lease_seconds))

    async def unit(tx: Tx) -> list[Job]:
        lock = " FOR UPDATE SKIP LOCKED" if tx.backend == "postgresql" else ""
        # Without the index hint SQLite sorted every queued job to return the first few
        # (a tenth of a busy worker's time with 3,000 queued).
        rows = await tx.fetch_all(
            f"SELECT id, kind, max_attempts FROM jobs{due_index(tx.backend)}"
            " WHERE status = 'queued' AND run_at <= ?"
            f" AND kind IN ({_marks(kinds)}){_skip_channels(skip_channels)}"
            f" ORDER BY run_at, id LIMIT ?{lock}",
            (stamp, *kinds, *skip_channels, int(limit)),
        )
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        await tx.execute(
            "UPDATE jobs SET status = 'running', lease_owner = ?, lease_until = ?,"
            f" attempts = attempts + 1, updated_at = ? WHERE id IN ({_marks(ids)})",
            (worker, lease_until, stamp, *ids),
        )
        unset = sorted({row["kind"] for row in rows if not row["max_attempts"]})
        for kind in unset:
            await tx.execute(
                f"UPDATE jobs SET max_attempts = ? WHERE id IN ({_marks(ids)})"
                " AND kind = ? AND max_attempts = 0",
                (int((default_attempts or {}).get(kind, DEFAULT_MAX_ATTEMPTS)), *ids, kind),
            )
        claimed = await tx.fetch_all(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE id IN ({_marks(ids)}) ORDER BY run_at, id", ids
        )
        return [job_from_row(row) for row in claimed]

    return await db.write(unit)


async def extend_leases(
    db: Database,
    worker: str,
    job_ids: list[str],
    *,
    lease_seconds: float,
    now: datetime | None = None,
) -> int:
    """Renew ``worker``'s leases on jobs it is still running; returns how many it holds."""
    if not job_ids:
        return 0
    until = iso((now or utcnow()) + timedelta(seconds=lease_seconds))

    async def unit(tx: Tx) -> int:
        return await tx.execute(
            f"UPDATE jobs SET lease_until = ? WHERE id IN ({_marks(job_ids)})"
            " AND status = 'running' AND lease_owner = ?",
            (until, *job_ids, worker),
        )

    return await db.write(unit)


async def has_expired_leases(db: Database, now: datetime | None = None) -> bool:
    """A cheap read (partial index) so a worker only writes when there is something to recover."""
    stamp = iso(now or utcnow())
    return (
        await db.fetch_val(
            "SELECT 1 FROM jobs WHERE status = 'running' AND lease_until < ? LIMIT 1", (stamp,)
        )
        is not None
    )


async def recover_expired_leases(
    db: Database, *, kinds: tuple[str, ...], limit: int = 100, now: datetime | None = None
) -> list[Job]:
    """Put jobs whose worker's lease ran out back in the queue, recording a ``lost`` attempt.

    A job that has used all its attempts goes dead instead. Returns the jobs that died
    here, so the caller can run their ``on_dead`` callbacks.
    """
    if not kinds:
        return []
    now = now or utcnow()
    stamp = iso(now)

    async def unit(tx: Tx) -> list[Job]:
        lock = " FOR UPDATE SKIP LOCKED" if tx.backend == "postgresql" else ""
        rows = await tx.fetch_all(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE status = 'running' AND lease_until < ?"
            f" AND kind IN ({_marks(kinds)}) ORDER BY lease_until LIMIT ?{lock}",
            (stamp, *kinds, int(limit)),
        )
        dead: list[Job] = []
        for row in rows:
            job = job_from_row(row)
            error = f"lease expired: worker {job.lease_owner} stopped before reporting"
            await record_attempt(
                tx, job, job.lease_owner or "", job.lease_until or stamp, now, "lost", error
            )
            if job.attempts >= job.max_attempts:
                await tx.execute(
                    "UPDATE jobs SET status = 'dead', lease_owner = NULL, lease_until = NULL,"
                    " last_error = ?, updated_at = ?, finished_at = ? WHERE id = ?",
                    (error, stamp, stamp, job.id),
                )
                dead.append(
                    msgspec.structs.replace(
                        job, status="dead", last_error=error, lease_owner=None, lease_until=None
                    )
                )
            else:
                await tx.execute(
                    "UPDATE jobs SET status = 'queued', run_at = ?, lease_owner = NULL,"
                    " lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ?",
                    (stamp, error, stamp, job.id),
                )
        return dead

    return await db.write(unit)


# -- reporting an attempt ---------------------------------------------------------


async def record_attempt(
    tx: Tx,
    job: Job,
    worker: str,
    started_at: datetime | str,
    now: datetime,
    outcome: str,
    error: str = "",
) -> None:
    started = started_at if isinstance(started_at, str) else iso(started_at)
    started_dt = started_at if isinstance(started_at, datetime) else now
    duration = max(0, int((now - started_dt).total_seconds() * 1000))
    await tx.execute(
        f"INSERT INTO job_attempts ({ATTEMPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new_id(),
            job.id,
            job.attempts,
            worker,
            started,
            iso(now),
            outcome,
            _clip(error),
            duration,
        ),
    )


async def complete_job(
    db: Database,
    job: Job,
    worker: str,
    *,
    started_at: datetime,
    now: datetime | None = None,
    in_tx: JobTxCallback | None = None,
) -> bool:
    """Mark a claimed job done (and run ``in_tx`` in the same transaction). False when
    the worker had lost its lease meanwhile (the attempt is still recorded: the message
    did go out)."""
    now = now or utcnow()
    stamp = iso(now)

    async def unit(tx: Tx) -> bool:
        await record_attempt(tx, job, worker, started_at, now, "ok")
        changed = await tx.execute(
            "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_until = NULL,"
            " last_error = '', updated_at = ?, finished_at = ?"
            " WHERE id = ? AND status = 'running' AND lease_owner = ?",
            (stamp, stamp, job.id, worker),
        )
        if changed and in_tx is not None:
            await in_tx(tx, job)
        return changed > 0

    return await db.write(unit)


async def fail_job(
    db: Database,
    job: Job,
    worker: str,
    error: str,
    *,
    permanent: bool,
    retry_at: datetime,
    started_at: datetime,
    now: datetime | None = None,
    dead_in_tx: JobTxCallback | None = None,
) -> Job | None:
    """Record a failed attempt: back to the queue at ``retry_at``, or dead when the error
    is permanent or the attempts are used up (then ``dead_in_tx`` runs in the same
    transaction). Returns the job as now stored, or None when the worker had lost its
    lease (the attempt is still recorded)."""
    now = now or utcnow()
    stamp = iso(now)
    dead = permanent or job.attempts >= job.max_attempts
    error = _clip(error)

    async def unit(tx: Tx) -> Job | None:
        await record_attempt(tx, job, worker, started_at, now, "dead" if dead else "retry", error)
        if dead:
            changed = await tx.execute(
                "UPDATE jobs SET status = 'dead', lease_owner = NULL, lease_until = NULL,"
                " last_error = ?, updated_at = ?, finished_at = ?"
                " WHERE id = ? AND status = 'running' AND lease_owner = ?",
                (error, stamp, stamp, job.id, worker),
            )
        else:
            changed = await tx.execute(
                "UPDATE jobs SET status = 'queued', run_at = ?, lease_owner = NULL,"
                " lease_until = NULL, last_error = ?, updated_at = ?"
                " WHERE id = ? AND status = 'running' AND lease_owner = ?",
                (iso(retry_at), error, stamp, job.id, worker),
            )
        if not changed:
            return None
        row = await tx.fetch_one(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job.id,))
        stored = None if row is None else job_from_row(row)
        if dead and stored is not None and dead_in_tx is not None:
            await dead_in_tx(tx, stored)
        return stored

    return await db.write(unit)


async def release_job(
    db: Database, job: Job, worker: str, *, started_at: datetime, now: datetime | None = None
) -> bool:
    """Hand an unfinished job back at shutdown: queued again at once, and the interrupted
    attempt does not count against its limit."""
    now = now or utcnow()
    stamp = iso(now)

    async def unit(tx: Tx) -> bool:
        await record_attempt(
            tx, job, worker, started_at, now, "released", "worker stopped; handed back"
        )
        changed = await tx.execute(
            "UPDATE jobs SET status = 'queued', run_at = ?, attempts = attempts - 1,"
            " lease_owner = NULL, lease_until = NULL, updated_at = ?"
            " WHERE id = ? AND status = 'running' AND lease_owner = ?",
            (stamp, stamp, job.id, worker),
        )
        return changed > 0

    return await db.write(unit)
