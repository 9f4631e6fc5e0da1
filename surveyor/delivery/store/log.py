"""Reading the outbox for people: a job and its attempts, the jobs about one record
(in one query, with their attempts), the staff log's listing, counts and filter values,
retrying a dead job and pruning finished ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from surveyor.db import Database, Tx
from surveyor.delivery.models import JOB_STATUSES, Attempt, ChannelActivity, Job, JobPage
from surveyor.delivery.store.outbox import ATTEMPT_COLUMNS, JOB_COLUMNS, job_from_row
from surveyor.ids import iso, utcnow


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
        return None if row is None else job_from_row(row)

    return await db.write(unit)


# -- reading ---------------------------------------------------------------------


async def get_job(db: Database | Tx, job_id: str) -> Job | None:
    row = await db.fetch_one(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
    return None if row is None else job_from_row(row)


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
    return [job_from_row(row) for row in rows]


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


async def list_jobs(
    db: Database,
    *,
    status: str = "",
    channel: str = "",
    kind: str = "",
    cursor: str = "",
    limit: int = 50,
) -> JobPage:
    """Newest first. Ids are UUIDv7, so the id itself is the cursor (it sorts by creation)."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("status", status), ("channel", channel), ("kind", kind)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if cursor:
        where.append("id < ?")
        params.append(cursor)
    sql = f"SELECT {JOB_COLUMNS} FROM jobs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC LIMIT ?"
    rows = await db.fetch_all(sql, (*params, int(limit) + 1))
    jobs = [job_from_row(row) for row in rows[:limit]]
    return JobPage(items=jobs, next_cursor=jobs[-1].id if len(rows) > limit else None)


async def status_counts(db: Database) -> dict[str, int]:
    rows = await db.fetch_all("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status")
    counts = dict.fromkeys(JOB_STATUSES, 0)
    counts.update({row["status"]: int(row["n"]) for row in rows})
    return counts


async def filter_values(db: Database) -> dict[str, list[str]]:
    """The channels and kinds present, for the log's filter menus."""
    channels = await db.fetch_all("SELECT DISTINCT channel FROM jobs WHERE channel <> ''")
    kinds = await db.fetch_all("SELECT DISTINCT kind FROM jobs")
    return {
        "channels": sorted(row["channel"] for row in channels),
        "kinds": sorted(row["kind"] for row in kinds),
    }


async def deliveries_for_subject(
    db: Database | Tx, subject_type: str, subject_id: str
) -> list[tuple[Job, list[Attempt]]]:
    """Every job about one record with its attempts, oldest first, in ONE query.

    A record's page (an invitation's, a follow-up case's) shows its whole delivery
    history; one query per job would grow with every reminder and retry.
    """
    job_cols = ", ".join(f"j.{c.strip()}" for c in JOB_COLUMNS.split(","))
    attempt_cols = ", ".join(f"a.{c.strip()} AS a_{c.strip()}" for c in ATTEMPT_COLUMNS.split(","))
    rows = await db.fetch_all(
        f"SELECT {job_cols}, {attempt_cols} FROM jobs j"
        " LEFT JOIN job_attempts a ON a.job_id = j.id"
        " WHERE j.subject_type = ? AND j.subject_id = ? ORDER BY j.id, a.started_at, a.id",
        (subject_type, subject_id),
    )
    history: dict[str, tuple[Job, list[Attempt]]] = {}
    for row in rows:
        if row["id"] not in history:
            job = {k: v for k, v in row.items() if not k.startswith("a_")}
            history[row["id"]] = (job_from_row(job), [])
        if row["a_id"] is not None:
            attempt = {k[2:]: v for k, v in row.items() if k.startswith("a_")}
            history[row["id"]][1].append(msgspec.convert(attempt, Attempt))
    return list(history.values())


async def channel_activity(db: Database, channel: str) -> ChannelActivity:
    """What the outbox knows about one channel: its last success, its last error, how
    many messages wait and how many died (for Settings → Channels)."""
    counts = await db.fetch_all(
        "SELECT status, COUNT(*) AS n FROM jobs WHERE channel = ? GROUP BY status", (channel,)
    )
    done = await db.fetch_one(
        "SELECT finished_at FROM jobs WHERE channel = ? AND status = 'done'"
        " ORDER BY updated_at DESC LIMIT 1",
        (channel,),
    )
    failed = await db.fetch_one(
        "SELECT id, last_error, updated_at FROM jobs WHERE channel = ? AND last_error <> ''"
        " ORDER BY updated_at DESC LIMIT 1",
        (channel,),
    )
    by_status = {row["status"]: int(row["n"]) for row in counts}
    return ChannelActivity(
        channel=channel,
        queued=by_status.get("queued", 0) + by_status.get("running", 0),
        dead=by_status.get("dead", 0),
        last_success_at=done["finished_at"] if done else None,
        last_error=failed["last_error"] if failed else "",
        last_error_at=failed["updated_at"] if failed else None,
        last_error_job=failed["id"] if failed else None,
    )
