"""Keeping a worker's leases alive: the jobs it runs, renewed every third of a lease.

A job is leased when claimed (``store.claim_jobs``); while it runs here its lease is
extended, so a slow job is never taken over while its worker is alive, and a crashed
worker's jobs come back within one lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from surveyor.delivery import store
from surveyor.delivery.models import Job

log = logging.getLogger("surveyor.delivery")


class LeaseKeeper:
    """The jobs running in one worker and the task that renews their leases."""

    def __init__(
        self, db: Any, worker: str, lease_seconds: float, clock: Callable[[], datetime]
    ) -> None:
        self.db = db
        self.worker = worker
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.running: dict[str, Job] = {}  # claimed and not yet reported
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._renew(), name="lease heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _renew(self) -> None:
        """Every third of a lease, extend the leases of the jobs still running here."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            if not self.running:
                continue
            try:
                await store.extend_leases(
                    self.db,
                    self.worker,
                    list(self.running),
                    lease_seconds=self.lease_seconds,
                    now=self.clock(),
                )
            except Exception:  # the next beat tries again; the lease has slack for it
                log.exception("delivery worker %s: lease renewal failed", self.worker)
