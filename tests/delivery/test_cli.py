"""``surveyor worker`` as a real process: --once drains what is due; SIGTERM stops it
cleanly (exit 0)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from surveyor import Message
from surveyor.app import build_services, start_services
from surveyor.delivery import store
from tests.delivery.servers import smtp_server

pytestmark = pytest.mark.slow


def surveyor_env(database: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")}
    env.update(SURVEYOR_DATABASE=database, SURVEYOR_SECRET_KEY="s" * 40, **extra)
    return env


async def test_worker_once_delivers_what_is_due(backend, settings, make_settings) -> None:
    if backend != "sqlite":
        pytest.skip("one engine is enough for the command line")
    with smtp_server() as (sink, port):
        svc = build_services(settings)
        await start_services(svc)
        try:
            await svc.db.write(
                lambda tx: store.enqueue_message(
                    tx,
                    "email",
                    Message(kind="invitation", recipient="a@example.com", link="http://x/s/t"),
                )
            )
        finally:
            await svc.db.close()
        done = subprocess.run(
            [sys.executable, "-m", "surveyor.cli", "worker", "--once"],
            env=surveyor_env(
                settings.database,
                SURVEYOR_EMAIL_URL=f"mailto://127.0.0.1:{port}?from=s@acme.example",
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    assert "ran 1 job(s)" in done.stdout
    assert [e.rcpt_tos for e in sink.messages] == [["a@example.com"]]


def test_worker_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "surveyor.cli", "worker", "--concurrency", "4"],
        env=surveyor_env(str(tmp_path / "w.db")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # blocks until the worker says it runs
        assert "delivery worker" in first and "running" in first
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "stopped after 0 job(s)" in out


def test_worker_rejects_a_bad_concurrency() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "surveyor.cli", "worker", "--concurrency", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--concurrency" in done.stderr
