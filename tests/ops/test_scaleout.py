"""Scale-out proven: two web processes and two workers on one PostgreSQL database.

Real ``surveyor serve --no-worker`` and ``surveyor worker`` processes, a fresh PostgreSQL
schema, a real SMTP server (aiosmtpd). Events go to both web processes at once (some with
one idempotency key sent to both together); one worker is killed with SIGKILL while it
holds leased jobs; the other takes them over when their leases expire. Every accepted
event has exactly one invitation, every invitation is sent, and a message arrives twice
only for a job that was in flight at the kill (the documented at-least-once window).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.checkpoints.test_crash import prepare, start_server, wait_for
from tests.conftest import IN_CI, PG_ADMIN_DSN, _pg_available
from tests.delivery.servers import SmtpSink, free_port, smtp_server

pytestmark = pytest.mark.slow
EVENTS = 60  # distinct events, alternating between the two web processes
PAIRS = 10  # idempotency keys each sent to both web processes at the same moment
LEASE_SECONDS = 3


class SlowSink(SmtpSink):
    """A mail server that takes a moment per message, so a worker holds jobs in flight."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.15)  # the server's own pace, not a wait for an outcome
        return await super().handle_DATA(server, session, envelope)


def query(dsn: str, sql: str, *args: Any) -> list[Any]:
    async def run() -> list[Any]:
        conn = await asyncpg.connect(dsn)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    return asyncio.run(run())


@pytest.fixture
def pg_schema() -> Any:
    if not asyncio.run(_pg_available()):
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true ({PG_ADMIN_DSN})")
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    schema = "t_" + secrets.token_hex(6)
    query(PG_ADMIN_DSN, f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_ADMIN_DSN else "?"
    yield f"{PG_ADMIN_DSN}{sep}search_path={schema}"
    query(PG_ADMIN_DSN, f"DROP SCHEMA {schema} CASCADE")


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "surveyor.cli", "worker", "--concurrency", "4"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def test_two_apps_two_workers_one_killed(
    tmp_path: Path, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.monotonic()
    monkeypatch.setattr("tests.delivery.servers.SmtpSink", SlowSink)
    processes: list[subprocess.Popen[bytes]] = []
    with smtp_server() as (sink, smtp_port):
        assert isinstance(sink, SlowSink)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")},
            "SURVEYOR_DATABASE": pg_schema,
            "SURVEYOR_BASE_URL": "http://surveyor.test",
            "SURVEYOR_SECRET_KEY": "s" * 40,
            "SURVEYOR_EMAIL_URL": f"mailto://127.0.0.1:{smtp_port}?from=surveys@acme.example&mode=insecure",
            "SURVEYOR_WORKER_POLL_SECONDS": "0.2",
            "SURVEYOR_WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
            "SURVEYOR_API_RATE_LIMIT": "0",
        }
        secret = asyncio.run(prepare(env))
        try:
            ports = [free_port(), free_port()]
            for n, port in enumerate(ports):
                processes.append(start_server(env, port, tmp_path / f"app{n}.log", "--no-worker"))
            clients = [
                httpx.Client(
                    base_url=f"http://127.0.0.1:{port}",
                    headers={"Authorization": f"Bearer {secret}"},
                    timeout=30,
                )
                for port in ports
            ]

            def fire(app: int, contact: str, key: str | None = None) -> httpx.Response:
                headers = {"Idempotency-Key": key} if key else {}
                return clients[app].post(
                    "/api/v1/events",
                    json={
                        "checkpoint": "order_delivered",
                        "contact": {"id": contact, "email": f"{contact}@example.com"},
                    },
                    headers=headers,
                )

            with ThreadPoolExecutor(max_workers=8) as pool:
                singles = [pool.submit(fire, i % 2, f"c{i}") for i in range(EVENTS)]
                pairs = [
                    (pool.submit(fire, 0, f"p{i}", f"k{i}"), pool.submit(fire, 1, f"p{i}", f"k{i}"))
                    for i in range(PAIRS)
                ]
                single_answers = [f.result() for f in singles]
                pair_answers = [(a.result(), b.result()) for a, b in pairs]
            for client in clients:
                client.close()

            acknowledged = {r.json()["event_id"] for r in single_answers if r.status_code == 202}
            assert len(acknowledged) == EVENTS, [r.text for r in single_answers]
            for a, b in pair_answers:
                assert a.status_code == 202, a.text
                assert b.status_code == 202, b.text
                assert a.json()["event_id"] == b.json()["event_id"]
                acknowledged.add(a.json()["event_id"])
            assert len(acknowledged) == EVENTS + PAIRS
            keyed = query(
                pg_schema,
                "SELECT idempotency_key, count(*) AS n FROM events "
                "WHERE idempotency_key IS NOT NULL GROUP BY idempotency_key",
            )
            assert sorted((r["idempotency_key"], r["n"]) for r in keyed) == sorted(
                (f"k{i}", 1) for i in range(PAIRS)
            )

            # Two workers; kill the first while it holds leased jobs.
            victim = start_worker(env, tmp_path / "worker0.log")
            processes.append(victim)
            survivor = start_worker(env, tmp_path / "worker1.log")
            processes.append(survivor)
            owned = "%:" + str(victim.pid) + ":%"

            def victim_holds_jobs() -> bool:
                assert victim.poll() is None, (tmp_path / "worker0.log").read_text()
                if len(sink.messages) < 4:
                    return False
                # Frozen, the worker can neither finish nor claim a job: the jobs it holds
                # now are the ones it holds when it is killed.
                os.killpg(victim.pid, signal.SIGSTOP)
                rows = query(
                    pg_schema,
                    "SELECT count(*) AS n FROM jobs WHERE status = 'running' "
                    "AND lease_owner LIKE $1",
                    owned,
                )
                if rows[0]["n"] > 0:
                    return True
                os.killpg(victim.pid, signal.SIGCONT)
                return False

            wait_for(victim_holds_jobs, 30, "the first worker to send and hold leased jobs")
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait(10)
            # The survivor may already have taken over a job whose lease ran out while the
            # victim was frozen (leases are renewed every third of their length): such a job
            # is found by its "lost" attempt below, after every invitation is sent.
            held = {
                r["email"]
                for r in query(
                    pg_schema,
                    "SELECT c.email FROM jobs j JOIN invitations i ON i.id = j.subject_id "
                    "JOIN contacts c ON c.id = i.contact_id "
                    "WHERE j.status = 'running' AND j.lease_owner LIKE $1",
                    owned,
                )
            }

            def all_sent() -> bool:
                assert survivor.poll() is None, (tmp_path / "worker1.log").read_text()
                rows = query(
                    pg_schema,
                    "SELECT count(*) AS n FROM invitations WHERE status = 'sent'",
                )
                return rows[0]["n"] >= EVENTS + PAIRS

            wait_for(all_sent, 45, "every invitation to be sent by the surviving worker")
            wait_for(
                lambda: len(sink.messages) >= EVENTS + PAIRS, 10, "every message at the SMTP server"
            )
            # In flight at the kill: every job the victim held then, each taken back from it
            # with a "lost" attempt once its lease ran out.
            in_flight = {
                r["email"]
                for r in query(
                    pg_schema,
                    "SELECT DISTINCT c.email FROM job_attempts a JOIN jobs j ON j.id = a.job_id "
                    "JOIN invitations i ON i.id = j.subject_id "
                    "JOIN contacts c ON c.id = i.contact_id "
                    "WHERE a.outcome = 'lost' AND a.worker LIKE $1",
                    owned,
                )
            }
            assert in_flight, "the first worker held no jobs when it was killed"
            assert held <= in_flight, (held, in_flight)

            invitations = query(pg_schema, "SELECT event_id, status, contact_id FROM invitations")
            per_event = Counter(r["event_id"] for r in invitations)
            assert set(per_event) == acknowledged
            assert set(per_event.values()) == {1}, "an event with more than one invitation"
            assert {r["status"] for r in invitations} == {"sent"}
            jobs = query(
                pg_schema,
                "SELECT status, count(*) AS n FROM jobs WHERE kind = 'invitation.send' "
                "GROUP BY status",
            )
            assert {r["status"]: r["n"] for r in jobs} == {"done": EVENTS + PAIRS}

            received = Counter(rcpt for m in sink.messages for rcpt in m.rcpt_tos)
            expected = {f"c{i}@example.com" for i in range(EVENTS)} | {
                f"p{i}@example.com" for i in range(PAIRS)
            }
            assert set(received) == expected
            duplicates = {rcpt: n - 1 for rcpt, n in received.items() if n > 1}
            assert set(duplicates) <= in_flight, (duplicates, in_flight)
            assert all(n == 1 for n in duplicates.values()), duplicates
            print(
                f"\nscale-out: {EVENTS + PAIRS} invitations, {len(in_flight)} in flight at the "
                f"kill, {sum(duplicates.values())} delivered twice (at-least-once window), "
                f"{time.monotonic() - started:.1f} s"
            )
        finally:
            for process in processes:
                end(process)
