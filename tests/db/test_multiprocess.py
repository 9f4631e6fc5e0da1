"""Several processes on one SQLite file (issue 17): each has its own group-commit writer,
and the single-writer guarantees still hold across them.

Real processes throughout: writer processes hammering one file, and a real
``surveyor serve --workers 2`` (granian) killed with ``kill -9`` while clients write.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import httpx
import pytest

from surveyor.db.sqlite import SQLiteDatabase
from surveyor.db.sqlite_writer import begin_immediate
from surveyor.ops.ratelimit import DatabaseCounters, MemoryCounters, counters_for
from tests.checkpoints.test_crash import prepare, wait_for
from tests.serving import free_port, wait_until_healthy

WRITES = 240  # acknowledged before the kill

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from surveyor.db.sqlite import SQLiteDatabase

    async def main(path, name, count):
        db = SQLiteDatabase(path)
        await db.connect()
        async def one(i):
            async def unit(tx):
                await tx.execute("INSERT INTO t (id, who) VALUES (?, ?)", (f"{name}-{i}", name))
            await db.write(unit)
        try:
            # All at once: this process's writer makes groups while its siblings do too.
            results = await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)
        finally:
            await db.close()
        failed = [repr(r) for r in results if isinstance(r, BaseException)]
        print(len(results) - len(failed), db.commits, *failed[:3], sep="\\n")
        sys.exit(1 if failed else 0)

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    """
)


@pytest.mark.slow
async def test_three_writer_processes_on_one_file_lose_nothing_and_never_fail(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "shared.db")
    db = SQLiteDatabase(path)
    await db.connect()
    await db.write(lambda tx: tx.execute("CREATE TABLE t (id TEXT PRIMARY KEY, who TEXT)"))
    await db.close()
    count = 600
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WRITER,
            path,
            f"p{n}",
            str(count),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for n in range(3)
    ]
    outputs = await asyncio.gather(*(p.communicate() for p in procs))
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, (out.decode(), err.decode())
        done, commits = out.decode().split()[:2]
        assert int(done) == count
        assert int(commits) >= 1
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT who, count(*) FROM t GROUP BY who ORDER BY who").fetchall()
    finally:
        conn.close()
    assert rows == [("p0", count), ("p1", count), ("p2", count)]


def test_the_writer_waits_for_a_lock_held_past_one_busy_timeout_then_gives_up(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "held.db")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("CREATE TABLE t (n INTEGER)")
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("PRAGMA busy_timeout = 0")
    try:
        holder.execute("BEGIN IMMEDIATE")
        # Held the whole time: after its own wait the writer says "busy" (the caller
        # answers 503 with Retry-After), never anything worse.
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            begin_immediate(writer, wait=0.05)
        # Released while the writer waits: it gets the lock.
        released = threading.Event()

        def wait_then_begin() -> None:
            begin_immediate(writer, wait=30)
            released.set()

        thread = threading.Thread(target=wait_then_begin)
        thread.start()
        holder.execute("COMMIT")
        thread.join(30)
        assert released.is_set()
        writer.execute("INSERT INTO t (n) VALUES (1)")
        writer.execute("COMMIT")
    finally:
        writer.close()
        holder.close()


def start_server(env: dict[str, str], port: int, log: Path, *extra: str) -> subprocess.Popen[str]:
    with log.open("a") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "surveyor.cli", "serve", "--port", str(port), *extra],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
            text=True,
            start_new_session=True,
        )
    # Generous: two processes build their app at once on a shared, loaded machine.
    wait_until_healthy(f"http://127.0.0.1:{port}", process, timeout=180)
    return process


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def _fire(base: str, secret: str, prefix: str, acked: list[str], stop: threading.Event) -> None:
    """One client on its own connection (the kernel spreads the clients' connections over
    the server processes), until ``stop`` or the server is gone. Records acknowledged ids."""
    n = 0
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=60
    ) as http:
        while not stop.is_set():
            n += 1
            try:
                response = http.post(
                    "/api/v1/events",
                    json={
                        "checkpoint": "order_delivered",
                        "contact": {"id": f"{prefix}-{n}", "email": f"{prefix}.{n}@example.com"},
                    },
                )
            except httpx.HTTPError:
                return  # the server was killed
            if response.status_code != 202:
                acked.append(f"ERROR {response.status_code} {response.text}")
                return
            acked.append(response.json()["event_id"])


@pytest.mark.slow
def test_two_server_processes_answer_every_write_and_lose_none_to_a_kill_9(
    tmp_path: Path,
) -> None:
    """N clients write against ``serve --workers 2`` on one SQLite file; ``kill -9`` of the
    whole process tree mid-stream; every 202 is in the file, and no client was ever
    answered "database is locked" (or any non-202)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")},
        "SURVEYOR_DATABASE": str(tmp_path / "two.db"),
        "SURVEYOR_BASE_URL": "http://surveyor.test",
        "SURVEYOR_API_RATE_LIMIT": "0",
    }
    secret = asyncio.run(prepare(env))
    port = free_port()
    log = tmp_path / "serve.log"
    server = start_server(env, port, log, "--server", "granian", "--workers", "2", "--no-worker")
    clients = 8
    acked: list[list[str]] = [[] for _ in range(clients)]
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_fire, args=(f"http://127.0.0.1:{port}", secret, f"c{i}", acked[i], stop)
        )
        for i in range(clients)
    ]
    try:
        assert len(_children(server.pid)) == 2, "serve did not start two server processes"
        for thread in threads:
            thread.start()
        wait_for(
            lambda: sum(map(len, acked)) >= WRITES or not any(t.is_alive() for t in threads),
            240,
            f"{WRITES} acknowledged events",
        )
    finally:
        os.killpg(server.pid, signal.SIGKILL)  # the parent and both server processes
        stop.set()
        for thread in threads:
            thread.join(60)
        server.wait(10)
    answers = [a for per_client in acked for a in per_client]
    assert not [a for a in answers if a.startswith("ERROR")], answers
    conn = sqlite3.connect(env["SURVEYOR_DATABASE"])
    try:
        stored = {row[0] for row in conn.execute("SELECT id FROM events")}
    finally:
        conn.close()
    assert len(answers) >= WRITES
    assert set(answers) <= stored, f"{len(set(answers) - stored)} acknowledged events lost"

    # The file is whole after the kill: a new server starts on it and serves.
    restarted = start_server(env, port, log, "--server", "granian", "--workers", "2")
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200
    finally:
        restarted.send_signal(signal.SIGINT)
        try:
            restarted.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(restarted.pid, signal.SIGKILL)
            restarted.wait(10)


async def test_rate_limits_count_in_the_database_when_several_processes_serve_sqlite(
    tmp_path: Path,
) -> None:
    from surveyor.app import build_services
    from surveyor.settings import load_settings

    settings = load_settings(environ={}, database=str(tmp_path / "limits.db"))
    alone = build_services(settings)
    assert isinstance(counters_for(alone), MemoryCounters)
    shared = build_services(settings)
    shared.server_processes = 2
    assert isinstance(counters_for(shared), DatabaseCounters)
