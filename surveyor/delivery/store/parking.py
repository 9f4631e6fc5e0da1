"""Parking: jobs whose channel is not configured wait together, with one statement per
channel and no attempt each, until a worker that has the channel wakes them (issue 17)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from surveyor.db import Database, Tx
from surveyor.delivery.models import Job
from surveyor.delivery.store.leases import due_index, record_attempt
from surveyor.delivery.store.outbox import (
    _marks,
)
from surveyor.ids import iso, utcnow

# A job parked because its channel is not configured carries this prefix in ``last_error``,
# so the delivery log says why it waits and a worker that has the channel can wake it.
WAITING_PREFIX = "waiting for channel "


async def park_job(
    db: Database,
    job: Job,
    worker: str,
    reason: str,
    *,
    until: datetime,
    started_at: datetime,
    now: datetime | None = None,
) -> bool:
    """Put a job whose channel nobody configured aside until ``until``: queued, its attempt
    not counted, the reason in ``last_error`` (so it never spins, and the log says why)."""
    now = now or utcnow()
    stamp = iso(now)
    error = f"{WAITING_PREFIX}{job.channel or '?'}: {reason}"[:1000]

    async def unit(tx: Tx) -> bool:
        await record_attempt(tx, job, worker, started_at, now, "released", error)
        changed = await tx.execute(
            "UPDATE jobs SET status = 'queued', run_at = ?, attempts = attempts - 1,"
            " lease_owner = NULL, lease_until = NULL, last_error = ?, updated_at = ?"
            " WHERE id = ? AND status = 'running' AND lease_owner = ?",
            (iso(until), error, stamp, job.id, worker),
        )
        return changed > 0

    return await db.write(unit)


async def park_waiting_jobs(
    db: Database, reasons: Mapping[str, str], *, until: datetime, now: datetime | None = None
) -> int:
    """Park every due job of a channel nobody configured (``{channel: why}``) until
    ``until``, in one statement per channel: no lease, no attempt, the reason in
    ``last_error`` — the same state ``park_job`` leaves one job in, reached without
    touching the jobs one by one (issue 17: an unconfigured channel costs nothing per
    job). A read first, so a poll with nothing to park writes nothing."""
    if not reasons:
        return 0
    stamp = iso(now or utcnow())
    channels = tuple(reasons)
    # Through the due-jobs index: by channel it would walk every job the channel ever had.
    due = await db.fetch_val(
        f"SELECT 1 FROM jobs{due_index(db.backend)} WHERE status = 'queued' AND run_at <= ?"
        f" AND channel IN ({_marks(channels)}) LIMIT 1",
        (stamp, *channels),
    )
    if due is None:
        return 0

    async def unit(tx: Tx) -> int:
        parked = 0
        for channel, reason in reasons.items():
            parked += await tx.execute(
                "UPDATE jobs SET run_at = ?, last_error = ?, updated_at = ?"
                " WHERE status = 'queued' AND run_at <= ? AND channel = ?",
                (iso(until), f"{WAITING_PREFIX}{channel}: {reason}"[:1000], stamp, stamp, channel),
            )
        return parked

    return await db.write(unit)


async def wake_parked_jobs(
    db: Database, channels: list[str], *, now: datetime | None = None
) -> int:
    """Make the jobs parked for any of ``channels`` due now (the channel is configured)."""
    if not channels:
        return 0
    stamp = iso(now or utcnow())
    marks = ", ".join("?" for _ in channels)

    async def unit(tx: Tx) -> int:
        return await tx.execute(
            f"UPDATE jobs SET run_at = ?, updated_at = ? WHERE status = 'queued'"
            f" AND channel IN ({marks}) AND last_error LIKE ? AND run_at > ?",
            (stamp, stamp, *channels, WAITING_PREFIX + "%", stamp),
        )

    return await db.write(unit)
