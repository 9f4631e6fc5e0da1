"""Completed responses per second on POST /s/{token} (issue: respondent pages).

Starts ``surveyor serve`` (granian, 1 process, SQLite with synchronous=FULL, worker off)
with ``--invitations`` pre-created invitations to a one-page survey (NPS + comment) and
the bare decode-only endpoint (``bench/bare_app.py``: the same form body, parsed, no
database), then runs wrk against each in the same run. Every Surveyor request completes
a different invitation as an htmx POST: one read (invitation, response, contact and
current version in one query), one durable write unit (response, answers, scores,
invitation status), the ``response_completed`` hook, and the thank-you fragment.

    .venv/bin/python bench/respond_answers.py [--seconds 10] [--connections 32]
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

from bench.common import ROOT, bare_server, free_port, machine, start, stop, wrk
from surveyor.app import build_services, start_services
from surveyor.contacts.store import upsert_contact
from surveyor.db import Tx
from surveyor.ids import now_iso
from surveyor.respond.store import create_invitation
from surveyor.settings import load_settings
from surveyor.surveys import store as survey_store
from surveyor.surveys.models import SurveyDefinition

DEFINITION = {
    "questions": [
        {"id": "nps", "kind": "nps", "text": {"en": "How likely?"}, "required": True},
        {"id": "comment", "kind": "text", "text": {"en": "Why?"}, "multiline": True},
    ],
    "endings": [{"id": "thanks", "text": {"en": "Thank you, {contact.name}!"}}],
    "settings": {"one_page": True},
}
BATCH = 1000


async def prepare(env: dict[str, str], count: int, tokens_file: Path) -> None:
    svc = build_services(load_settings(environ=env))
    await start_services(svc)
    try:
        definition = msgspec.convert(DEFINITION, SurveyDefinition)
        survey = await survey_store.create_survey(svc.db, name="Bench", definition=definition)
        version, _ = await survey_store.publish(svc.db, survey.id, definition)

        async def batch(start: int) -> list[str]:
            async def unit(tx: Tx) -> list[str]:
                made = []
                for i in range(start, min(start + BATCH, count)):
                    contact = await upsert_contact(tx, f"bench-{i}", name=f"Customer {i}")
                    made.append(
                        await create_invitation(
                            tx,
                            survey_id=survey.id,
                            survey_version_id=version.id,
                            contact_id=contact.id,
                            channel="email",
                            send_at=now_iso(),
                            status="sent",
                        )
                    )
                return made

            return await svc.db.write(unit)

        with tokens_file.open("w") as out:
            for start in range(0, count, BATCH):
                out.write("".join(token + "\n" for token in await batch(start)))
    finally:
        await svc.db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--invitations", type=int, default=40_000)
    parser.add_argument(
        "--plain", action="store_true", help="no-JS form posts (303) instead of htmx fragments"
    )
    args = parser.parse_args()
    script = ROOT / "bench" / "respond.lua"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")},
            "SURVEYOR_DATABASE": str(Path(tmp) / "bench.db"),
            "SURVEYOR_LOG_LEVEL": "WARNING",
            "SURVEYOR_SQLITE_SYNCHRONOUS": "FULL",
        }
        tokens = Path(tmp) / "tokens.txt"
        asyncio.run(prepare(env, args.invitations, tokens))
        port, bare_port = free_port(), free_port()
        app = start(
            [sys.executable, "-m", "surveyor.cli", "serve", "--no-worker", "--port", str(port)],
            env,
            f"http://127.0.0.1:{port}/healthz",
        )
        bare = bare_server(bare_port)
        try:
            wrk_args = [str(tokens), "2", "plain" if args.plain else "htmx"]
            bare_result = wrk(
                f"http://127.0.0.1:{bare_port}",
                script,
                wrk_args,
                connections=args.connections,
                seconds=args.seconds,
            )
            result = wrk(
                f"http://127.0.0.1:{port}",
                script,
                wrk_args,
                connections=args.connections,
                seconds=args.seconds,
            )
        finally:
            stop(app)
            stop(bare)
        import sqlite3

        with sqlite3.connect(env["SURVEYOR_DATABASE"]) as conn:
            completed = conn.execute(
                "SELECT COUNT(*) FROM responses WHERE status = 'complete'"
            ).fetchone()[0]
    report = {
        "machine": machine(),
        "connections": args.connections,
        "seconds": args.seconds,
        "surveyor": result,
        "bare": bare_result,
        "completed_responses_in_db": completed,
        "ratio": result["rps"] / bare_result["rps"],
    }
    print(json.dumps(report, indent=2))
    print(
        f"\nPOST /s/{{token}} (completing): {result['rps']:.0f} responses/s,"
        f" p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms,"
        f" non-2xx {result['non_2xx']}; bare decode {bare_result['rps']:.0f} req/s;"
        f" ratio {report['ratio']:.2f}"
    )


if __name__ == "__main__":
    main()
