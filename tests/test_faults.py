"""Faults we can cause: storage errors answer 503, readiness tells the truth, servers do not
outlive their parent or share a SQLite file, start-ups race safely, a full filesystem is
survived without a restart.

Real processes, real SQLite files and PostgreSQL schemas, a real tmpfs that fills.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from surveyor.auth import store as auth_store
from surveyor.db import open_database
from surveyor.db.database import StorageUnavailable
from tests.checkpoints.test_crash import prepare, start_server, wait_for
from tests.conftest import api_key, app_services, in_app
from tests.serving import free_port


def _env(database: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")},
        "SURVEYOR_DATABASE": database,
        "SURVEYOR_BASE_URL": "http://surveyor.test",
        "SURVEYOR_RUN_WORKER": "false",
    }


# -- 503 and readiness, in-process ----------------------------------------------


async def test_storage_unavailable_answers_503_with_retry_after(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await api_key(client, "events:write")
    db = app_services(client).db

    async def full(unit: Any) -> Any:
        raise StorageUnavailable("database unavailable: database or disk is full")

    monkeypatch.setattr(db, "write", full)
    response = await client.post(
        "/api/v1/events",
        json={"checkpoint": "x", "contact": {"id": "c1", "email": "c1@example.com"}},
        headers=headers,
    )
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["status_code"] == 503
    assert "retry" in body["detail"].lower() and "Idempotency-Key" in body["detail"]
    assert "disk" not in body["detail"]  # the cause stays in the server's log

    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == "5"
    assert (await client.get("/healthz")).status_code == 200  # liveness stays cheap

    monkeypatch.undo()
    assert (await client.get("/readyz")).status_code == 200  # recovers by itself


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_readyz_writes_and_reads_back_a_heartbeat(client: Any, backend: str) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": backend}
    rows = await in_app(
        client, app_services(client).db.fetch_all, "SELECT id, nonce FROM health_heartbeat"
    )
    assert len(rows) == 1 and rows[0]["id"].endswith(f":{os.getpid()}")


# -- start-up: one line, no traceback --------------------------------------------


def _surveyor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "surveyor.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_a_read_only_database_directory_is_one_line(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # root writes through a 0o555 directory; procfs refuses new files even to root.
        directory = Path("/proc")
    else:
        directory = tmp_path / "ro"
        directory.mkdir()
        directory.chmod(0o555)
    env = _env(str(directory / "surveyor.db"))
    for args in (["migrate"], ["serve", "--port", str(free_port())]):
        done = _surveyor(env, *args)
        assert done.returncode in (1, 2), done
        assert "Traceback" not in done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("surveyor: "), done.stderr
        assert "surveyor.db" in lines[0]


@pytest.mark.slow
def test_a_bad_postgresql_address_is_one_line() -> None:
    done = _surveyor(_env("postgresql://surveyor:secret@127.0.0.1:1/nowhere"), "migrate")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        line for line in done.stderr.strip().splitlines() if "127.0.0.1:1/nowhere" in line
    ]
    assert len(done.stderr.strip().splitlines()) == 1
    assert "secret" not in done.stderr


# -- racing start-ups -----------------------------------------------------------

PREPARE = (
    "import asyncio, sys\n"
    "from surveyor.serve import prepare\n"
    "from surveyor.settings import load_settings\n"
    "for line in asyncio.run(prepare(load_settings())): print(line)\n"
)


@pytest.mark.slow
async def test_six_processes_starting_at_once_make_one_working_setup_link(
    database_url: str,
) -> None:
    env = _env(database_url)
    starters = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            PREPARE,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(6)
    ]
    outputs = await asyncio.gather(*(p.communicate() for p in starters))
    for process, (_, err) in zip(starters, outputs, strict=True):
        assert process.returncode == 0, err.decode()
    links = [m.group(1) for out, _ in outputs for m in re.finditer(rb"/setup/(\S+)", out)]
    assert len(links) == 1, [o.decode() for o, _ in outputs]
    db = open_database(database_url)
    await db.connect()
    try:
        assert await auth_store.check_setup_token(db, links[0].decode())
    finally:
        await db.close()


# -- the server process model -----------------------------------------------------


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.slow
def test_kill_9_of_serve_takes_its_worker_along_and_one_file_has_one_server(
    tmp_path: Path,
) -> None:
    env = _env(str(tmp_path / "one.db"))
    port = free_port()
    log = tmp_path / "serve.log"
    server = start_server(env, port, log, "--server", "granian")
    try:
        workers = _children(server.pid)
        assert workers, "granian started no worker process"

        # A second server on the same SQLite file is refused, naming the first.
        second = _surveyor(env, "serve", "--port", str(free_port()), "--server", "granian")
        assert second.returncode == 2
        assert second.stderr.strip() == (
            f"surveyor: database: {env['SURVEYOR_DATABASE']} is in use by another"
            f" surveyor serve (pid {server.pid}); stop it first"
        )

        os.kill(server.pid, signal.SIGKILL)  # the parent only, not its group
        server.wait(10)
        wait_for(lambda: not any(_alive(w) for w in workers), 20, "the worker to exit")
        wait_for(lambda: _port_free(port), 20, "the port to be free")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)

    # The kernel dropped the lock with the process: a restart needs no clean-up.
    restarted = start_server(env, port, log, "--server", "granian")
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=30).status_code == 200
    finally:
        restarted.send_signal(signal.SIGINT)
        try:
            restarted.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(restarted.pid, signal.SIGKILL)
            restarted.wait(10)


# -- a filesystem that fills ---------------------------------------------------------


@contextlib.contextmanager
def small_filesystem(size: str) -> Any:
    """A tmpfs of ``size``; skips (saying why) where mounting is not allowed."""
    point = tempfile.mkdtemp(prefix="surveyor-full-")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", point],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        os.rmdir(point)
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield Path(point)
    finally:
        subprocess.run(["umount", "-l", point], check=False)
        os.rmdir(point)


def _fill(path: Path) -> None:
    """Write ``path`` until the filesystem has no space left."""
    with path.open("wb") as f:
        chunk = b"\0" * 65536
        with contextlib.suppress(OSError):
            while True:
                f.write(chunk)
                f.flush()
        with contextlib.suppress(OSError):
            os.fsync(f.fileno())


@pytest.mark.slow
def test_a_full_filesystem_answers_503_and_the_server_recovers_without_restart(
    tmp_path: Path,
) -> None:
    with small_filesystem("8m") as fs:
        env = _env(str(fs / "full.db"))
        secret = asyncio.run(prepare(env))
        port = free_port()
        server = start_server(env, port, tmp_path / "server.log", "--no-worker")
        acked: list[str] = []
        refused = 0
        try:
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {secret}"},
                timeout=30,
            ) as http:

                def send(i: int) -> httpx.Response:
                    response = http.post(
                        "/api/v1/events",
                        json={
                            "checkpoint": "order_delivered",
                            "contact": {"id": f"c{i}", "email": f"c{i}@example.com"},
                            "properties": {"note": "x" * 8192},
                        },
                    )
                    assert response.status_code in (202, 503), response.text
                    if response.status_code == 202:
                        acked.append(f"c{i}")
                    return response

                _fill(fs / "filler")
                i = 0
                while refused == 0 and i < 400:
                    response = send(i)
                    i += 1
                    if response.status_code == 503:
                        refused += 1
                        assert response.headers["retry-after"] == "5"
                        assert "retry" in response.json()["detail"].lower()
                assert refused, "the full filesystem never refused a write"
                assert http.get("/readyz").status_code == 503
                assert http.get("/healthz").status_code == 200  # alive, not ready

                (fs / "filler").unlink()  # space returns; no restart
                wait_for(lambda: http.get("/readyz").status_code == 200, 30, "/readyz to recover")
                for j in range(i, i + 20):
                    assert send(j).status_code == 202
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)  # shutdown completes although groups failed
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)
                raise
        db = sqlite3.connect(env["SURVEYOR_DATABASE"])
        try:
            counts = dict(
                db.execute(
                    "SELECT c.external_id, count(*) FROM events e"
                    " JOIN contacts c ON c.id = e.contact_id GROUP BY 1"
                )
            )
            stored = set(counts)
        finally:
            db.close()
        assert set(acked) <= stored, "an acknowledged event was lost"
        assert all(n == 1 for n in counts.values())
        assert "Traceback" not in (tmp_path / "server.log").read_text()


# -- idempotent start-up writes, in-process ------------------------------------------


async def test_a_racing_starter_keeps_the_fresh_link_and_a_later_restart_replaces_it(
    services: Any,
) -> None:
    db = services.db
    first, second = await asyncio.gather(
        auth_store.ensure_setup_token(db), auth_store.ensure_setup_token(db)
    )
    links = [t for t in (first, second) if t is not None]
    assert len(links) == 1 and await auth_store.check_setup_token(db, links[0])
    # A restart after the race window makes a new link; the old one stops working.
    await db.write(_age_setup_token)
    later = await auth_store.ensure_setup_token(db)
    assert later is not None and later != links[0]
    assert await auth_store.check_setup_token(db, later)
    assert not await auth_store.check_setup_token(db, links[0])


async def _age_setup_token(tx: Any) -> None:
    """Move the stored link's expiry back past the race window (as if made minutes ago)."""
    from datetime import datetime, timedelta

    from surveyor.ids import iso

    value = await tx.fetch_val("SELECT value FROM meta WHERE key = 'setup_token'")
    stored, _, expires = value.partition("|")
    aged = iso(
        datetime.fromisoformat(expires.replace("Z", "+00:00"))
        - timedelta(seconds=auth_store.RACE_SECONDS + 60)
    )
    await tx.execute("UPDATE meta SET value = ? WHERE key = 'setup_token'", (f"{stored}|{aged}",))


async def test_two_demo_runs_at_once_claim_seeding_once(database_url: str) -> None:
    from surveyor.app import migration_sources
    from surveyor.cli_records import claim_demo_seeding
    from surveyor.db.migrate import migrate
    from surveyor.plugins import make_plugin_manager
    from surveyor.settings import load_settings

    settings = load_settings(environ=_env(database_url))
    # Two processes' worth of connections, so on PostgreSQL the claims really race.
    one, two = open_database(database_url), open_database(database_url)
    await one.connect()
    await two.connect()
    try:
        await migrate(
            one,
            migration_sources(
                make_plugin_manager(settings.plugin_allow_list, settings.plugins_dir)
            ),
        )
        results = await asyncio.gather(claim_demo_seeding(one), claim_demo_seeding(two))
        assert results.count(None) == 1 and str(os.getpid()) in results
        # A claim left by a seeder killed halfway expires and can be taken over.
        await one.write(
            lambda tx: tx.execute(
                "UPDATE meta SET value = '1|2000-01-01T00:00:00Z' WHERE key = 'demo_seeding'"
            )
        )
        assert await claim_demo_seeding(two) is None
    finally:
        await one.close()
        await two.close()


# -- the delivery worker killed mid-batch ---------------------------------------------


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_keep_their_message_id(
    tmp_path: Path,
) -> None:
    import email

    from aiosmtpd.controller import Controller

    from tests.delivery.servers import SmtpSink

    class HeldSink(SmtpSink):
        """Takes each message but holds its ``250`` until released: the worker dies with
        every send of its batch on the wire, the case that makes duplicates."""

        release = False

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with self.lock:
                self.messages.append(envelope)
            while not self.release:
                await asyncio.sleep(0.01)  # a fake server waiting for the test, not timing
            return "250 Message accepted"

    events, concurrency = 20, 8
    smtp_port = free_port()
    sink = HeldSink()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        env = {
            **_env(str(tmp_path / "worker.db")),
            "SURVEYOR_EMAIL_URL": f"mailto://127.0.0.1:{smtp_port}?from=surveys@acme.example&mode=insecure",
            "SURVEYOR_WORKER_POLL_SECONDS": "0.2",
        }
        secret = asyncio.run(prepare(env))
        port = free_port()
        server = start_server(env, port, tmp_path / "server.log", "--no-worker")
        try:
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {secret}"}
            ) as http:
                for i in range(events):
                    response = http.post(
                        "/api/v1/events",
                        json={
                            "checkpoint": "order_delivered",
                            "contact": {"id": f"c{i}", "email": f"c{i}@example.com"},
                        },
                    )
                    assert response.status_code == 202, response.text
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(20)

        worker_env = {k: v for k, v in env.items() if k != "SURVEYOR_RUN_WORKER"}
        worker = subprocess.Popen(
            [sys.executable, "-m", "surveyor.cli", "worker", "--concurrency", str(concurrency)],
            env=worker_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for(lambda: len(sink.messages) >= concurrency, 30, "a batch on the wire")
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        in_flight = len(sink.messages)
        sink.release = True

        # Let the dead worker's leases run out now instead of in LEASE_SECONDS.
        db = sqlite3.connect(env["SURVEYOR_DATABASE"])
        try:
            db.execute(
                "UPDATE jobs SET lease_until = '2000-01-01T00:00:00.000000Z'"
                " WHERE status = 'running'"
            )
            db.commit()
        finally:
            db.close()
        done = subprocess.run(
            [sys.executable, "-m", "surveyor.cli", "worker", "--once"],
            env=worker_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    finally:
        controller.stop()

    sent: dict[str, set[str]] = {}
    for envelope in sink.messages:
        message = email.message_from_bytes(envelope.original_content)
        for rcpt in envelope.rcpt_tos:
            sent.setdefault(rcpt, set()).add(message["Message-ID"])
    assert sorted(sent) == sorted(f"c{i}@example.com" for i in range(events)), "one was lost"
    duplicates = len(sink.messages) - events
    # Only what was on the wire at the kill repeats (here all of it: no 250 came back).
    assert 1 <= duplicates <= in_flight
    assert all(len(ids) == 1 for ids in sent.values()), "a repeat changed its Message-ID"
