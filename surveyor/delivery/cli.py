"""``surveyor worker``: the delivery worker as a process of its own.

Several may run at once, on one machine or many (PostgreSQL): jobs are leased, so no
two workers run the same job. SIGINT or SIGTERM stops claiming, lets in-flight jobs
finish for a grace period and hands the rest back to the queue.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from surveyor.settings import Settings

GRACE_SECONDS = 20.0


def say(line: str) -> None:
    # Flushed: operators (and supervisors reading a pipe) see progress as it happens.
    print(line, flush=True)


async def run_worker(
    settings: Settings,
    *,
    concurrency: int = 16,
    once: bool = False,
    out: Callable[[str], None] = say,
) -> int:
    """Run until signalled (or, with ``once``, until nothing is due). Returns jobs run."""
    from surveyor.app import build_services, start_services
    from surveyor.delivery.channels import channels
    from surveyor.delivery.worker import Worker

    svc = build_services(settings)
    await start_services(svc)
    registry = channels(svc)
    try:
        worker = Worker(svc, concurrency=concurrency)
        if once:
            ran = await worker.run_until_idle()
            out(f"ran {ran} job(s)")
            return ran
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        worker.start()
        out(
            f"delivery worker {worker.name} running ({concurrency} at a time; "
            f"channels: {', '.join(registry.names()) or 'none'}); Ctrl-C stops it"
        )
        await stop.wait()
        out(f"stopping: in-flight deliveries get {GRACE_SECONDS:.0f} s to finish")
        await worker.stop(grace_seconds=GRACE_SECONDS)
        out(f"stopped after {worker.processed} job(s)")
        return worker.processed
    finally:
        await registry.close()
        await svc.db.close()
