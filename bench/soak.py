"""A mixed soak (issues 11 and 17): events, the customer path and metrics reads at once.

Starts ``surveyor serve`` (the default process model, the delivery worker on, email to a
local aiosmtpd sink) on a fresh SQLite database made by the measured version's own code
(``bench/seed.py soak``), then for ``--minutes`` runs three wrk loads side by side, one
wrk run each per ``--chunk`` seconds so the figures come per minute:

* ``POST /api/v1/events`` (``bench/events.lua``, every request a new contact, so every
  event schedules an invitation the worker then emails), ``--event-connections`` (4);
* the customer path (``bench/flow.lua``: personal link, every step, thank-you),
  ``--customers`` (4) at a time; completions counted in the database;
* ``GET /api/v1/metrics`` for the customer path's survey, weekly buckets
  (``bench/metrics.lua``), ``--readers`` (2).

Each minute it prints the three loads' rates and p99s, the whole server's RSS (the sum
of VmRSS of the server and all its descendants, from /proc, sampled every second; median
and peak of the minute) and the load average. At the end:

* **RSS flat**: after the ``--warmup-minutes`` (default 1), the per-minute median RSS
  stays within 10 % (max / min ≤ 1.10);
* **p99 not drifting**: for each load, the median p99 of the last three minutes over the
  median p99 of the first three after warm-up (≤ 1.25 counts as no drift; read it with
  the load averages beside it: this machine is shared);
* **nothing lost**: events stored = events acknowledged (2xx) by wrk, and every
  scheduled invitation sent once the worker has drained.

    .venv/bin/python bench/soak.py [--minutes 10] [--candidate integration]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
    RssSampler,
    build_side,
    exit_on_sigterm,
    free_port,
    load_average,
    machine,
    parse_tagged_json,
    parse_wrk,
    stop,
    tree_rss_mb,
    working_tree_side,
    wrk_output,
)
from bench.flow import COMPLETED, Tokens

SEED = ROOT / "bench" / "seed.py"

__all__ = ["main", "tree_rss_mb", "verdict"]


def drift(values: list[float]) -> float:
    """Median of the last three over the median of the first three (1.0 = no drift)."""
    if len(values) < 2:
        return 1.0
    span = min(3, len(values) // 2)
    first, last = statistics.median(values[:span]), statistics.median(values[-span:])
    return last / first if first else float("inf")


def verdict(samples: list[dict[str, Any]], warmup: int) -> dict[str, Any]:
    """Whether memory stayed flat within 10 % and p99 did not drift, after ``warmup``
    minutes (the figures the README records)."""
    warm = samples[warmup:] or samples
    rss = [s["rss_median_mb"] for s in warm]
    spread = max(rss) / min(rss) if rss and min(rss) else float("inf")
    drifts = {
        name: round(drift([s[name]["p99_ms"] for s in warm]), 2)
        for name in ("events", "flow", "metrics")
    }
    return {
        "rss_after_warmup_min_max_mb": [min(rss, default=0), max(rss, default=0)],
        "rss_spread": round(spread, 3),
        "rss_flat_within_10pct": spread <= 1.10,
        "p99_drift_last3_over_first3": drifts,
        "p99_not_drifting": all(d <= 1.25 for d in drifts.values()),
    }


def run_load(
    url: str, spec: tuple[Path, list[str], int, int], seconds: int, into: dict[str, str], name: str
) -> None:
    script, wrk_args, threads, connections = spec
    into[name] = wrk_output(
        url, script, wrk_args, threads=threads, connections=connections, seconds=seconds
    )


def completed(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute(COMPLETED).fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--chunk", type=int, default=60, help="seconds per sample (default 60)")
    parser.add_argument("--warmup-minutes", type=int, default=1)
    parser.add_argument("--event-connections", type=int, default=4)
    parser.add_argument("--customers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--invitations", type=int, default=0, help="default: 70 per second")
    parser.add_argument("--serve-args", default="", type=shlex.split)
    parser.add_argument("--candidate", help="commit to soak (default: this working tree)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="SURVEYOR_X=VALUE",
        help="an extra setting for the server (repeatable), e.g. SURVEYOR_PLUGINS=…",
    )
    parser.add_argument("--json", help="also write the whole report to this file")
    args = parser.parse_args()
    exit_on_sigterm()
    side = build_side(args.candidate, "candidate") if args.candidate else working_tree_side()
    chunks = max(1, round(args.minutes * 60 / args.chunk))
    count = args.invitations or int(70 * args.chunk * chunks)
    print(f"{machine()}\nsoak of {side.name}: {chunks} × {args.chunk} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        database = tmp / "soak.db"
        smtp_port, port = free_port(), free_port()
        env = {
            "SURVEYOR_DATABASE": str(database),
            "SURVEYOR_LOG_LEVEL": "WARNING",
            "SURVEYOR_SECRET_KEY": "b" * 40,
            "SURVEYOR_API_RATE_LIMIT": "0",
            "SURVEYOR_EMAIL_URL": f"mailto://127.0.0.1:{smtp_port}?from=soak@example.com",
            **dict(item.split("=", 1) for item in args.env),
        }
        out = tmp / "tokens.txt"
        print(f"seeding {count} invitations …", flush=True)
        keys = json.loads(
            side.run_script(SEED, ["soak", "--count", str(count), "--out", str(out)], env)
            .strip()
            .splitlines()[-1]
        )
        tokens = Tokens(None, str(database), tmp, "soak")
        tokens.lines = out.read_text().split()
        metrics_path = f"/api/v1/metrics?survey={keys['survey']}&bucket=week"
        smtp = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            server = side.start_server(port, env, args.serve_args)
        except BaseException:
            smtp.terminate()  # a server that never answered must not leave the sink behind
            raise
        url = f"http://127.0.0.1:{port}"
        samples: list[dict[str, Any]] = []
        acknowledged = 0
        try:
            for chunk in range(chunks):
                slice_ = tokens.slice(len(tokens.lines) // chunks, tmp / f"chunk{chunk}.txt")
                loads = {
                    "events": (
                        ROOT / "bench" / "events.lua",
                        [f"soak{chunk}", keys["events_key"]],
                        1,
                        args.event_connections,
                    ),
                    "flow": (
                        ROOT / "bench" / "flow.lua",
                        [str(slice_), str(args.customers)],
                        args.customers,
                        args.customers,
                    ),
                    "metrics": (
                        ROOT / "bench" / "metrics.lua",
                        [metrics_path, keys["read_key"]],
                        1,
                        args.readers,
                    ),
                }
                outputs: dict[str, str] = {}
                before = completed(database)
                runners = [
                    threading.Thread(target=run_load, args=(url, spec, args.chunk, outputs, name))
                    for name, spec in loads.items()
                ]
                with RssSampler(server.pid, interval=1.0) as rss:
                    for runner in runners:
                        runner.start()
                    for runner in runners:
                        runner.join()
                done = completed(database) - before
                events, metrics = parse_wrk(outputs["events"]), parse_wrk(outputs["metrics"])
                flow = parse_tagged_json(outputs["flow"], "FLOW")
                acknowledged += events["requests"] - events["non_2xx"]
                sample = {
                    "minute": chunk + 1,
                    "events": {k: round(events[k], 1) for k in ("rps", "p50_ms", "p99_ms")}
                    | {"non_2xx": events["non_2xx"]},
                    "flow": {
                        "completed_per_s": round(done / args.chunk, 1),
                        "p50_ms": flow["post_p50_ms"],
                        "p99_ms": flow["post_p99_ms"],
                        "non_200": flow["non_200"],
                    },
                    "metrics": {k: round(metrics[k], 1) for k in ("rps", "p50_ms", "p99_ms")}
                    | {"non_2xx": metrics["non_2xx"]},
                    "rss_median_mb": round(rss.median_mb, 1),
                    "rss_peak_mb": round(rss.peak_mb, 1),
                    "load": load_average(),
                }
                samples.append(sample)
                print(json.dumps(sample), flush=True)
            deadline = time.monotonic() + 180  # let the worker send what was accepted
            with sqlite3.connect(database) as conn:
                while time.monotonic() < deadline:
                    pending = conn.execute(
                        "SELECT COUNT(*) FROM invitations WHERE status = 'scheduled'"
                    ).fetchone()[0]
                    if pending == 0:
                        break
                    time.sleep(1)
                stored = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
                scheduled = conn.execute(
                    "SELECT COUNT(*) FROM invitations i JOIN events e ON e.id = i.event_id"
                ).fetchone()[0]
                sent = conn.execute(
                    "SELECT COUNT(*) FROM invitations i JOIN events e ON e.id = i.event_id"
                    " WHERE i.status IN ('sent', 'opened', 'answered')"
                ).fetchone()[0]
        finally:
            stop(server)
            smtp.terminate()
            smtp.wait(10)
    report = {
        "machine": machine(),
        "candidate": side.name,
        "samples": samples,
        "events_acknowledged_2xx": acknowledged,
        "events_stored": stored,
        "event_invitations": scheduled,
        "event_invitations_sent": sent,
        **verdict(samples, args.warmup_minutes),
    }
    print(json.dumps(report, indent=2))
    print(
        "\n| minute | events/s | p99 ms | completed/s | submit p99 ms | metrics/s | p99 ms"
        " | RSS MB (median / peak) | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for s in samples:
        e, f, m = s["events"], s["flow"], s["metrics"]
        print(
            f"| {s['minute']} | {e['rps']:.0f} | {e['p99_ms']:.1f} | {f['completed_per_s']:.1f} |"
            f" {f['p99_ms']:.1f} | {m['rps']:.0f} | {m['p99_ms']:.1f} |"
            f" {s['rss_median_mb']:.1f} / {s['rss_peak_mb']:.1f} | {s['load']} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
