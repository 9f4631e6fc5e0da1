"""Accepted events per second with one and with two web processes on PostgreSQL (issue 18).

Creates a fresh PostgreSQL schema, prepares a checkpoint and an API key (as
bench/events.py does), then alternates ``surveyor serve --no-worker --workers 1`` and
``--workers 2`` (granian processes sharing one port and one database) under wrk with
bench/events.lua, ``--runs`` times each. Rate limiting is off so only the accept path
is measured. The ratio is two processes over one, measured in the same run.

    .venv/bin/python bench/scaleout.py [--runs 2] [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, free_port, machine, median_of, start, stop, wrk
from bench.events import prepare

PG = os.environ.get("SURVEYOR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def _sql(statement: str) -> None:
    conn = await asyncpg.connect(PG)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    script = ROOT / "bench" / "events.lua"
    schema = "bench_" + secrets.token_hex(4)
    asyncio.run(_sql(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG else "?"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")},
        "SURVEYOR_DATABASE": f"{PG}{sep}search_path={schema}",
        "SURVEYOR_LOG_LEVEL": "WARNING",
        "SURVEYOR_API_RATE_LIMIT": "0",
        "SURVEYOR_SECRET_KEY": "b" * 40,
    }
    results: dict[str, list[dict[str, float]]] = {"1": [], "2": []}
    load: list[float] = []
    try:
        key = asyncio.run(prepare(env))
        for run in range(args.runs):
            for processes in ("1", "2"):
                port = free_port()
                app = start(
                    [
                        sys.executable,
                        "-m",
                        "surveyor.cli",
                        "serve",
                        "--no-worker",
                        "--workers",
                        processes,
                        "--port",
                        str(port),
                    ],
                    env,
                    f"http://127.0.0.1:{port}/healthz",
                )
                try:
                    load.append(os.getloadavg()[0])
                    results[processes].append(
                        wrk(
                            f"http://127.0.0.1:{port}",
                            script,
                            [f"p{processes}r{run}", key],
                            connections=args.connections,
                            seconds=args.seconds,
                        )
                    )
                finally:
                    stop(app)
    finally:
        asyncio.run(_sql(f"DROP SCHEMA {schema} CASCADE"))
    one, two = median_of(results["1"]), median_of(results["2"])
    report = {
        "machine": machine(),
        "load_average_1m_before_runs": load,
        "connections": args.connections,
        "runs": results,
        "median": {"one_process": one, "two_processes": two},
        "ratio": two["rps"] / one["rps"],
    }
    print(json.dumps(report, indent=2))
    print(
        f"\nPOST /api/v1/events on PostgreSQL: 1 process {one['rps']:.0f} events/s "
        f"(p99 {one['p99_ms']:.1f} ms), 2 processes {two['rps']:.0f} events/s "
        f"(p99 {two['p99_ms']:.1f} ms); ratio {report['ratio']:.2f} "
        f"(median of {args.runs}; load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
