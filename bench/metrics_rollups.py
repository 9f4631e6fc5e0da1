"""The dashboards' data side in one process, rollups against rows (issue 17).

On a database made by ``bench/metrics_1m.py --keep FILE``: the reads the overview
(10 checkpoints and 1 survey, each against its previous period) and the checkpoint
dashboard (key scores and previous period, weekly trend, distribution, funnel, NPS by
channel) make, through the same functions the pages call, once from the hourly rollups
and once from the rows, alternating. Prints the median wall time and the median CPU
time of this process (``time.process_time``: on a loaded machine the wall time is
mostly waiting for a core, the CPU time is the work). No HTTP, no templates, no charts:
the part of a page that grows with the data.

    .venv/bin/python bench/metrics_rollups.py FILE [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from surveyor.db.sqlite import SQLiteDatabase  # noqa: E402
from surveyor.ids import utcnow  # noqa: E402
from surveyor.metrics import breakdowns, comparisons, queries, rollups  # noqa: E402
from surveyor.metrics.queries import Scope  # noqa: E402


async def overview(db: Any, scope: Scope) -> None:
    for i in range(10):
        here = scope.with_checkpoint(f"cp_{i:02}")
        await comparisons.compared(db, here, here.previous())
    here = scope.with_survey("bench-survey")
    await comparisons.compared(db, here, here.previous())


async def dashboard(db: Any, scope: Scope) -> None:
    here = scope.with_checkpoint("cp_03")
    await comparisons.compared(db, here, here.previous())
    await queries.series(db, here, "week")
    await queries.distribution(db, here, "nps")
    await breakdowns.funnel(db, here)
    await breakdowns.nps_by_channel(db, here)


async def timed(run: Callable[[], Awaitable[None]], runs: int) -> tuple[float, float]:
    await run()  # warm-up
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        await run()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    db = SQLiteDatabase(args.file)
    await db.connect()
    now = utcnow()
    scope = Scope(start=now - timedelta(days=90), end=now)
    count = await db.fetch_val("SELECT count(*) FROM responses")
    load = os.getloadavg()
    found: dict[tuple[str, bool], list[tuple[float, float]]] = {}
    for _ in range(2):  # A B A B
        for enabled in (True, False):
            rollups.configure(enabled)
            for name, run in (("overview", overview), ("dashboard", dashboard)):
                found.setdefault((name, enabled), []).append(
                    await timed(lambda run=run: run(db, scope), args.runs)
                )
    rollups.configure(True)
    await db.close()
    after = os.getloadavg()
    print(
        f"{count:,} responses · {time.strftime('%Y-%m-%d %H:%M')} · load average"
        f" {load[0]:.1f} at start, {after[0]:.1f} at end"
    )
    print(f"{'reads of':22} {'rollups wall/cpu ms':>22} {'rows wall/cpu ms':>20} {'cpu ratio':>10}")
    for name in ("overview", "dashboard"):
        fast = found[(name, True)]
        slow = found[(name, False)]
        fw, fc = statistics.median(w for w, _ in fast), statistics.median(c for _, c in fast)
        sw, sc = statistics.median(w for w, _ in slow), statistics.median(c for _, c in slow)
        print(f"{name:22} {fw:12.1f} / {fc:7.1f} {sw:10.1f} / {sc:7.1f} {sc / fc:9.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
