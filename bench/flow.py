"""The customer's path as a benchmark (issue 17): personal link → every step → thank you.

N customers (``--customers``, default 16 and 64) each open a personal invitation link to
a survey built from the NPS template and complete it step by step exactly as the page's
htmx does: GET /s/{token}, then one POST per step (score, then the comment question its
condition shows, then topics), each built from the form in the previous answer (step id,
hidden inputs), until the thank-you fragment — then the next invitation. Every customer
has a distinct, pre-created invitation (``bench/seed.py flow``).

What is measured, per run of ``--seconds`` (default 20) after a ``--warmup``:

* **completed/s**: complete responses counted in the database after the run, minus
  before it, over the run's seconds — not wrk's request count;
* **server CPU ms per completed survey**: user + system CPU of the server's whole process
  tree (``/proc/<pid>/stat``, its worker included) over the run, divided by the surveys
  completed in it — the figure other jobs on a shared machine barely move;
* **submit p50/p99**: the latency of the answer POSTs alone, timed by the Lua script
  (``bench/flow.lua``: one connection per wrk thread, so each thread knows which request
  an answer belongs to); the GETs are timed apart;
* **whole-server RSS**: the sum of VmRSS of the server process and all its descendants
  (from /proc, every 0.5 s during the run; peak reported). On PostgreSQL the database's
  own processes are not included. Reported apart: the comment-analysis process
  (``surveyor_text/child.py``, issue 17) and the rest of the tree (the serving processes);
* **CPU per completed**: utime + stime (with reaped children's) of the tree over the run,
  over the completed responses — for the serving processes and the analysis process
  apart (load-independent, unlike completed/s on a busy machine).

Every figure is compared in the same run with a baseline commit (``--baseline``, default
the last tag, else 4cab561) built in its own virtual environment, alternating A B A B …
``--pairs`` times, each run on a fresh server process. ``--candidate`` measures another
commit instead of this working tree (e.g. ``integration``).

    .venv/bin/python bench/flow.py [--customers 16,64] [--seconds 20] [--pairs 3]
        [--backend sqlite|postgres|both] [--baseline 4cab561] [--candidate integration]
        [--env SURVEYOR_PLUGINS=…] [--baseline working --candidate-serve-args "--workers 2"]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import secrets
import shlex
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
    RssSampler,
    Side,
    add_comparison_args,
    alternate,
    comparison_sides,
    exit_on_sigterm,
    free_port,
    load_average,
    machine,
    parse_tagged_json,
    parse_wrk,
    print_pairs,
    process_tree,
    stop,
    wrk_output,
)

SCRIPT = ROOT / "bench" / "flow.lua"
SEED = ROOT / "bench" / "seed.py"
PG = os.environ.get("SURVEYOR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
COMPLETED = "SELECT COUNT(*) FROM responses WHERE status = 'complete'"


# -- databases -------------------------------------------------------------------------


async def _pg(dsn: str, statement: str) -> Any:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(statement)
    finally:
        await conn.close()


def count_completed(database: str) -> int:
    if database.startswith("postgres"):
        return int(asyncio.run(_pg(database, COMPLETED)))
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return int(conn.execute(COMPLETED).fetchone()[0])


@contextlib.contextmanager
def fresh_database(backend: str, tmp: Path, label: str) -> Iterator[str]:
    """A new empty database for one side: a SQLite file, or a PostgreSQL database."""
    if backend == "sqlite":
        yield str(tmp / f"{label}.db")
        return
    name = f"bench_{label}_{secrets.token_hex(4)}"
    asyncio.run(_pg(PG, f"CREATE DATABASE {name}"))
    try:
        yield PG.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(_pg(PG, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


# Extra SURVEYOR_* settings for both sides (--env), e.g. to compare with email configured.
EXTRA_ENV: dict[str, str] = {}


def server_env(database: str) -> dict[str, str]:
    return {
        "SURVEYOR_DATABASE": database,
        "SURVEYOR_LOG_LEVEL": "WARNING",
        "SURVEYOR_SECRET_KEY": "b" * 40,
        **EXTRA_ENV,
    }


class Tokens:
    """One side's pre-created invitation tokens, handed out in slices, one per wrk run.

    More are made (by the side's own code, between runs, while no server runs) whenever
    the next slice would run short, so a fast version never runs out and a slow one does
    not wait for invitations it will not use."""

    def __init__(self, side: Side | None, database: str, tmp: Path, name: str) -> None:
        self.side, self.database, self.tmp, self.name = side, database, tmp, name
        self.lines: list[str] = []
        self.used = self.batches = self.most_used = 0

    def make(self, count: int) -> None:
        assert self.side is not None
        out = self.tmp / f"{self.name}-made{self.batches}.txt"
        print(f"  making {count} invitations with {self.side.name} …", file=sys.stderr, flush=True)
        self.side.run_script(
            SEED,
            ["flow", "--count", str(count), "--out", str(out), "--prefix", f"b{self.batches}"],
            server_env(self.database),
        )
        self.batches += 1
        self.lines += out.read_text().split()

    def ensure(self, count: int) -> None:
        """At least ``count`` unused tokens (made in one go: each seeding starts a process)."""
        if self.side is not None and len(self.lines) - self.used < count:
            # Three runs' worth at a time: every seeding starts a process and runs migrations.
            self.make(3 * count)

    def slice(self, count: int, path: Path) -> Path:
        self.ensure(count)
        chunk = self.lines[self.used : self.used + count]
        if len(chunk) < count:
            print(f"  (only {len(chunk)} invitations left for {path.name})", file=sys.stderr)
        self.used += len(chunk)
        path.write_text("\n".join(chunk) + "\n")
        return path


# -- one measured run ------------------------------------------------------------------


def run_flow(
    side: Side,
    pair: int,
    *,
    databases: dict[str, str],
    token_sets: dict[str, Tokens],
    tmp: Path,
    customers: int,
    seconds: float,
    warmup: float,
    per_run: int,
    serve_args: dict[str, list[str]],
    tag: str,
) -> dict[str, Any]:
    database, tokens = databases[side.label], token_sets[side.label]
    tag = f"{tag}-p{pair + 1}"
    # Enough invitations for the run: at least --per-run, and twice the most a run used.
    per_run = max(per_run, 2 * tokens.most_used)
    warm_count = max(200, per_run // 5) if warmup > 0 else 0
    tokens.ensure(warm_count + per_run)
    warm = tokens.slice(warm_count, tmp / f"{tag}-warm.txt") if warm_count else None
    run_tokens = tokens.slice(per_run, tmp / f"{tag}.txt")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = side.start_server(port, server_env(database), serve_args[side.label])
    try:
        if warm is not None:
            wrk_output(
                url,
                SCRIPT,
                [str(warm), str(customers)],
                threads=customers,
                connections=customers,
                seconds=warmup,
            )
        before = count_completed(database)
        load = load_average()
        cpu_before = tree_cpu_split(server.pid)
        with RssSampler(server.pid) as rss, AnalysisRss(server.pid) as analysis:
            out = wrk_output(
                url,
                SCRIPT,
                [str(run_tokens), str(customers)],
                threads=customers,
                connections=customers,
                seconds=seconds,
            )
        cpu_after = tree_cpu_split(server.pid)
        after = count_completed(database)
        cpu = sum(cpu_after.values()) - sum(cpu_before.values())
    finally:
        stop(server)
    flow, overall = parse_tagged_json(out, "FLOW"), parse_wrk(out)
    tokens.most_used = max(tokens.most_used, flow["customers"])
    result = {
        "side": side.name,
        "completed": after - before,
        "completed_per_s": (after - before) / seconds,
        "cpu_ms_per_completed": 1000 * cpu / max(1, after - before),
        "submit_p50_ms": flow["post_p50_ms"],
        "submit_p99_ms": flow["post_p99_ms"],
        "get_p50_ms": flow["get_p50_ms"],
        "get_p99_ms": flow["get_p99_ms"],
        "rss_peak_mb": round(rss.peak_mb, 1),
        "rss_median_mb": round(rss.median_mb, 1),
        "analysis_rss_peak_mb": round(analysis.peak_mb, 1),
        "serving_rss_peak_mb": round(analysis.serving_peak_mb, 1),
        **{
            f"{part}_cpu_ms_per_completed": round(
                1000 * (cpu_after[part] - cpu_before[part]) / max(1, after - before), 2
            )
            for part in ("serving", "analysis")
        },
        "load_average": load,
        "flow": flow,
        "wrk_all_requests": overall,
    }
    problems = []
    if flow["wrapped"]:
        problems.append(
            f"ran out of invitations ({flow['wrapped']} threads wrapped): raise --per-run"
        )
    if flow["non_200"]:
        problems.append(f"{flow['non_200']} answers were not 200")
    if flow["no_form"]:
        problems.append(f"{flow['no_form']} answers had neither a form nor the thank-you")
    if problems:
        result["problems"] = problems
        print(f"  ({side.name}: {'; '.join(problems)})", file=sys.stderr)
    print(
        f"  {tag} {side.label:9} {result['completed_per_s']:8.1f} completed/s,"
        f" {result['cpu_ms_per_completed']:.1f} CPU ms each, submit p50"
        f" {result['submit_p50_ms']:.1f} p99 {result['submit_p99_ms']:.1f} ms, RSS peak"
        f" {result['rss_peak_mb']:.0f} MB (serving {result['serving_rss_peak_mb']:.0f}, analysis"
        f" {result['analysis_rss_peak_mb']:.0f}), CPU per completed: serving"
        f" {result['serving_cpu_ms_per_completed']:.1f} ms, analysis"
        f" {result['analysis_cpu_ms_per_completed']:.1f} ms, load {load}",
        file=sys.stderr,
        flush=True,
    )
    return result


ANALYSIS_MARK = "surveyor_text/child.py"  # the comment-analysis process (issue 17)


def _tree_stat(pid: int) -> list[tuple[int, str, list[str]]]:
    """(pid, cmdline, /proc stat fields after the name) of ``pid`` and its descendants."""
    found = []
    for current in process_tree(pid):
        try:
            cmdline = Path(f"/proc/{current}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = Path(f"/proc/{current}/stat").read_text()
        except OSError:
            continue  # it exited meanwhile
        found.append((current, cmdline, stat.rsplit(")", 1)[1].split()))
    return found


def tree_cpu_split(pid: int) -> dict[str, float]:
    """utime + stime of the tree, with its reaped children's (cutime + cstime): of the
    analysis processes, and of the rest (the serving processes and their supervisor)."""
    ticks = {"serving": 0, "analysis": 0}
    for _, cmdline, fields in _tree_stat(pid):
        part = "analysis" if ANALYSIS_MARK in cmdline else "serving"
        ticks[part] += sum(int(f) for f in fields[11:15])
    return {part: n / os.sysconf("SC_CLK_TCK") for part, n in ticks.items()}


class AnalysisRss(RssSampler):
    """Peak RSS of the analysis processes alone, and of the rest of the tree beside it."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(pid, interval)
        self.serving: list[float] = []

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE") / 1e6
        while True:
            analysis = serving = 0.0
            for _, cmdline, fields in _tree_stat(self.pid):
                mb = int(fields[21]) * page  # rss, in pages
                if ANALYSIS_MARK in cmdline:
                    analysis += mb
                else:
                    serving += mb
            self.samples.append(analysis)
            self.serving.append(serving)
            if self._stop.wait(self.interval):
                return

    @property
    def serving_peak_mb(self) -> float:
        return max(self.serving, default=0.0)


def describe(result: dict[str, Any]) -> str:
    return (
        f"{result['cpu_ms_per_completed']:.1f} CPU ms each,"
        f" submit p50 {result['submit_p50_ms']:.1f} / p99 {result['submit_p99_ms']:.1f} ms,"
        f" RSS {result['rss_peak_mb']:.0f} MB, load {result['load_average'].split()[0]}"
    )


def median(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", default="16,64", help="comma-separated (default 16,64)")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--per-run",
        type=int,
        default=0,
        help="invitations at least for each run (default 500 a second of the run, at least "
        "3000; more when a run used more): a run that runs out caps completed/s",
    )
    parser.add_argument(
        "--serve-args", default="", help="extra `serve` flags, given to each side that has them"
    )
    parser.add_argument(
        "--candidate-serve-args",
        default="",
        help="`serve` flags for the candidate only, e.g. --baseline working"
        " --candidate-serve-args '--workers 2' measures 2 processes against 1",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="SURVEYOR_X=VALUE",
        help="an extra setting for both sides' servers (repeatable; dropped where unknown)",
    )
    parser.add_argument("--json", help="also write the whole report to this file")
    add_comparison_args(parser)
    args = parser.parse_args()
    exit_on_sigterm()
    EXTRA_ENV.update(item.split("=", 1) for item in args.env)
    levels = [int(n) for n in args.customers.split(",")]
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    sides = comparison_sides(args)
    serve_args = {
        "baseline": shlex.split(args.serve_args),
        "candidate": shlex.split(args.serve_args) + shlex.split(args.candidate_serve_args),
    }
    print(machine(), flush=True)
    report: dict[str, Any] = {
        "machine": machine(),
        "baseline": sides[0].name,
        "candidate": sides[1].name,
        "seconds": args.seconds,
        "results": {},
    }
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp_name, contextlib.ExitStack() as stack:
            tmp = Path(tmp_name)
            databases, tokens = {}, {}
            for side in sides:
                database = stack.enter_context(fresh_database(backend, tmp, side.label))
                databases[side.label] = database
                tokens[side.label] = Tokens(side, database, tmp, f"{backend}-{side.label}")
            for customers in levels:
                one = functools.partial(
                    run_flow,
                    databases=databases,
                    token_sets=tokens,
                    tmp=tmp,
                    customers=customers,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    per_run=args.per_run or max(3000, int(500 * args.seconds)),
                    serve_args=serve_args,
                    tag=f"{backend}-c{customers}",
                )
                results = alternate(args.pairs, sides, one)
                title = f"{backend}, {customers} customers, completed/s"
                ratio = print_pairs(title, sides, results, "completed_per_s", "/s", describe)
                cpu_ratio = print_pairs(
                    f"{backend}, {customers} customers, server CPU ms per completed survey",
                    sides,
                    results,
                    "cpu_ms_per_completed",
                    "ms",
                )
                base = [a for a, _ in results]
                cand = [b for _, b in results]
                keys = (
                    "completed_per_s",
                    "cpu_ms_per_completed",
                    "submit_p50_ms",
                    "submit_p99_ms",
                    "rss_peak_mb",
                )
                report["results"][f"{backend}-{customers}"] = {
                    "pairs": results,
                    "median_ratio": ratio,
                    "median_cpu_ratio": cpu_ratio,
                    "baseline_median": {k: median(base, k) for k in keys},
                    "candidate_median": {k: median(cand, k) for k in keys},
                }
                if args.json:  # after every level, so an interrupted run keeps what it measured
                    Path(args.json).write_text(json.dumps(report, indent=2))
    summary(report, levels, backends)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


def summary(report: dict[str, Any], levels: list[int], backends: list[str]) -> None:
    print(f"\n{report['machine']}")
    print(f"candidate {report['candidate']} / baseline {report['baseline']}, medians of pairs")
    print(
        "| backend | customers | baseline /s | candidate /s | ratio | CPU ms per completed"
        " (cand./base.) | ratio | submit p50/p99 ms (cand.) | (base.) |"
        " RSS peak MB (cand./base.) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for backend in backends:
        for customers in levels:
            one = report["results"][f"{backend}-{customers}"]
            b, c = one["baseline_median"], one["candidate_median"]
            print(
                f"| {backend} | {customers} | {b['completed_per_s']:.1f} |"
                f" {c['completed_per_s']:.1f} | {one['median_ratio']:.2f} |"
                f" {c['cpu_ms_per_completed']:.1f} / {b['cpu_ms_per_completed']:.1f} |"
                f" {one['median_cpu_ratio']:.2f} |"
                f" {c['submit_p50_ms']:.1f} / {c['submit_p99_ms']:.1f} |"
                f" {b['submit_p50_ms']:.1f} / {b['submit_p99_ms']:.1f} |"
                f" {c['rss_peak_mb']:.0f} / {b['rss_peak_mb']:.0f} |"
            )
    if len(backends) == 2:
        for customers in levels:
            sq = report["results"][f"sqlite-{customers}"]["candidate_median"]["completed_per_s"]
            pg = report["results"][f"postgres-{customers}"]["candidate_median"]["completed_per_s"]
            print(f"candidate PostgreSQL / SQLite at {customers} customers: {pg / sq:.2f}")


if __name__ == "__main__":
    main()
