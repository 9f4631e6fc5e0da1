"""Completed responses per second on POST /s/{token} (issue 4), against a baseline commit
and the decode-only ceiling in the same run (issue 17).

Each side (the baseline commit in its own virtual environment, and the candidate: this
working tree or ``--candidate``) gets a fresh SQLite database (``synchronous=FULL``) with
``--invitations`` invitations to a one-page survey (NPS + comment), made by its own code
(``bench/seed.py answers``). Then, ``--pairs`` times: the baseline, the candidate and the
bare endpoint (``bench/bare_app.py``: the same form body parsed, no database) under the
same wrk load (``bench/respond.lua``, every request completing a different invitation as
an htmx POST), each Surveyor run on a fresh ``surveyor serve --no-worker``. Completions
are counted in the database.

    .venv/bin/python bench/respond_answers.py [--pairs 3] [--seconds 10] [--connections 32]
        [--baseline 4cab561] [--candidate integration] [--plain]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import sqlite3
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
    wrk,
)
from bench.flow import COMPLETED

SCRIPT = ROOT / "bench" / "respond.lua"
SEED = ROOT / "bench" / "seed.py"


def server_env(database: str) -> dict[str, str]:
    return {
        "SURVEYOR_DATABASE": database,
        "SURVEYOR_LOG_LEVEL": "WARNING",
        "SURVEYOR_SECRET_KEY": "b" * 40,
        "SURVEYOR_SQLITE_SYNCHRONOUS": "FULL",
    }


def completed(database: str) -> int:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return int(conn.execute(COMPLETED).fetchone()[0])


def run_answers(
    side: Side, database: str, tokens: Path, args: argparse.Namespace, tag: str
) -> dict[str, Any]:
    port = free_port()
    server = side.start_server(port, server_env(database), ["--no-worker", *args.serve_args])
    try:
        before = completed(database)
        load = load_average()
        with RssSampler(server.pid) as rss:
            result = wrk(
                f"http://127.0.0.1:{port}",
                SCRIPT,
                [str(tokens), "2", "plain" if args.plain else "htmx"],
                connections=args.connections,
                seconds=args.seconds,
            )
        done = completed(database) - before
    finally:
        stop(server)
    result.update(
        side=side.name,
        completed=done,
        completed_per_s=done / args.seconds,
        load_average=load,
        rss_peak_mb=round(rss.peak_mb, 1),
    )
    print(
        f"  {tag} {side.label:9} {result['completed_per_s']:8.0f} completed/s,"
        f" p99 {result['p99_ms']:.1f} ms, non-2xx {result['non_2xx']}, load {load}",
        file=sys.stderr,
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--invitations", type=int, default=20_000, help="per run")
    parser.add_argument(
        "--plain", action="store_true", help="no-JS form posts (303) instead of htmx fragments"
    )
    parser.add_argument("--serve-args", default="", type=shlex.split)
    parser.add_argument("--json", help="also write the whole report to this file")
    add_comparison_args(parser)
    args = parser.parse_args()
    exit_on_sigterm()
    sides = comparison_sides(args)
    print(machine(), flush=True)
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    bare_runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        databases, token_files = {}, {}
        for side in sides:
            databases[side.label] = str(tmp / f"{side.label}.db")
            whole = tmp / f"{side.label}-tokens.txt"
            count = args.invitations * args.pairs
            print(f"making {count} invitations with {side.name} …", flush=True)
            side.run_script(
                SEED,
                ["answers", "--count", str(count), "--out", str(whole)],
                server_env(databases[side.label]),
            )
            lines = whole.read_text().split()
            token_files[side.label] = []
            for pair in range(args.pairs):
                part = tmp / f"{side.label}-{pair}.txt"
                chunk = lines[pair * args.invitations : (pair + 1) * args.invitations]
                part.write_text("\n".join(chunk) + "\n")
                token_files[side.label].append(part)
        bare_port = free_port()
        bare = bare_server(bare_port, sides[1].python)
        try:
            for pair in range(args.pairs):
                a, b = (
                    run_answers(
                        s,
                        databases[s.label],
                        token_files[s.label][pair],
                        args,
                        f"p{pair + 1}{s.label}",
                    )
                    for s in sides
                )
                pairs.append((a, b))
                bare_runs.append(
                    wrk(
                        f"http://127.0.0.1:{bare_port}",
                        SCRIPT,
                        [str(token_files["candidate"][pair]), "2", "htmx"],
                        connections=args.connections,
                        seconds=args.seconds,
                    )
                )
        finally:
            stop(bare)

    def extra(r: dict[str, Any]) -> str:
        return f"p50 {r['p50_ms']:.1f} / p99 {r['p99_ms']:.1f} ms, non-2xx {r['non_2xx']}"

    title = f"POST /s/{{token}} completing, {args.connections} connections, completed/s"
    ratio = print_pairs(title, sides, pairs, "completed_per_s", "/s", extra)
    of_bare = [b["completed_per_s"] / c["rps"] for (_, b), c in zip(pairs, bare_runs, strict=True)]
    print(
        "  decode-only ceiling, same pairs: "
        + " / ".join(f"{r['rps']:,.0f}" for r in bare_runs)
        + f"; candidate / decode-only median {statistics.median(of_bare):.2f}"
    )
    report = {
        "machine": machine(),
        "baseline": sides[0].name,
        "candidate": sides[1].name,
        "pairs": pairs,
        "bare": bare_runs,
        "median_ratio_candidate_baseline": ratio,
        "median_candidate_of_bare": statistics.median(of_bare),
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
