"""The SQL behind ``/metrics`` and ``/readyz``: read-only counts over the product's tables,
and the workers' heartbeat rows.

Every number is read from the database at scrape time, so it is the same whichever app
process answers and however many workers run (no per-process counters to add up).
"""

from __future__ import annotations

from typing import Any

from surveyor.db import Database
from surveyor.delivery.store import heartbeat
from surveyor.invitations import store as invitations_store

# Delivery latency buckets, in milliseconds (the histogram's ``le`` bounds in seconds).
LATENCY_BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)


async def latest_worker_beat(db: Database) -> str | None:
    return await heartbeat.latest_worker_beat(db)


async def product_numbers(db: Database, now: str) -> dict[str, Any]:
    events = await db.fetch_all(
        "SELECT decision, reason, COUNT(*) AS n FROM events GROUP BY decision, reason"
    )
    invitations = await invitations_store.count_by_status(db)
    jobs = await db.fetch_all("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status")
    oldest_due = await db.fetch_val(
        "SELECT MIN(run_at) FROM jobs WHERE status = 'queued' AND run_at <= ?", (now,)
    )
    buckets = ", ".join(
        f"SUM(CASE WHEN a.duration_ms <= {int(ms)} THEN 1 ELSE 0 END) AS le_{int(ms)}"
        for ms in LATENCY_BUCKETS_MS
    )
    attempts = await db.fetch_all(
        "SELECT j.channel AS channel, j.kind AS kind, a.outcome AS outcome, COUNT(*) AS n, "
        f"SUM(a.duration_ms) AS total_ms, {buckets} "
        "FROM job_attempts a JOIN jobs j ON j.id = a.job_id "
        "GROUP BY j.channel, j.kind, a.outcome"
    )
    return {
        "events": events,
        "invitations": invitations,
        "jobs": jobs,
        "oldest_due": oldest_due,
        "attempts": attempts,
        "worker_beat": await latest_worker_beat(db),
    }
