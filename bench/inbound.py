"""Verified inbound deliveries per second on POST /hooks/in/{source} (issue 14), next to
POST /api/v1/events in the same run.

Starts ``surveyor serve`` (granian, 1 process, SQLite with synchronous=FULL, the
delivery worker off), one GitHub-preset source and one API key, then alternates wrk
runs against the events endpoint (bench/events.lua) and the inbound endpoint
(bench/inbound.lua), ``--runs`` times. Every inbound request is a new delivery for a
new contact, signed beforehand (wrk's Lua has no HMAC): the server checks the
signature, maps the payload with JMESPath, and commits the contact, event, invitation,
outbox job and payload-log entry before its 200 — the events endpoint's work plus
verification, mapping and the log.

    .venv/bin/python bench/inbound.py [--runs 3] [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, free_port, machine, median_of, start, stop, wrk
from bench.events import prepare
from surveyor.app import build_services, start_services
from surveyor.settings import load_settings
from surveyor.sources.creation import create_source
from surveyor.sources.models import MappingIn, SourceIn

SECRET = "bench-github-secret"  # noqa: S105 - a benchmark fixture
MAPPING = MappingIn(
    contact_id="sender.login",
    email="sender.email",
    name="sender.name",
    properties="{issue: to_string(issue.number), repository: repository.full_name}",
    filter="action == 'closed'",
)


async def prepare_source(env: dict[str, str]) -> str:
    svc = build_services(load_settings(environ=env))
    await start_services(svc)
    try:
        data = SourceIn(
            name="bench",
            type="github",
            checkpoint="order_delivered",
            secret=SECRET,
            mapping=MAPPING,
        )
        created = await create_source(svc.db, data, base_url=svc.settings.base_url)
        return created.id
    finally:
        await svc.db.close()


def write_requests(path: Path, prefix: str, count: int) -> None:
    with path.open("w") as out:
        for n in range(count):
            body = json.dumps(
                {
                    "action": "closed",
                    "issue": {"number": n, "title": "Checkout fails", "state": "closed"},
                    "repository": {"full_name": "acme/shop"},
                    "sender": {
                        "login": f"{prefix}-{n}",
                        "email": f"{prefix}.{n}@example.com",
                        "name": "Bench Customer",
                    },
                },
                separators=(",", ":"),
            ).encode()
            signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            out.write(f"{signature}\t{prefix}-{n}\t{body.decode()}\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--requests", type=int, default=60_000, help="signed requests per run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")},
            "SURVEYOR_DATABASE": str(Path(tmp) / "bench.db"),
            "SURVEYOR_LOG_LEVEL": "WARNING",
        }
        key = asyncio.run(prepare(env))
        source_id = asyncio.run(prepare_source(env))
        port = free_port()
        app = start(
            [sys.executable, "-m", "surveyor.cli", "serve", "--no-worker", "--port", str(port)],
            env,
            f"http://127.0.0.1:{port}/healthz",
        )
        results: dict[str, list[dict[str, float]]] = {"events": [], "inbound": []}
        try:
            for run in range(args.runs):
                results["events"].append(
                    wrk(
                        f"http://127.0.0.1:{port}",
                        ROOT / "bench" / "events.lua",
                        [f"ev{run}", key],
                        connections=args.connections,
                        seconds=args.seconds,
                    )
                )
                signed = Path(tmp) / f"inbound{run}.txt"
                write_requests(signed, f"in{run}", args.requests)
                results["inbound"].append(
                    wrk(
                        f"http://127.0.0.1:{port}",
                        ROOT / "bench" / "inbound.lua",
                        [str(signed), source_id],
                        connections=args.connections,
                        seconds=args.seconds,
                    )
                )
        finally:
            stop(app)
    events, inbound = median_of(results["events"]), median_of(results["inbound"])
    report = {
        "machine": machine(),
        "load_average": os.getloadavg(),
        "connections": args.connections,
        "runs": results,
        "median": {"events": events, "inbound": inbound},
        "ratio": inbound["rps"] / events["rps"],
    }
    print(json.dumps(report, indent=2))
    print(
        f"\nPOST /hooks/in (github preset): {inbound['rps']:.0f} deliveries/s,"
        f" p50 {inbound['p50_ms']:.1f} ms, p99 {inbound['p99_ms']:.1f} ms;"
        f" POST /api/v1/events: {events['rps']:.0f} events/s, p99 {events['p99_ms']:.1f} ms;"
        f" ratio {report['ratio']:.2f} (median of {args.runs})"
    )


if __name__ == "__main__":
    main()
