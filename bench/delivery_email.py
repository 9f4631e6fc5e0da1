"""Emails per second delivered by ONE delivery worker into a local SMTP sink.

The sink is aiosmtpd in a process of its own (so it does not share this process's
GIL); the worker is the real one — claim with a lease, render both bodies from the
templates, SMTP over kept-alive connections, record the attempt, mark the job done —
on SQLite (FULL synchronous, like production) unless --database says otherwise.

    .venv/bin/python -m bench.delivery_email --count 3000 --concurrency 16

Bounded in time: stops after --seconds even if the queue is not empty.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, free_port, machine
from surveyor import Message
from surveyor.app import build_services, start_services
from surveyor.delivery import store
from surveyor.delivery.channels import channels
from surveyor.delivery.worker import Worker
from surveyor.settings import load_settings

NPS = {
    "kind": "nps",
    "text": "How likely are you to recommend Acme?",
    "min": 0,
    "max": 10,
    "min_label": "Not likely",
    "max_label": "Very likely",
}


def start_sink(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import socket

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the SMTP sink did not start")


async def run(args: argparse.Namespace, database: str, port: int) -> dict[str, float]:
    settings = load_settings(
        environ={},
        database=database,
        secret_key="b" * 40,
        email_url=f"mailto://127.0.0.1:{port}?from=surveys@acme.example&mode=insecure",
        run_worker=False,
    )
    svc = build_services(settings)
    await start_services(svc)
    channels(svc)
    try:
        batch = 500
        for start in range(0, args.count, batch):

            async def unit(tx, start=start):
                for i in range(start, min(start + batch, args.count)):
                    await store.enqueue_message(
                        tx,
                        "email",
                        Message(
                            kind="invitation",
                            id=f"bench-{i}",
                            recipient=f"customer{i}@example.com",
                            recipient_name=f"Customer {i}",
                            link=f"https://surveys.acme.example/s/token{i}",
                            unsubscribe_url=f"https://surveys.acme.example/u/token{i}",
                            context={"brand": "Acme", "question": NPS},
                        ),
                    )

            await svc.db.write(unit)
        global SAMPLE
        import email.policy

        sample = (
            channels(svc)
            .get("email")
            .build(  # type: ignore[union-attr]
                Message(
                    kind="invitation",
                    id="bench-sample",
                    recipient="customer@example.com",
                    recipient_name="Customer",
                    link="https://surveys.acme.example/s/token",
                    unsubscribe_url="https://surveys.acme.example/u/token",
                    context={"brand": "Acme", "question": NPS},
                )
            )
        )
        SAMPLE = sample.as_bytes(policy=email.policy.SMTP)
        worker = Worker(svc, concurrency=args.concurrency, poll_seconds=0.05)
        began = time.perf_counter()
        worker.start()
        deadline = began + args.seconds
        done = 0
        while time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
            done = await svc.db.fetch_val("SELECT COUNT(*) FROM jobs WHERE status = 'done'")
            if done >= args.count:
                break
        elapsed = time.perf_counter() - began
        await worker.stop()
        failed = await svc.db.fetch_val("SELECT COUNT(*) FROM jobs WHERE status <> 'done'")
        return {
            "delivered": done,
            "seconds": elapsed,
            "per_second": done / elapsed,
            "not_done": failed,
        }
    finally:
        await channels(svc).close()
        await svc.db.close()


def smtp_ceiling(port: int, count: int, connections: int) -> float:
    """Messages/s the sink alone takes: ``connections`` threads, each on one kept-alive
    smtplib connection, sending one email as the channel builds it (prebuilt bytes), so
    the figure is what aiosmtpd can take on this machine in this run."""
    import smtplib
    import threading

    raw = SAMPLE or b""
    each = max(1, count // connections)

    def send(n: int) -> None:
        conn = smtplib.SMTP("127.0.0.1", port)
        for i in range(n):
            conn.sendmail("surveys@acme.example", [f"customer{i}@example.com"], raw)
        conn.quit()

    threads = [threading.Thread(target=send, args=(each,)) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return each * connections / (time.perf_counter() - began)


SAMPLE: bytes | None = None  # one email as the worker built it (set by run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=45.0)
    parser.add_argument("--database", default="", help="default: a fresh SQLite file")
    parser.add_argument(
        "--pairs", type=int, default=1, help="worker, then SMTP ceiling, this many times (A B A B)"
    )
    args = parser.parse_args()
    print(machine(), "· load average", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    for pair in range(args.pairs):
        port = free_port()
        sink = start_sink(port)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                database = args.database or str(Path(tmp) / "bench.db")
                result = asyncio.run(run(args, database, port))
            ceiling = smtp_ceiling(port, min(args.count, 1600), args.concurrency)
        finally:
            sink.terminate()
            sink.wait(10)
        print(
            f"pair {pair}: one worker, concurrency {args.concurrency}: {result['delivered']}"
            f" emails in {result['seconds']:.2f} s = {result['per_second']:.0f} emails/s"
            f" ({result['not_done']} not done); SMTP ceiling (aiosmtpd alone, same sink):"
            f" {ceiling:.0f}/s; ratio {result['per_second'] / ceiling:.2f};"
            f" load average {os.getloadavg()[0]:.2f}"
        )


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
