"""The workers' heartbeat rows (``worker_heartbeat``, issue 18): read by /metrics and
/readyz."""

from __future__ import annotations

from surveyor.db import Database, Tx


async def beat(db: Database, worker: str, now: str) -> None:
    async def unit(tx: Tx) -> None:
        await tx.execute(
            "INSERT INTO worker_heartbeat (worker, beat_at) VALUES (?, ?) "
            "ON CONFLICT (worker) DO UPDATE SET beat_at = excluded.beat_at",
            (worker, now),
        )

    await db.write(unit)


async def latest_worker_beat(db: Database) -> str | None:
    return await db.fetch_val("SELECT MAX(beat_at) FROM worker_heartbeat")
