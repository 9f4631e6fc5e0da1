"""Emails per second delivered by ONE delivery worker into a local SMTP sink, against a
baseline commit and the sink's own ceiling in the same run (issues 5 and 17).

The sink is aiosmtpd in a process of its own. The **ceiling** is the sink alone: plain
``smtplib`` clients (``--concurrency`` threads, one kept-alive connection each) sending
messages of the same shape, no database. The **worker** is the real one — claim with a
lease, render both bodies from the templates, SMTP over kept-alive connections, record
the attempt, mark the job done — on a fresh SQLite file (FULL synchronous) with
``--count`` queued invitation emails, run by each side's own code (``--inner``, with the
side's Python: the baseline commit in its own virtual environment, the candidate this
working tree or ``--candidate``), alternating A B ``--pairs`` times.

    .venv/bin/python bench/delivery_email.py [--count 3000] [--concurrency 16] [--pairs 3]
        [--baseline 4cab561] [--candidate integration]

Bounded in time: each worker run stops after --seconds even if the queue is not empty.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

NPS = {
    "kind": "nps",
    "text": "How likely are you to recommend Acme?",
    "min": 0,
    "max": 10,
    "min_label": "Not likely",
    "max_label": "Very likely",
}


# -- inside a side's own Python (imports only its surveyor) ------------------------------


async def enqueue_invitations(svc: Any, count: int, batch: int = 500) -> None:
    """``count`` invitation emails queued for the email channel, ``batch`` per unit."""
    from surveyor import Message
    from surveyor.delivery import store

    for first in range(0, count, batch):

        async def unit(tx: Any, first: int = first) -> None:
            for i in range(first, min(first + batch, count)):
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


async def run_worker(args: argparse.Namespace) -> dict[str, float]:
    from surveyor.app import build_services, start_services
    from surveyor.delivery.channels import channels
    from surveyor.delivery.worker import Worker
    from surveyor.settings import load_settings

    settings = load_settings(
        environ={},
        database=args.database,
        secret_key="b" * 40,
        email_url=f"mailto://127.0.0.1:{args.smtp_port}?from=surveys@acme.example&mode=insecure",
        run_worker=False,
    )
    svc = build_services(settings)
    await start_services(svc)
    channels(svc)
    try:
        await enqueue_invitations(svc, args.count)
        worker = Worker(svc, concurrency=args.concurrency, poll_seconds=0.05)
        began = time.perf_counter()
        cpu_began = time.process_time()  # this process, every thread: user + system
        worker.start()
        deadline = began + args.seconds
        done = 0
        while time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
            done = await svc.db.fetch_val("SELECT COUNT(*) FROM jobs WHERE status = 'done'")
            if done >= args.count:
                break
        elapsed = time.perf_counter() - began
        cpu = time.process_time() - cpu_began
        await worker.stop()
        not_done = await svc.db.fetch_val("SELECT COUNT(*) FROM jobs WHERE status <> 'done'")
        return {
            "delivered": done,
            "seconds": elapsed,
            "per_second": done / elapsed,
            "not_done": not_done,
            "cpu_ms_per_email": 1000 * cpu / max(done, 1),
        }
    finally:
        await channels(svc).close()
        await svc.db.close()


# -- the driver --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the SMTP sink did not start")


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process so far (/proc/<pid>/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ceiling(port: int, count: int, concurrency: int) -> dict[str, float]:
    """The sink alone: ``count`` two-part emails over ``concurrency`` kept-alive
    connections, no database and no rendering. The message's bytes are built once (only
    the recipient changes), so the clients' own CPU does not stand in for the sink's."""
    text = "How likely are you to recommend Acme? " * 20
    html_body = "<p>" + "".join(
        f'<a href="https://x.example/s/t?score={n}">{n}</a>' for n in range(11)
    )
    message = EmailMessage()
    message["From"] = "surveys@acme.example"
    message["To"] = "RECIPIENT"
    message["Subject"] = "How did we do?"
    message.set_content(text)
    message.add_alternative(html_body * 5, subtype="html")
    shape = message.as_bytes().replace(b"\n", b"\r\n")
    left = iter(range(count))
    lock = threading.Lock()

    def client() -> None:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="localhost") as smtp:
            while True:
                with lock:
                    i = next(left, None)
                if i is None:
                    return
                recipient = f"customer{i}@example.com"
                data = shape.replace(b"RECIPIENT", recipient.encode(), 1)
                smtp.sendmail("surveys@acme.example", [recipient], data)

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {"delivered": count, "seconds": elapsed, "per_second": count / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=45.0)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--smtp-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the whole report to this file")
    if "--inner" in sys.argv:
        args = parser.parse_args()
        print(json.dumps(asyncio.run(run_worker(args))))
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.common import add_comparison_args, comparison_sides, machine, print_pairs

    add_comparison_args(parser)
    args = parser.parse_args()
    sides = comparison_sides(args)
    print(machine(), flush=True)
    port = free_port()
    sink = start_sink(port)
    pairs, ceilings = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for pair in range(args.pairs):
                one = []
                for side in sides:
                    database = str(Path(tmp) / f"{side.label}-{pair}.db")
                    sink_before = cpu_seconds(sink.pid)
                    out = side.run_script(
                        Path(__file__).resolve(),
                        [
                            "--inner",
                            "--count",
                            str(args.count),
                            "--concurrency",
                            str(args.concurrency),
                            "--seconds",
                            str(args.seconds),
                            "--database",
                            database,
                            "--smtp-port",
                            str(port),
                        ],
                        {},
                    )
                    one.append(json.loads(out.strip().splitlines()[-1]))
                    # The sink also received the run's emails; its CPU per email is the
                    # receiving side's cost, load-independent like the worker's.
                    one[-1]["sink_cpu_ms_per_email"] = (
                        1000 * (cpu_seconds(sink.pid) - sink_before) / max(one[-1]["delivered"], 1)
                    )
                    print(
                        f"  p{pair + 1} {side.label:9} {one[-1]['per_second']:6.0f} emails/s,"
                        f" worker CPU {one[-1].get('cpu_ms_per_email', 0):.2f} ms/email"
                    )
                pairs.append((one[0], one[1]))
                sink_before = cpu_seconds(sink.pid)
                ceilings.append(ceiling(port, args.count, args.concurrency))
                ceilings[-1]["sink_cpu_ms_per_email"] = (
                    1000 * (cpu_seconds(sink.pid) - sink_before) / args.count
                )
                print(
                    f"  p{pair + 1} sink alone {ceilings[-1]['per_second']:6.0f} emails/s,"
                    f" sink CPU {ceilings[-1]['sink_cpu_ms_per_email']:.2f} ms/email"
                )
    finally:
        sink.terminate()
        sink.wait(10)

    def extra(r: dict[str, Any]) -> str:
        return f"{r['delivered']} in {r['seconds']:.1f} s, {r['not_done']} not done"

    title = f"one delivery worker, concurrency {args.concurrency}, emails/s"
    ratio = print_pairs(title, sides, pairs, "per_second", "/s", extra)
    of_sink = [b["per_second"] / c["per_second"] for (_, b), c in zip(pairs, ceilings, strict=True)]
    cpu = [(a.get("cpu_ms_per_email", 0.0), b.get("cpu_ms_per_email", 0.0)) for a, b in pairs]
    print(
        "  worker CPU ms/email (load-independent), baseline / candidate: "
        + ", ".join(f"{a:.2f} / {b:.2f}" for a, b in cpu)
        + f"; median ratio {statistics.median(a / b for a, b in cpu if b):.1f}x less"
    )
    sink_ms = statistics.median(c["sink_cpu_ms_per_email"] for c in ceilings)
    worker_ms = statistics.median(b["cpu_ms_per_email"] for _, b in pairs)
    print(
        f"  load-independent: aiosmtpd {sink_ms:.2f} CPU ms/email (at most"
        f" {1000 / sink_ms:,.0f}/s on one core); candidate worker {worker_ms:.2f} CPU ms/email"
        f" (at most {1000 / worker_ms:,.0f}/s on one core)"
    )
    print(
        "  aiosmtpd alone, same pairs: "
        + " / ".join(f"{c['per_second']:,.0f}" for c in ceilings)
        + f" emails/s; candidate / sink alone median {statistics.median(of_sink):.2f}"
    )
    if args.json:
        report = {
            "machine": machine(),
            "pairs": pairs,
            "ceiling": ceilings,
            "median_ratio_candidate_baseline": ratio,
            "median_candidate_of_sink": statistics.median(of_sink),
        }
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
