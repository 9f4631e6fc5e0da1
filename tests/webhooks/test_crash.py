"""No follow-up webhook is lost to a crash after the commit: kill -9 the server in its
after-commit work and the ``followup.opened`` delivery is in the outbox all the same.

A real ``surveyor serve`` process on a real SQLite file. A single-file plugin's
``response_completed`` kills its own process with SIGKILL: that is the "after-commit
work" of the completing answer. Before this change the hook ran on the request right
after the commit and before ``followup.opened`` was queued, so the kill lost it; now
the webhook job commits in the unit that opens the case.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from surveyor.app import build_services, start_services
from surveyor.settings import load_settings
from surveyor.webhooks.models import SubscriptionIn
from surveyor.webhooks.store import create_subscription
from tests.checkpoints.test_crash import start_server, wait_for
from tests.delivery.servers import free_port
from tests.respond.helpers import invite, published

pytestmark = pytest.mark.slow
STEP = re.compile(r'name="step" value="([^"]*)"')
KILLER = """
import os
import signal

from surveyor import hookimpl


@hookimpl
def response_completed(event):
    os.kill(os.getpid(), signal.SIGKILL)
"""


async def prepare(env: dict[str, str]) -> str:
    svc = build_services(load_settings(environ=env))
    await start_services(svc)
    try:
        version = await published(svc.db)
        await create_subscription(
            svc.db,
            SubscriptionIn(url="https://hooks.example.com/in", event_types=["followup.opened"]),
        )
        token, _ = await invite(svc.db, version)
        return token
    finally:
        await svc.db.close()


def test_a_kill_9_after_the_completing_commit_loses_no_followup_webhook(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "killer.py").write_text(KILLER)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")},
        "SURVEYOR_DATABASE": str(tmp_path / "crash.db"),
        "SURVEYOR_BASE_URL": "http://surveyor.test",
        "SURVEYOR_PLUGINS_DIR": str(plugins),
        "SURVEYOR_WORKER_POLL_SECONDS": "0.2",
    }
    token = asyncio.run(prepare(env))
    port = free_port()
    log = tmp_path / "server.log"
    server = start_server(env, port, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            page = http.get(f"/s/{token}")
            answers = {"score": "1", "reason": "it broke", "improve": "it broke"}
            while server.poll() is None and (match := STEP.search(page.text)):
                ids = match.group(1).split(",")
                data = {"step": match.group(1), **{f"q_{q}": answers.get(q, "") for q in ids}}
                try:
                    page = http.post(f"/s/{token}", data=data, follow_redirects=True)
                except httpx.HTTPError:
                    break  # the old code died on the request itself
        wait_for(lambda: server.poll() is not None, 30, "the plugin to kill the server")
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(10)
    db = sqlite3.connect(env["SURVEYOR_DATABASE"])
    try:
        completed = db.execute("SELECT COUNT(*) FROM responses WHERE status = 'complete'")
        assert completed.fetchone()[0] == 1
        assert db.execute("SELECT COUNT(*) FROM followups").fetchone()[0] == 1
        queued = db.execute(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'webhook.deliver' AND payload LIKE ?",
            ('%"type":"followup.opened"%',),
        )
        assert queued.fetchone()[0] == 1
    finally:
        db.close()
