"""Accepted events per second on POST /api/v1/events (issue: checkpoints and delivery).

Starts ``surveyor serve`` (granian, 1 process, SQLite with synchronous=FULL, the
delivery worker off so only the accept path is measured) and the bare decode-only
endpoint, then runs wrk against each, alternating, ``--runs`` times. Every request
fires the checkpoint for a new contact, so every event is *scheduled*: contact, event,
invitation and outbox job are committed before the 202.

    .venv/bin/python bench/events.py [--runs 3] [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, bare_server, free_port, machine, median_of, start, stop, wrk
from surveyor.app import build_services, start_services
from surveyor.auth import store as auth_store
from surveyor.checkpoints import store as checkpoint_store
from surveyor.checkpoints.models import CheckpointIn
from surveyor.settings import load_settings
from surveyor.surveys import store as survey_store
from surveyor.surveys.models import SurveyDefinition

DEFINITION = {
    "questions": [
        {
            "id": "nps",
            "kind": "nps",
            "text": {"en": "How likely are you to recommend us?"},
            "required": True,
        }
    ],
}


async def prepare(env: dict[str, str]) -> str:
    svc = build_services(load_settings(environ=env))
    await start_services(svc)
    try:
        definition = msgspec.convert(DEFINITION, SurveyDefinition)
        survey = await survey_store.create_survey(svc.db, name="Bench NPS", definition=definition)
        await survey_store.publish(svc.db, survey.id, definition)
        await checkpoint_store.create_checkpoint(
            svc.db, CheckpointIn(key="order_delivered", name="Order delivered", survey_id=survey.id)
        )
        secret, _ = await auth_store.create_api_key(
            svc.db, name="bench", scopes=["events:write"], created_by=None
        )
        return secret
    finally:
        await svc.db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    script = ROOT / "bench" / "events.lua"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")},
            "SURVEYOR_DATABASE": str(Path(tmp) / "bench.db"),
            "SURVEYOR_LOG_LEVEL": "WARNING",
        }
        key = asyncio.run(prepare(env))
        port, bare_port = free_port(), free_port()
        app = start(
            [sys.executable, "-m", "surveyor.cli", "serve", "--no-worker", "--port", str(port)],
            env,
            f"http://127.0.0.1:{port}/healthz",
        )
        bare = bare_server(bare_port)
        results: dict[str, list[dict[str, float]]] = {"surveyor": [], "bare": []}
        try:
            for run in range(args.runs):
                results["bare"].append(
                    wrk(
                        f"http://127.0.0.1:{bare_port}",
                        script,
                        [f"bare{run}", key],
                        connections=args.connections,
                        seconds=args.seconds,
                    )
                )
                results["surveyor"].append(
                    wrk(
                        f"http://127.0.0.1:{port}",
                        script,
                        [f"run{run}", key],
                        connections=args.connections,
                        seconds=args.seconds,
                    )
                )
        finally:
            stop(app)
            stop(bare)
    surveyor, bare_median = median_of(results["surveyor"]), median_of(results["bare"])
    report = {
        "machine": machine(),
        "connections": args.connections,
        "runs": results,
        "median": {"surveyor": surveyor, "bare": bare_median},
        "ratio": surveyor["rps"] / bare_median["rps"],
    }
    print(json.dumps(report, indent=2))
    print(
        f"\nPOST /api/v1/events: {surveyor['rps']:.0f} events/s, p50 {surveyor['p50_ms']:.1f} ms,"
        f" p99 {surveyor['p99_ms']:.1f} ms; bare decode {bare_median['rps']:.0f} req/s;"
        f" ratio {report['ratio']:.2f} (median of {args.runs})"
    )


if __name__ == "__main__":
    main()
