"""Nothing accepted with a 202 is lost: kill -9 the server between accept and send.

A real ``surveyor serve`` process, a real SQLite file, a real SMTP server. The first
server runs without its worker, so the invitations are certainly not sent before the
kill; the second one delivers every one of them, once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import msgspec
import pytest

from surveyor.app import build_services, start_services
from surveyor.auth import store as auth_store
from surveyor.checkpoints import store as checkpoint_store
from surveyor.checkpoints.models import CheckpointIn
from surveyor.settings import load_settings
from surveyor.surveys import store as survey_store
from surveyor.surveys.models import SurveyDefinition
from tests.checkpoints.test_checkpoints_api import NPS_DEFINITION
from tests.delivery.servers import free_port, smtp_server

pytestmark = pytest.mark.slow
EVENTS = 30


def wait_for(condition, timeout: float, what: str) -> None:
    """Poll for a condition (not a fixed sleep): fails with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def prepare(env: dict[str, str]) -> str:
    settings = load_settings(environ=env)
    svc = build_services(settings)
    await start_services(svc)
    try:
        definition = msgspec.convert(NPS_DEFINITION, SurveyDefinition)
        survey = await survey_store.create_survey(svc.db, name="NPS", definition=definition)
        await survey_store.publish(svc.db, survey.id, definition)
        await checkpoint_store.create_checkpoint(
            svc.db, CheckpointIn(key="order_delivered", name="Order delivered", survey_id=survey.id)
        )
        secret, _ = await auth_store.create_api_key(
            svc.db, name="crash", scopes=["events:write"], created_by=None
        )
        return secret
    finally:
        await svc.db.close()


def start_server(env: dict[str, str], port: int, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "surveyor.cli",
                "serve",
                "--port",
                str(port),
                "--server",
                "uvicorn",
                *extra,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
            start_new_session=True,
        )

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(log.read_text())
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    # Generous: serve imports the app twice (its preparing child, then the server
    # process: issue 17), and the test machine may be busy.
    wait_for(healthy, 90, "the server to answer /healthz")
    return process


def test_invitations_accepted_before_a_kill_9_are_delivered_once_after_restart(
    tmp_path: Path,
) -> None:
    with smtp_server() as (sink, smtp_port):
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")},
            "SURVEYOR_DATABASE": str(tmp_path / "crash.db"),
            "SURVEYOR_BASE_URL": "http://surveyor.test",
            "SURVEYOR_EMAIL_URL": f"mailto://127.0.0.1:{smtp_port}?from=surveys@acme.example&mode=insecure",
            "SURVEYOR_WORKER_POLL_SECONDS": "0.2",
        }
        secret = asyncio.run(prepare(env))
        port = free_port()
        log = tmp_path / "server.log"
        server = start_server(env, port, log, "--no-worker")
        try:
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {secret}"}
            ) as http:
                for i in range(EVENTS):
                    response = http.post(
                        "/api/v1/events",
                        json={
                            "checkpoint": "order_delivered",
                            "contact": {"id": f"c{i}", "email": f"c{i}@example.com"},
                        },
                    )
                    assert response.status_code == 202, response.text
                    assert response.json()["decision"] == "scheduled"
        finally:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
        assert sink.messages == []

        server = start_server(env, port, log)
        try:
            wait_for(lambda: len(sink.messages) >= EVENTS, 60, f"{EVENTS} emails")
            db = sqlite3.connect(env["SURVEYOR_DATABASE"])
            try:
                wait_for(
                    lambda: (
                        db.execute(
                            "SELECT count(*) FROM jobs WHERE kind = 'invitation.send' AND status = 'done'"
                        ).fetchone()[0]
                        == EVENTS
                    ),
                    30,
                    "every send job to be done",
                )
                # The invitation is marked sent just after its job is done (on_done).
                wait_for(
                    lambda: (
                        db.execute(
                            "SELECT count(*) FROM invitations WHERE status = 'sent'"
                        ).fetchone()[0]
                        == EVENTS
                    ),
                    30,
                    "every invitation to be marked sent",
                )
            finally:
                db.close()
        finally:
            server.send_signal(signal.SIGTERM)
            # uvicorn re-raises the signal once it has shut down, hence -SIGTERM.
            assert server.wait(20) in (0, -signal.SIGTERM)
        assert "Traceback" not in log.read_text(), log.read_text()
        recipients = sorted(rcpt for envelope in sink.messages for rcpt in envelope.rcpt_tos)
        assert recipients == sorted(f"c{i}@example.com" for i in range(EVENTS))
