"""The outbox in SQL: enqueue inside another domain's transaction, claim with a lease,
record every attempt, retry the dead.

The decision to send and the job that sends are committed together: ``enqueue_job``
takes the caller's ``tx``. Workers claim due jobs in a write unit — on PostgreSQL
with ``FOR UPDATE SKIP LOCKED`` so concurrent workers skip each other's rows; on SQLite
the unit runs inside the single writer's ``BEGIN IMMEDIATE`` transaction, which
already excludes every other writer (in this process or another), so the select and
the update cannot interleave. A claim holds a lease; when it expires (the worker
crashed or hung) ``recover_expired_leases`` puts the job back in the queue.
The staff log's listing queries are in ``surveyor.delivery.log``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec

from surveyor import Message
from surveyor.db import Database, Tx
from surveyor.delivery.models import (
    DEFAULT_MAX_ATTEMPTS,
    MESSAGE_KIND,
    Attempt,
    Job,
    JobTxCallback,
)
from surveyor.ids import iso, new_id, utcnow

JOB_COLUMNS = (
    "id, kind, payload, subject_type, subject_id, channel, status, run_at, attempts,"
    " max_attempts, lease_owner, lease_until, last_error, dedupe_key, created_at, updated_at,"
    " finished_at"
)
ATTEMPT_COLUMNS = (
    "id, job_id, attempt, worker, started_at, finished_at, outcome, error, duration_ms"
)
MAX_ERROR = 2000


def _job(row: dict[str, Any]) -> Job:
    return msgspec.convert(
        {**row, "payload": msgspec.json.decode(row["payload"])}, Job, strict=False
    )


def _when(value: datetime | str | None, now: datetime) -> str:
    if value is None:
        return iso(now)
    return value if isinstance(value, str) else iso(value)


def _marks(values: list[Any] | tuple[Any, ...]) -> str:
    return ", ".join("?" * len(values))


def _clip(error: str) -> str:
    return error if len(error) <= MAX_ERROR else error[: MAX_ERROR - 1] + "…"


# -- enqueue (inside the caller's transaction) ---------------------------------


async def enqueue_job(
    tx: Tx,
    kind: str,
    payload: dict[str, Any],
    run_at: datetime | str | None = None,
    dedupe_key: str | None = None,
    *,
    subject_type: str = "",
    subject_id: str = "",
    channel: str = "",
    max_attempts: int = 0,
    now: datetime | None = None,
) -> str:
    """Add a job in the caller's transaction; returns its id.

    ``run_at`` defaults to now. With a ``dedupe_key`` already used, nothing is added and
    the existing job's id comes back, so enqueueing is idempotent (e.g.
    ``f"remind:{invitation_id}"``). ``subject_type``/``subject_id`` name what the job is
    about, so that record's page can list its deliveries (``jobs_for_subject``).
    ``max_attempts=0`` means the kind's own default (``JobKind.max_attempts``), set
    when a worker first claims the job.
    """
    now = now or utcnow()
    stamp = iso(now)
    job_id = new_id()
    inserted = await tx.execute(
        f"INSERT INTO jobs ({JOB_COLUMNS}) VALUES"
        " (?, ?, ?, ?, ?, ?, 'queued', ?, 0, ?, NULL, NULL, '', ?, ?, ?, NULL)"
        " ON CONFLICT (dedupe_key) DO NOTHING",
        (
            job_id,
            kind,
            msgspec.json.encode(payload).decode(),
            subject_type,
            subject_id,
            channel,
            _when(run_at, now),
            int(max_attempts),
            dedupe_key,
            stamp,
            stamp,
        ),
    )
    if inserted == 0 and dedupe_key is not None:
        return await tx.fetch_val("SELECT id FROM jobs WHERE dedupe_key = ?", (dedupe_key,))
    return job_id


async def enqueue_message(
    tx: Tx,
    channel: str,
    message: Message,
    run_at: datetime | str | None = None,
    dedupe_key: str | None = None,
    *,
    subject_type: str = "",
    subject_id: str = "",
    max_attempts: int = 0,
) -> str:
    """Queue one ready-made :class:`surveyor.Message` for ``channel`` (kind ``message.send``).

    The message's ``id`` becomes its stable delivery id (the webhook-id, the Message-ID),
    so a retry is recognisable as the same message by whoever receives it.
    """
    if not message.id:
        message = msgspec.structs.replace(message, id=new_id())
    return await enqueue_job(
        tx,
        MESSAGE_KIND,
        {"channel": channel, "message": msgspec.to_builtins(message)},
        run_at,
        dedupe_key,
        subject_type=subject_type,
        subject_id=subject_id,
        channel=channel,
        max_attempts=max_attempts,
    )


async def cancel_jobs(
    tx: Tx, *, subject_type: str, subject_id: str, kinds: tuple[str, ...] = ()
) -> int:
    """Cancel the queued jobs about one record (e.g. the reminder of an answered invitation).

    Running jobs are left alone: their worker finishes them. Returns how many were cancelled.
    """
    sql = (
        "UPDATE jobs SET status = 'cancelled', updated_at = ?, finished_at = ?"
        " WHERE subject_type = ? AND subject_id = ? AND status = 'queued'"
    )
    stamp = iso(utcnow())
    params: list[Any] = [stamp, stamp, subject_type, subject_id]
    if kinds:
        sql += f" AND kind IN ({_marks(kinds)})"
        params.extend(kinds)
    return await tx.execute(sql, params)


async def cancel_job(tx: Tx, dedupe_key: str) -> bool:
    """Cancel the queued job enqueued with ``dedupe_key``; False when none is queued."""
    stamp = iso(utcnow())
    return (
        await tx.execute(
            "UPDATE jobs SET status = 'cancelled', updated_at = ?, finished_at = ?"
            " WHERE dedupe_key = ? AND status = 'queued'",
            (stamp, stamp, dedupe_key),
        )
        > 0
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
    now: datetime | None = None,
) -> list[Job]:
    """Lease up to ``limit`` due jobs of ``kinds`` to ``worker``, oldest due first.

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
        rows = await tx.fetch_all(
            f"SELECT id, kind, max_attempts FROM jobs WHERE status = 'queued' AND run_at <= ?"
            f" AND kind IN ({_marks(kinds)}) ORDER BY run_at, id LIMIT ?{lock}",
            (stamp, *kinds, int(limit)),
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
        return [_job(row) for row in claimed]

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
            job = _job(row)
            error = f"lease expired: worker {job.lease_owner} stopped before reporting"
            await _record_attempt(
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


async def _record_attempt(
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
        await _record_attempt(tx, job, worker, started_at, now, "ok")
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
        await _record_attempt(tx, job, worker, started_at, now, "dead" if dead else "retry", error)
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
        stored = None if row is None else _job(row)
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
        await _record_attempt(
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


async def retry_job(db: Database, job_id: str, *, now: datetime | None = None) -> Job | None:
    """Give a dead job a fresh set of attempts, due now. None when it is not dead."""
    stamp = iso(now or utcnow())

    async def unit(tx: Tx) -> Job | None:
        changed = await tx.execute(
            "UPDATE jobs SET status = 'queued', run_at = ?, attempts = 0, finished_at = NULL,"
            " updated_at = ? WHERE id = ? AND status = 'dead'",
            (stamp, stamp, job_id),
        )
        if not changed:
            return None
        row = await tx.fetch_one(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return None if row is None else _job(row)

    return await db.write(unit)


# -- reading ---------------------------------------------------------------------


async def get_job(db: Database | Tx, job_id: str) -> Job | None:
    row = await db.fetch_one(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
    return None if row is None else _job(row)


async def list_attempts(db: Database | Tx, job_id: str) -> list[Attempt]:
    rows = await db.fetch_all(
        f"SELECT {ATTEMPT_COLUMNS} FROM job_attempts WHERE job_id = ? ORDER BY started_at, id",
        (job_id,),
    )
    return [msgspec.convert(row, Attempt) for row in rows]


async def jobs_for_subject(db: Database | Tx, subject_type: str, subject_id: str) -> list[Job]:
    """Every job about one record (an invitation's send, reminder and expiry), oldest first."""
    rows = await db.fetch_all(
        f"SELECT {JOB_COLUMNS} FROM jobs WHERE subject_type = ? AND subject_id = ? ORDER BY id",
        (subject_type, subject_id),
    )
    return [_job(row) for row in rows]


async def prune_finished_jobs(db: Database, *, before: datetime) -> int:
    """Delete done and cancelled jobs (and their attempts) finished before ``before``.

    Dead jobs are kept until someone retries or looks at them.
    """
    stamp = iso(before)

    async def unit(tx: Tx) -> int:
        return await tx.execute(
            "DELETE FROM jobs WHERE status IN ('done', 'cancelled') AND finished_at < ?", (stamp,)
        )

    return await db.write(unit)
