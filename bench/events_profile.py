"""Events accepted inside one process, for profiles (issue 17): no network, no load
generator, so a profile shows the server's own work on ``POST /api/v1/events`` and call
counts are exact.

It seeds a fresh SQLite database with ``bench/seed.py events``, builds the app the way a
server process does (``surveyor.asgi.make_app``), and sends ``--count`` events through
the ASGI app as ``bench/events.lua`` builds them (every event a new contact, so every
one is scheduled), ``--concurrency`` at a time. It prints the process's CPU ms per
event (its own driving included, ~0.05 ms) and, with ``--profile FILE``, writes a
cProfile of the measured part (read it with ``python -m pstats FILE``). With
``--bare`` it drives the decode-only endpoint (``bench/bare_app.py``) instead.

    .venv/bin/python bench/events_profile.py [--count 3000] [--profile events.prof]
        [--env SURVEYOR_API_RATE_LIMIT=0] [--bare]

The API rate limit is on with a limit never reached, so its counting is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flow_profile import call  # noqa: E402

BODY = (
    '{"checkpoint":"order_delivered","contact":{"id":"p-%d","email":"c%d@example.com",'
    '"name":"Bench Customer","timezone":"Europe/Berlin","attributes":{"tier":"gold"}},'
    '"properties":{"order_id":"A-%d","total":42.5}}'
)


async def measure(key: str, args: argparse.Namespace) -> None:
    if args.bare:
        from bench.bare_app import make_app
    else:
        from surveyor.asgi import make_app

    app = make_app()
    for hook in app.on_startup:
        await hook()
    headers = [
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {key}".encode()),
    ]
    gate = asyncio.Semaphore(args.concurrency)

    async def one(n: int) -> None:
        async with gate:
            body = (BODY % (n, n, n)).encode()
            status, text = await call(app, "POST", "/api/v1/events", body, headers)
            assert status == 202, (status, text[:300])

    try:
        await asyncio.gather(*(one(n) for n in range(200)))  # warm-up
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(1000, 1000 + args.count)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        print(
            f"{args.count} events: {1000 * cpu / args.count:.3f} CPU ms each (this process,"
            f" driver included), {args.count / wall:.0f} events/s wall"
        )
    finally:
        for hook in app.on_shutdown:
            await hook()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--profile", help="write a cProfile of the measured part here")
    parser.add_argument("--bare", action="store_true", help="the decode-only endpoint")
    parser.add_argument("--env", action="append", default=[], metavar="SURVEYOR_X=VALUE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SURVEYOR_DATABASE": str(Path(tmp) / "events.db"),
            "SURVEYOR_SECRET_KEY": "b" * 40,
            "SURVEYOR_LOG_LEVEL": "WARNING",
            # Counted (the limiter's work is in the profile) but never reached.
            "SURVEYOR_API_RATE_LIMIT": "1000000",
            "SURVEYOR_RUN_WORKER": "false",  # as `serve --no-worker` in bench/events.py
            **dict(item.split("=", 1) for item in args.env),
        }
        key = "none"
        if not args.bare:
            seed = [sys.executable, str(ROOT / "bench" / "seed.py"), "events"]
            out = subprocess.run(seed, env=env, check=True, cwd=ROOT, capture_output=True)
            key = out.stdout.decode().strip().splitlines()[-1]
        os.environ.update(env)
        asyncio.run(measure(key, args))


if __name__ == "__main__":
    main()
