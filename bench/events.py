"""Accepted events per second on POST /api/v1/events, against a baseline commit and the
decode-only ceiling, all in the same run (issues 5 and 17).

Each side (the baseline commit built in its own virtual environment, and the candidate:
this working tree or ``--candidate``) gets a fresh database with a checkpoint and an API
key, made by its own code (``bench/seed.py events``). Then, ``--pairs`` times: the
baseline, the candidate and the bare decode-only endpoint (``bench/bare_app.py``, the
ceiling of the web stack) are measured one after the other under the same wrk load
(``-t2 -c32 -d10s``, ``bench/events.lua``: every request a new contact, so every event is
*scheduled*: contact, event, invitation and outbox job committed before the 202). Each
Surveyor run starts a fresh ``surveyor serve --no-worker`` (the accept path only; the
API rate limit off where the version has one) and samples the whole server's RSS.

    .venv/bin/python bench/events.py [--pairs 3] [--seconds 10] [--connections 32]
        [--backend sqlite|postgres|both] [--baseline 4cab561] [--candidate integration]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
    RssSampler,
    Side,
    add_comparison_args,
    bare_server,
    comparison_sides,
    exit_on_sigterm,
    free_port,
    load_average,
    machine,
    print_pairs,
    stop,
    tree_cpu_seconds,
    wrk,
)
from bench.flow import fresh_database

SCRIPT = ROOT / "bench" / "events.lua"
SEED = ROOT / "bench" / "seed.py"


def server_env(database: str) -> dict[str, str]:
    return {
        "SURVEYOR_DATABASE": database,
        "SURVEYOR_LOG_LEVEL": "WARNING",
        "SURVEYOR_SECRET_KEY": "b" * 40,
        "SURVEYOR_API_RATE_LIMIT": "0",
    }


def prepare_side(side: Side, database: str) -> str:
    """A checkpoint and an API key in ``database``, made by the side's own code: the key."""
    return side.run_script(SEED, ["events"], server_env(database)).strip().splitlines()[-1]


def measured_wrk(
    pid: int, url: str, script_args: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    """wrk against ``url``, with the server tree's CPU milliseconds per completed request
    (user + system time from /proc: independent of what else the machine runs)."""
    before = tree_cpu_seconds(pid)
    result = wrk(url, SCRIPT, script_args, connections=args.connections, seconds=args.seconds)
    used = tree_cpu_seconds(pid) - before
    result["cpu_ms"] = 1000 * used / max(1, result["requests"])
    return result


def run_events(
    side: Side, database: str, key: str, args: argparse.Namespace, tag: str
) -> dict[str, Any]:
    port = free_port()
    server = side.start_server(port, server_env(database), ["--no-worker", *args.serve_args])
    try:
        load = load_average()
        with RssSampler(server.pid) as rss:
            result = measured_wrk(server.pid, f"http://127.0.0.1:{port}", [tag, key], args)
    finally:
        stop(server)
    result.update(load_average=load, rss_peak_mb=round(rss.peak_mb, 1), side=side.name)
    print(
        f"  {tag} {side.label:9} {result['rps']:8.0f} events/s, p99 {result['p99_ms']:.1f} ms,"
        f" {result['cpu_ms']:.2f} CPU ms/event, non-2xx {result['non_2xx']}, load {load}",
        file=sys.stderr,
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--serve-args", default="", type=shlex.split)
    parser.add_argument("--json", help="also write the whole report to this file")
    add_comparison_args(parser)
    args = parser.parse_args()
    exit_on_sigterm()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    sides = comparison_sides(args)
    print(machine(), flush=True)
    bare_runs: list[dict[str, Any]] = []
    pairs: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {b: [] for b in backends}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        databases, keys = {}, {}
        for backend in backends:
            for side in sides:
                where = (backend, side.label)
                databases[where] = stack.enter_context(
                    fresh_database(backend, Path(tmp), f"{backend}_{side.label}")
                )
                keys[where] = prepare_side(side, databases[where])
        bare_port = free_port()
        # The ceiling runs with the candidate's stack (Litestar, granian) and its EventIn.
        bare = bare_server(bare_port, sides[1].python)
        try:
            for pair in range(args.pairs):
                for backend in backends:
                    a, b = (
                        run_events(
                            s,
                            databases[backend, s.label],
                            keys[backend, s.label],
                            args,
                            f"{backend}-p{pair + 1}-{s.label}",
                        )
                        for s in sides
                    )
                    pairs[backend].append((a, b))
                bare_runs.append(
                    measured_wrk(
                        bare.pid, f"http://127.0.0.1:{bare_port}", [f"bare{pair}", "none"], args
                    )
                )
                print(
                    f"  p{pair + 1} bare      {bare_runs[-1]['rps']:8.0f} req/s,"
                    f" {bare_runs[-1]['cpu_ms']:.2f} CPU ms/request",
                    file=sys.stderr,
                )
        finally:
            stop(bare)

    def extra(r: dict[str, Any]) -> str:
        return (
            f"p50 {r['p50_ms']:.1f} / p99 {r['p99_ms']:.1f} ms, {r['cpu_ms']:.2f} CPU ms/event,"
            f" non-2xx {r['non_2xx']}"
        )

    report: dict[str, Any] = {
        "machine": machine(),
        "baseline": sides[0].name,
        "candidate": sides[1].name,
        "connections": args.connections,
        "bare": bare_runs,
        "backends": {},
    }
    print("\ndecode-only ceiling, same pairs: " + " / ".join(f"{r['rps']:,.0f}" for r in bare_runs))
    for backend in backends:
        one = pairs[backend]
        title = f"POST /api/v1/events on {backend}, {args.connections} connections, events/s"
        ratio = print_pairs(title, sides, one, "rps", "/s", extra)
        of_bare = [b["rps"] / c["rps"] for (_, b), c in zip(one, bare_runs, strict=True)]
        base_of_bare = [a["rps"] / c["rps"] for (a, _), c in zip(one, bare_runs, strict=True)]
        summary = {
            "pairs": one,
            "median_ratio_candidate_baseline": ratio,
            "median_candidate_of_bare": statistics.median(of_bare),
            "median_baseline_of_bare": statistics.median(base_of_bare),
            "candidate_median_rps": statistics.median(b["rps"] for _, b in one),
            "baseline_median_rps": statistics.median(a["rps"] for a, _ in one),
            "candidate_median_p99_ms": statistics.median(b["p99_ms"] for _, b in one),
            "baseline_median_p99_ms": statistics.median(a["p99_ms"] for a, _ in one),
            "candidate_median_cpu_ms": statistics.median(b["cpu_ms"] for _, b in one),
            "baseline_median_cpu_ms": statistics.median(a["cpu_ms"] for a, _ in one),
        }
        report["backends"][backend] = summary
        print(
            f"  candidate / decode-only per pair: {' / '.join(f'{x:.2f}' for x in of_bare)};"
            f" median {summary['median_candidate_of_bare']:.2f}"
            f" (baseline: {summary['median_baseline_of_bare']:.2f})"
        )
        print(
            f"  median p99: candidate {summary['candidate_median_p99_ms']:.1f} ms,"
            f" baseline {summary['baseline_median_p99_ms']:.1f} ms"
        )
        bare_cpu = statistics.median(r["cpu_ms"] for r in bare_runs)
        print(
            f"  median server CPU per event: candidate {summary['candidate_median_cpu_ms']:.2f} ms,"
            f" baseline {summary['baseline_median_cpu_ms']:.2f} ms"
            f" (decode-only: {bare_cpu:.2f} ms per request)"
        )
    if len(backends) == 2:
        for label, index in (("candidate", 1), ("baseline", 0)):
            each = [
                pg[index]["rps"] / sq[index]["rps"]
                for sq, pg in zip(pairs["sqlite"], pairs["postgres"], strict=True)
            ]
            report[f"{label}_postgres_over_sqlite"] = statistics.median(each)
            print(
                f"{label} PostgreSQL / SQLite per pair: {' / '.join(f'{x:.2f}' for x in each)};"
                f" median {statistics.median(each):.2f}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
