"""The delivery log's queries: jobs newest first with filters, counts per status, and
the values the filter menus offer (the pages in ``views.py`` and ``api.py``)."""

from __future__ import annotations

from typing import Any

from surveyor.db import Database
from surveyor.delivery.models import JOB_STATUSES, JobPage
from surveyor.delivery.store import JOB_COLUMNS, _job


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
    jobs = [_job(row) for row in rows[:limit]]
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
