"""Idle memory of the whole ``surveyor serve`` process tree (issue 17, item 7).

Starts ``surveyor serve`` on a fresh SQLite database in a temporary directory (default
process count unless ``--workers``), waits for ``/healthz``, makes a few requests to the
login page, lets the tree settle, then prints every process of the tree with its RSS
and PSS from /proc, and the sums. RSS counts pages shared between processes (forked
workers share the parent's) once per process, so the RSS sum is the pessimistic
figure the target is stated in; PSS splits shared pages fairly between processes.

Like the other benchmarks it compares in the same run: the baseline commit
(``--baseline``, default the last tag, else 4cab561, built by ``bench/common.py``) and
this working tree (or ``--candidate``) alternate, A B A B …, ``--runs`` pairs.
``--env KEY=VALUE`` passes a setting to both sides (one that a side does not know is
left out for it), ``--candidate-env`` to the candidate only; ``--no-baseline`` measures
this working tree alone. Without the comment-analysis plugin (4cab561 has none, and it
is moving to its own process)::

    bench/idle_rss.py --candidate-env \
        SURVEYOR_PLUGINS=surveyor_email,surveyor_sms,surveyor_webhook,surveyor_mailbox

Note that this working tree runs in ``.venv``, which holds the test extras: pydantic
there makes Litestar load its pydantic plugin (~9 MB per server process) that a plain
``pip install surveyor`` — and the baseline's venv — does not have.

    .venv/bin/python bench/idle_rss.py [--workers N] [--runs 3] [--settle 3]
        [--baseline 4cab561] [--env SURVEYOR_PLUGINS=surveyor_email,surveyor_sms]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Side, baseline_ref, build_side, machine, working_tree_side

ROOT = Path(__file__).resolve().parent.parent


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.extend(int(p) for p in f.read().split())
        except FileNotFoundError:
            continue
    return found


def tree(pid: int) -> list[int]:
    pids = [pid]
    for child in children(pid):
        pids.extend(tree(child))
    return pids


def memory_kb(pid: int) -> dict[str, int]:
    """RSS and PSS of one process in kB (``smaps_rollup``)."""
    out = {"rss_kb": 0, "pss_kb": 0}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    out["rss_kb"] = int(line.split()[1])
                elif line.startswith("Pss:"):
                    out["pss_kb"] = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:80]
    except FileNotFoundError:
        return "?"


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our http URL)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(
    side: Side, workers: int | None, settle: float, extra_env: dict[str, str]
) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = side.env(
            {
                "SURVEYOR_DATABASE": str(Path(tmp) / "idle.db"),
                "SURVEYOR_LOG_LEVEL": "WARNING",
                **extra_env,
            }
        )
        command = [str(side.python), "-m", "surveyor.cli", "serve", "--port", str(port)]
        if workers is not None:
            command += ["--workers", str(workers)]
        server = subprocess.Popen(
            command,
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 90
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"surveyor serve exited with {server.returncode}")
                try:
                    if get(base + "/healthz") == 200:
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("surveyor serve did not answer /healthz")
                time.sleep(0.2)
            # One real page per process is not guaranteed (the kernel picks), so a few.
            for _ in range(4):
                get(base + "/login")
            time.sleep(settle)  # let start-up garbage be collected and lazy imports settle
            processes = []
            for pid in tree(server.pid):
                processes.append({"pid": pid, "cmd": command_line(pid), **memory_kb(pid)})
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)
    return {
        "side": side.name,
        "processes": processes,
        "rss_mb": sum(p["rss_kb"] for p in processes) / 1024,
        "pss_mb": sum(p["pss_kb"] for p in processes) / 1024,
    }


def summary(runs: list[dict[str, object]], workers: int | None) -> None:
    last = runs[-1]
    print(f"{last['side']}:")
    for p in last["processes"]:  # type: ignore[union-attr]
        print(
            f"  pid {p['pid']:>7}  rss {p['rss_kb'] / 1024:6.1f} MB  pss {p['pss_kb'] / 1024:6.1f} MB  {p['cmd']}"
        )
    rss = [float(r["rss_mb"]) for r in runs]  # type: ignore[arg-type]
    pss = [float(r["pss_mb"]) for r in runs]  # type: ignore[arg-type]
    print(
        f"  whole tree, {len(last['processes'])} processes (workers: {workers or 'default'}):"  # type: ignore[arg-type]
        f" RSS sum median {statistics.median(rss):.1f} MB (runs {', '.join(f'{x:.1f}' for x in rss)}),"
        f" PSS sum median {statistics.median(pss):.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=None, help="default: serve's default")
    parser.add_argument("--runs", type=int, default=3, help="runs (pairs with a baseline)")
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument(
        "--baseline", help="commit to compare against (default: last tag, else 4cab561)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="this working tree alone")
    parser.add_argument("--candidate", help="commit to measure (default: this working tree)")
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="a setting for both sides"
    )
    parser.add_argument(
        "--candidate-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting for the candidate only (e.g. a plugin list naming a newer plugin)",
    )
    parser.add_argument("--json", action="store_true", help="print every run as JSON too")
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.env)
    candidate_env = extra_env | dict(item.split("=", 1) for item in args.candidate_env)
    candidate = build_side(args.candidate, "candidate") if args.candidate else working_tree_side()
    sides = [candidate]
    if not args.no_baseline:
        sides.insert(0, build_side(baseline_ref(args.baseline), "baseline"))
    print(machine(), flush=True)
    runs: dict[str, list[dict[str, object]]] = {side.label: [] for side in sides}
    for _ in range(args.runs):  # A B A B …: both sides see the same machine
        for side in sides:
            env = candidate_env if side is candidate else extra_env
            runs[side.label].append(measure(side, args.workers, args.settle, env))
    if args.json:
        print(json.dumps(runs, indent=2))
    for side in sides:
        summary(runs[side.label], args.workers)
    if len(sides) == 2:
        each = [
            float(b["rss_mb"]) / float(a["rss_mb"])  # type: ignore[arg-type]
            for a, b in zip(runs["baseline"], runs["candidate"], strict=True)
        ]
        print(
            f"RSS candidate/baseline per pair: {', '.join(f'{x:.2f}' for x in each)}"
            f" (median {statistics.median(each):.2f}); load average now {load_now()}"
        )


def load_now() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
