"""A soak of the write path and the delivery worker (issue 11: survive the faults).

Starts ``surveyor serve`` (granian, SQLite with synchronous=FULL, the delivery worker
on) with email going to a local aiosmtpd sink, then keeps POST /api/v1/events busy with
wrk at a modest concurrency for ``--minutes``, one wrk run per ``--chunk`` seconds so the
figures come per minute: requests/s, p50/p99, non-2xx, and the resident memory of the
whole server process tree (parent + workers) sampled between chunks. At the end it
counts the stored events and the invitations marked sent against the 202s wrk saw.

    .venv/bin/python bench/soak.py [--minutes 10] [--connections 4] [--chunk 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, free_port, machine, start, stop, wrk
from bench.events import prepare


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        stack.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--chunk", type=int, default=60)
    args = parser.parse_args()
    script = ROOT / "bench" / "events.lua"
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "soak.db"
        smtp_port, port = free_port(), free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SURVEYOR_")},
            "SURVEYOR_DATABASE": str(db_path),
            "SURVEYOR_LOG_LEVEL": "WARNING",
            "SURVEYOR_EMAIL_URL": f"mailto://127.0.0.1:{smtp_port}?from=soak@example.com",
        }
        key = asyncio.run(prepare(env))
        smtp = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        app = start(
            [sys.executable, "-m", "surveyor.cli", "serve", "--port", str(port)],
            env,
            f"http://127.0.0.1:{port}/healthz",
        )
        samples: list[dict[str, object]] = []
        acknowledged = 0
        began = time.monotonic()
        try:
            chunk = 0
            while time.monotonic() - began < args.minutes * 60:
                figures = wrk(
                    f"http://127.0.0.1:{port}",
                    script,
                    [f"soak{chunk}", key],
                    threads=1,
                    connections=args.connections,
                    seconds=args.chunk,
                )
                acknowledged += figures["requests"] - figures["non_2xx"]
                sample = {
                    "minute": round((time.monotonic() - began) / 60, 1),
                    "rps": round(figures["rps"]),
                    "p50_ms": round(figures["p50_ms"], 1),
                    "p99_ms": round(figures["p99_ms"], 1),
                    "non_2xx": figures["non_2xx"],
                    "rss_mb": round(tree_rss_mb(app.pid), 1),
                    "load": load_average(),
                }
                samples.append(sample)
                print(json.dumps(sample), flush=True)
                chunk += 1
            # Let the worker finish what was accepted before counting.
            deadline = time.monotonic() + 120
            with sqlite3.connect(db_path) as conn:
                while time.monotonic() < deadline:
                    pending = conn.execute(
                        "SELECT COUNT(*) FROM invitations WHERE status = 'scheduled'"
                    ).fetchone()[0]
                    if pending == 0:
                        break
                    time.sleep(1)
                events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
                sent = conn.execute(
                    "SELECT COUNT(*) FROM invitations WHERE status = 'sent'"
                ).fetchone()[0]
        finally:
            stop(app)
            smtp.terminate()
    warm = [s["rss_mb"] for s in samples[1:]] or [s["rss_mb"] for s in samples]
    report = {
        "machine": machine(),
        "connections": args.connections,
        "samples": samples,
        "events_stored": events,
        "invitations_sent": sent,
        "acknowledged_2xx": acknowledged,
        "rss_after_warmup_min_max_mb": [min(warm), max(warm)],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
